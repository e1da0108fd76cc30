import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { outputFormat } from '../cli/exec/argv.js';
import { OUTPUT_FORMATS } from '../cli/exec/format.js';
import { gatewayFlags } from '../cli/flags.js';

// bin/run.js runs plain `hoop exec` invocations without oclif (src/cli/exec/argv.ts): a flag
// added here must be added there too (test/unit/cli/exec-argv.test.ts checks).
export default class Exec extends BaseCommand {
  static override description =
    'Run one request on NAME through the gateway (policy, masking and recording apply) and print the result; SQL for postgres connections';

  static override examples = [
    '<%= config.bin %> exec pg-prod -i "select id, email from customers limit 5"',
    '<%= config.bin %> exec pg-prod -f report.sql --output csv > report.csv',
    'echo "select count(*) from orders" | <%= config.bin %> exec pg-prod --output json',
    '<%= config.bin %> exec pg-prod --review rev_01h…',
  ];

  static override args = { name: Args.string({ description: 'connection name', required: true }) };

  static override flags = {
    ...gatewayFlags,
    input: Flags.string({ char: 'i', description: 'the request to run', exclusive: ['file'] }),
    file: Flags.string({ char: 'f', description: 'read the request from FILE (- for stdin)' }),
    output: Flags.string({
      char: 'o',
      description:
        'output format (default: table); json is described by schema/exec-output.schema.json',
      options: [...OUTPUT_FORMATS],
    }),
    json: Flags.boolean({ description: 'print JSON for scripts: the same as --output json' }),
    wait: Flags.boolean({
      description:
        'when the request needs a review, wait for it (and print the result) instead of exiting 4',
      exclusive: ['review'],
    }),
    review: Flags.string({
      description:
        'run what review ID approved, once: without -i, -f or stdin its own text; other text is refused',
      helpValue: 'ID',
    }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Exec);
    // Loaded here so that listing commands or `--help` does not load the pg driver and the tunnel.
    const { runExecCommand } = await import('../cli/exec/main.js');
    const exitCode = await runExecCommand({
      name: args.name,
      input: flags.input,
      file: flags.file,
      output: outputFormat(flags.output, flags.json),
      gateway: flags.gateway,
      review: flags.review,
      wait: flags.wait,
    });
    if (exitCode !== 0) this.exit(exitCode);
  }
}
