import { Flags } from '@oclif/core';
import { queryString } from '../../cli/audit/client.js';
import { statementLine } from '../../cli/audit/format.js';
import type { AuditEvent } from '../../cli/audit/types.js';
import { streamLines } from '../../cli/audit/stream-get.js';
import { BaseCommand } from '../../cli/base-command.js';
import { gatewayFlags, jsonFlag } from '../../cli/flags.js';
import { gatewayClient } from '../../cli/session.js';

type TailEvent = AuditEvent & { session: { identity: string; connection: string } | null };

export default class AuditTail extends BaseCommand {
  static override description =
    'Print statements as they are recorded, across sessions, until Ctrl-C';

  static override examples = [
    '<%= config.bin %> audit tail',
    '<%= config.bin %> audit tail --connection pg-prod --json',
  ];

  static override flags = {
    ...gatewayFlags,
    ...jsonFlag,
    connection: Flags.string({ description: 'only events on this connection', helpValue: 'NAME' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(AuditTail);
    const client = await gatewayClient(flags.gateway);
    const stop = new AbortController();
    process.once('SIGINT', () => stop.abort());
    process.once('SIGTERM', () => stop.abort());
    const path = `/api/audit/tail${queryString({ connection: flags.connection })}`;
    try {
      // Server-sent events (WHATWG HTML §9.2): `data:` lines carry one JSON event each.
      await streamLines(
        client,
        path,
        'text/event-stream',
        (line) => {
          if (line === ': hoop audit tail')
            process.stderr.write('Waiting for statements (Ctrl-C to stop)…\n');
          if (!line.startsWith('data: ')) return;
          const event = JSON.parse(line.slice('data: '.length)) as TailEvent;
          if (flags.json) {
            this.log(JSON.stringify(event));
            return;
          }
          const where = event.session
            ? `${event.session.identity}@${event.session.connection}`
            : '?';
          this.log(`${event.at}  ${where}  ${statementLine(event)}`);
        },
        stop.signal,
      );
    } catch (error) {
      if (!stop.signal.aborted) throw error;
    }
  }
}
