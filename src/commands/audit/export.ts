import { Flags } from '@oclif/core';
import { queryString } from '../../cli/audit/client.js';
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
  ];

  static override flags = {
    ...gatewayFlags,
    since: Flags.string({
      description: 'events at or after: RFC 3339 or a duration ago (24h)',
      helpValue: 'TIME',
      required: true,
    }),
    until: Flags.string({
      description: 'events before (default: now)',
      helpValue: 'TIME',
    }),
    connection: Flags.string({ description: 'only events on this connection', helpValue: 'NAME' }),
    format: Flags.string({
      description:
        'jsonl (default); asciicast is for terminal (SSH) sessions, which this version does not record',
      options: ['jsonl', 'asciicast'],
    }),
    json: Flags.boolean({
      description: 'JSON Lines, what it prints by default: the same as --format jsonl',
      default: false,
    }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(AuditExport);
    if (flags.json && flags.format === 'asciicast') {
      throw new HoopError('HOOP_USAGE', '--json asks for JSON Lines, --format for asciicast', {
        hint: 'Pass one of them: --json is the same as --format jsonl.',
      });
    }
    if (flags.format === 'asciicast') {
      throw new HoopError(
        'HOOP_AUDIT_FORMAT_UNSUPPORTED',
        'asciicast exports terminal sessions, and this gateway records none: its sessions are SQL statements',
        { hint: 'Use --format jsonl.' },
      );
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
