import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { waitForSignal } from '../cli/signals.js';
import { startDemo } from '../server/demo.js';
import { createLogger } from '../server/logger.js';

export default class Demo extends BaseCommand {
  static override description =
    'Start a self-contained demo: a gateway, a demo identity and a sample connection, and print what to try next';

  static override examples = ['<%= config.bin %> demo', '<%= config.bin %> demo --port 18009'];

  static override flags = {
    port: Flags.integer({ description: 'gateway port', default: 8009, min: 0, max: 65535 }),
    verbose: Flags.boolean({ description: 'print the gateway logs', default: false }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Demo);
    const demo = await startDemo({
      port: flags.port,
      logger: createLogger(flags.verbose ? 'info' : 'warn'),
    });
    // Under `npm run demo` the binary is not on PATH yet; `npx hoop` finds it in the clone.
    const bin = process.env.npm_lifecycle_event ? `npx ${this.config.bin}` : this.config.bin;
    this.log(
      [
        `hoop demo is running (store in ${demo.dir}). Press Ctrl-C to stop.`,
        '',
        'In another terminal, act as the demo agent:',
        `  export HOOP_GATEWAY=${demo.gateway.url}`,
        `  export HOOP_TOKEN=${demo.token}`,
        `  ${bin} connections`,
        `  ${bin} connect demo-echo          # then, in a third terminal: nc 127.0.0.1 8999`,
        '',
      ].join('\n'),
    );
    await waitForSignal();
    await demo.close();
  }
}
