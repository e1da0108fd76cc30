import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { waitForSignal } from '../cli/signals.js';
import { startDemo } from '../server/demo.js';
import { createLogger } from '../server/logger.js';

export default class Demo extends BaseCommand {
  static override description =
    'Start a self-contained demo: a gateway, a development identity provider with demo users, an agent key and a sample connection, and print what to try next';

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
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Demo);
    const demo = await startDemo({
      port: flags.port,
      idpPort: flags['idp-port'],
      logger: createLogger(flags.verbose ? 'info' : 'warn'),
      warn: (message) => process.stderr.write(`${message}\n`),
    });
    // Under `npm run demo` the binary is not on PATH yet; `npx hoop` finds it in the clone.
    const bin = process.env.npm_lifecycle_event ? `npx ${this.config.bin}` : this.config.bin;
    const agent = demo.idp.agents[0];
    const people = demo.idp.users.map(
      (user) => `${user.username} / ${user.password} (${user.groups.join(', ')})`,
    );
    this.log(
      [
        `hoop demo is running (store in ${demo.dir}). Press Ctrl-C to stop.`,
        '',
        'In another terminal, log in as a person:',
        `  export HOOP_GATEWAY=${demo.gateway.url}`,
        `  ${bin} login                      # demo users: ${people.join('; ')}`,
        `  ${bin} whoami`,
        `  ${bin} connect demo-echo          # then, in a third terminal: nc 127.0.0.1 8999`,
        '',
        'Or act as an agent with its API key:',
        `  HOOP_TOKEN=${demo.token} ${bin} connections`,
        ...(agent
          ? [
              '',
              `Agents can also use their own identity-provider token (client credentials: ${agent.clientId} / ${agent.clientSecret}):`,
              `  curl -s -u ${agent.clientId}:${agent.clientSecret} -d grant_type=client_credentials ${demo.idp.issuer}/token`,
            ]
          : []),
        '',
      ].join('\n'),
    );
    await waitForSignal();
    await demo.close();
  }
}
