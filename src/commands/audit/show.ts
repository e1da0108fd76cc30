import { Args } from '@oclif/core';
import { getSession } from '../../cli/audit/client.js';
import { sessionText } from '../../cli/audit/format.js';
import { BaseCommand } from '../../cli/base-command.js';
import { gatewayFlags, jsonFlag } from '../../cli/flags.js';
import { gatewayClient } from '../../cli/session.js';

export default class AuditShow extends BaseCommand {
  static override description =
    'Show a recorded session: identity and actor chain, connection, client, policy version, then each statement';

  static override examples = [
    '<%= config.bin %> audit show ses_01HX…',
    '<%= config.bin %> audit show ses_01HX… --json',
  ];

  static override args = {
    id: Args.string({ description: 'session ID (from `hoop audit list`)', required: true }),
  };

  static override flags = { ...gatewayFlags, ...jsonFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(AuditShow);
    const { session, events } = await getSession(await gatewayClient(flags.gateway), args.id);
    if (flags.json) {
      this.log(JSON.stringify({ ...session, events: events.events }, null, 2));
      return;
    }
    this.log(sessionText(session, events.events));
  }
}
