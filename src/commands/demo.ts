import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { jsonFlag } from '../cli/flags.js';
import { waitForSignal } from '../cli/signals.js';

export default class Demo extends BaseCommand {
  static override description =
    'Start a self-contained demo: a gateway, a development identity provider with demo users, an agent key, a throwaway PostgreSQL with sample personal data behind a masking policy, and print what to try next';

  static override examples = [
    '<%= config.bin %> demo',
    '<%= config.bin %> demo --port 18009 --idp-port 18010',
  ];

  static override flags = {
    port: Flags.integer({ description: 'gateway port', default: 8009, min: 0, max: 65535 }),
    'idp-port': Flags.integer({
      description: 'development identity provider port',
      default: 8010,
      min: 0,
      max: 65535,
    }),
    verbose: Flags.boolean({ description: 'print the gateway logs', default: false }),
    ...jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Demo);
    // The gateway's modules load only for this command, not at every CLI start.
    const { startDemo, demoGuide, demoCast, createLogger } =
      await import('../server/entry/demo.js');
    // Listening before the start-up (initdb takes seconds) means a Ctrl-C then still stops PostgreSQL.
    const signal = waitForSignal();
    const demo = await startDemo({
      port: flags.port,
      idpPort: flags['idp-port'],
      logger: createLogger(flags.verbose ? 'info' : 'warn'),
      warn: (message) => process.stderr.write(`${message}\n`),
    });
    // Under `npm run demo` the binary is not on PATH yet; `npx hoop` finds it in the clone.
    const bin = process.env.npm_lifecycle_event ? `npx ${this.config.bin}` : this.config.bin;
    if (flags.json) {
      // One line for a script on stdout; the guide for people on stderr.
      process.stderr.write(demoGuide(demo, bin));
      this.log(
        JSON.stringify({
          gateway: demo.gateway.url,
          identityProvider: demo.idp.issuer,
          token: demo.token,
          configFile: demo.configFile,
          policyFile: demo.policyFile,
          dir: demo.dir,
          postgres: demo.postgres
            ? { port: demo.postgres.port, database: demo.postgres.database }
            : null,
          users: demo.idp.users.map((user) => ({
            username: user.username,
            password: user.password,
            groups: user.groups,
          })),
          cast: demoCast(demo),
        }),
      );
    } else {
      this.log(demoGuide(demo, bin));
    }
    await signal;
    process.stderr.write('Stopping the demo…\n');
    // A second Ctrl-C ends the process at once; exiting (rather than dying of the
    // signal) still runs the synchronous clean-up that stops PostgreSQL.
    for (const name of ['SIGINT', 'SIGTERM'] as const) {
      process.once(name, () => process.exit(name === 'SIGINT' ? 130 : 143));
    }
    await demo.close();
    process.stderr.write(
      `hoop demo stopped: the gateway, the identity provider${demo.postgres ? ' and PostgreSQL' : ''} are down, and ${demo.dir} is removed.\n`,
    );
  }
}
