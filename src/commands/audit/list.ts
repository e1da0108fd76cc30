import { Flags } from '@oclif/core';
import { listSessions } from '../../cli/audit/client.js';
import { sessionTable } from '../../cli/audit/format.js';
import { BaseCommand } from '../../cli/base-command.js';
import { gatewayFlags, jsonFlag } from '../../cli/flags.js';
import { gatewayClient } from '../../cli/session.js';

export default class AuditList extends BaseCommand {
  static override description =
    'List recorded sessions, newest first: yours, or everyone’s for members of an auditors group';

  static override examples = [
    '<%= config.bin %> audit list',
    '<%= config.bin %> audit list --connection pg-prod --since 24h --decision deny',
    '<%= config.bin %> audit list --user agent-1 --json --limit 500',
  ];

  static override flags = {
    ...gatewayFlags,
    ...jsonFlag,
    connection: Flags.string({
      description: 'only sessions on this connection',
      helpValue: 'NAME',
    }),
    user: Flags.string({
      description:
        'only sessions of this identity: apikey:<name> or oidc:<sub> exactly, else any subject, name or acting agent',
      helpValue: 'WHO',
    }),
    decision: Flags.string({
      description: 'only sessions with a statement of this decision',
      options: ['allow', 'deny', 'review'],
    }),
    since: Flags.string({
      description: 'open at or after: RFC 3339 (2026-03-01T10:00:00Z) or a duration ago (24h)',
      helpValue: 'TIME',
    }),
    until: Flags.string({
      description: 'open before: RFC 3339 or a duration ago',
      helpValue: 'TIME',
    }),
    limit: Flags.integer({ description: 'sessions per page (1–1000, default 50)' }),
    cursor: Flags.string({ description: 'the next page: the cursor a previous page printed' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(AuditList);
    const client = await gatewayClient(flags.gateway);
    const page = await listSessions(client, {
      connection: flags.connection,
      user: flags.user,
      decision: flags.decision,
      since: flags.since,
      until: flags.until,
      limit: flags.limit,
      cursor: flags.cursor,
    });
    if (flags.json) {
      this.log(JSON.stringify(page, null, 2));
      return;
    }
    if (page.sessions.length === 0) process.stderr.write('No sessions match.\n');
    else this.log(sessionTable(page.sessions));
    if (page.nextCursor) {
      process.stderr.write(`More sessions: add --cursor ${page.nextCursor}\n`);
    }
  }
}
