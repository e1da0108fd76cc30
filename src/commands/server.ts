import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { waitForSignal } from '../cli/signals.js';

export default class Server extends BaseCommand {
  static override description =
    'Run the gateway; a config error is reported with its file, line and key, and nothing starts. ' +
    'The policy file, and the API keys and connections of the config, are reloaded when they change and on SIGHUP';

  static override examples = [
    '<%= config.bin %> server --config hoop.yaml',
    'PG_PROD_PASSWORD=… <%= config.bin %> server -c /etc/hoop/hoop.yaml',
  ];

  static override flags = {
    config: Flags.string({
      char: 'c',
      description: 'gateway config file',
      default: 'hoop.yaml',
      env: 'HOOP_SERVER_CONFIG',
      helpValue: 'FILE',
    }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Server);
    // The gateway's modules load only for this command, not at every CLI start.
    const { loadConfig, startGateway, createLogger } = await import('../server/entry/gateway.js');
    // Everything is checked before anything is opened: a bad config binds no port and creates no store.
    const config = await loadConfig(flags.config);
    const log = createLogger(config.log.level);
    // Listened for before the gateway starts: a signal while it starts (once its
    // lock is taken, its port bound) stops it gracefully as soon as it is up.
    const signalled = waitForSignal();
    const gateway = await startGateway({ config, logger: log });
    // stdout, so a script can read the address (with `listen: …:0`, the port the OS chose).
    this.log(`hoop gateway listening on ${gateway.url}`);
    process.stderr.write('Press Ctrl-C to stop.\n');
    // SIGHUP reloads the config's API keys and connections, and the policy file
    // (a broken file is refused and logged; the last good one stays).
    const onHangup = (): void => {
      void gateway.reloadConfig('SIGHUP');
      void gateway.reloadPolicy('SIGHUP');
    };
    process.on('SIGHUP', onHangup);
    const signal = await signalled;
    process.off('SIGHUP', onHangup);
    // A second signal while sessions end falls to Node's default: exit at once
    // (what clients were answered is in the audit journal, replayed at the next start).
    process.stderr.write(
      `${signal}: ending sessions (at most ${config.shutdown.timeoutMs / 1000} s) and closing the store; ${signal} again to stop at once…\n`,
    );
    await gateway.close();
    log.info({ event: 'gateway_stopped', signal }, 'gateway stopped');
    // Nothing that is left (a target login abandoned half-way) keeps a stopped gateway's process alive.
    process.exit(0);
  }
}
