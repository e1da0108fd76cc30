import { Args, Flags } from '@oclif/core';
import { getSession, queryString } from '../../cli/audit/client.js';
import { asciicast, terminalFrames } from '../../cli/audit/terminal-replay.js';
import { streamLines } from '../../cli/audit/stream-get.js';
import { BaseCommand } from '../../cli/base-command.js';
import { gatewayFlags } from '../../cli/flags.js';
import { gatewayClient } from '../../cli/session.js';
import { HoopError } from '../../lib/errors.js';

export default class AuditExport extends BaseCommand {
  static override description =
    'Stream recorded events to stdout as JSON Lines, oldest first, for a SIEM';

  static override examples = [
    '<%= config.bin %> audit export --since 24h > events.jsonl',
    '<%= config.bin %> audit export --since 2026-03-01T00:00:00Z --until 2026-03-02T00:00:00Z --connection pg-prod',
    '<%= config.bin %> audit export --format asciicast ses_01HX… > session.cast',
  ];

  static override args = {
    id: Args.string({ description: 'with --format asciicast: the terminal session to export' }),
  };

  static override flags = {
    ...gatewayFlags,
    since: Flags.string({
      description: 'events at or after: RFC 3339 or a duration ago (24h)',
      helpValue: 'TIME',
    }),
    until: Flags.string({
      description: 'events before (default: now)',
      helpValue: 'TIME',
    }),
    connection: Flags.string({ description: 'only events on this connection', helpValue: 'NAME' }),
    format: Flags.string({
      description:
        'jsonl (default); asciicast writes one terminal (SSH shell) session, named by its ID, for asciinema play',
      options: ['jsonl', 'asciicast'],
    }),
    json: Flags.boolean({
      description: 'JSON Lines, what it prints by default: the same as --format jsonl',
      default: false,
    }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(AuditExport);
    if (flags.json && flags.format === 'asciicast') {
      throw new HoopError('HOOP_USAGE', '--json asks for JSON Lines, --format for asciicast', {
        hint: 'Pass one of them: --json is the same as --format jsonl.',
      });
    }
    if (flags.format === 'asciicast') {
      if (args.id === undefined) {
        throw new HoopError('HOOP_USAGE', '--format asciicast exports one session: name its ID', {
          hint: 'Find it with `hoop audit list --connection NAME`.',
        });
      }
      const { session, events } = await getSession(await gatewayClient(flags.gateway), args.id);
      const frames = terminalFrames(events.events);
      if (frames.length === 0) {
        throw new HoopError(
          'HOOP_AUDIT_FORMAT_UNSUPPORTED',
          `session ${session.id} recorded no terminal output: asciicast is for terminal (SSH shell) sessions`,
          { hint: 'Use --format jsonl.' },
        );
      }
      process.stdout.write(asciicast(session, frames));
      return;
    }
    if (flags.since === undefined) {
      throw new HoopError('HOOP_USAGE', 'Missing required flag since', {
        hint: 'Pass --since 24h (or an RFC 3339 time).',
      });
    }
    const client = await gatewayClient(flags.gateway);
    const path = `/api/audit/events${queryString({
      since: flags.since,
      until: flags.until,
      connection: flags.connection,
    })}`;
    let waiting = Promise.resolve();
    await streamLines(client, path, 'application/x-ndjson', (line) => {
      // stdout may be a slow pipe: keep the order, let the kernel buffer set the pace.
      if (!process.stdout.write(`${line}\n`)) {
        waiting = new Promise((resolve) => process.stdout.once('drain', resolve));
      }
    });
    await waiting;
  }
}
