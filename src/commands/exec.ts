import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { readExecInput } from '../cli/exec/input.js';
import {
  OUTPUT_FORMATS,
  formatJsonError,
  formatResults,
  formatSqlError,
} from '../cli/exec/format.js';
import { SqlError } from '../cli/exec/postgres.js';
import { execOnConnection } from '../cli/exec/run.js';
import { gatewayFlags } from '../cli/flags.js';
import { gatewayUrl } from '../cli/settings.js';
import { HoopError } from '../lib/errors.js';

// `--wait` and `--review ID` (DESIGN.md) arrive with reviews: not defined yet, so oclif refuses them.
export default class Exec extends BaseCommand {
  static override description =
    'Run one request on NAME through the gateway (policy, masking and recording apply) and print the result; SQL for postgres connections';

  static override examples = [
    '<%= config.bin %> exec pg-prod -i "select id, email from customers limit 5"',
    '<%= config.bin %> exec pg-prod -f report.sql --output csv > report.csv',
    'echo "select count(*) from orders" | <%= config.bin %> exec pg-prod --output json',
  ];

  static override args = { name: Args.string({ description: 'connection name', required: true }) };

  static override flags = {
    ...gatewayFlags,
    input: Flags.string({ char: 'i', description: 'the request to run', exclusive: ['file'] }),
    file: Flags.string({ char: 'f', description: 'read the request from FILE (- for stdin)' }),
    output: Flags.string({
      char: 'o',
      description: 'output format',
      options: [...OUTPUT_FORMATS],
      default: 'table',
    }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Exec);
    const output = flags.output as (typeof OUTPUT_FORMATS)[number];
    try {
      const input = await readExecInput({ input: flags.input, file: flags.file });
      const { results } = await execOnConnection({
        gateway: gatewayUrl(flags.gateway),
        name: args.name,
        input,
        onNotice: (severity, message) => process.stderr.write(`${severity}: ${message}\n`),
      });
      process.stdout.write(formatResults(results, output));
    } catch (error) {
      // With --output json a script reads the failure on stdout too, in one shape.
      if (output === 'json' && (error instanceof SqlError || error instanceof HoopError)) {
        process.stdout.write(formatJsonError(error));
      }
      if (error instanceof SqlError) {
        process.stderr.write(`${formatSqlError(error)}\n`);
        this.exit(error.exitCode);
      }
      throw error;
    }
  }
}
