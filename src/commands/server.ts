import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { loadConfig } from '../server/config/index.js';
import { startGateway } from '../server/gateway.js';

export default class Server extends BaseCommand {
  static override description = 'Run the gateway';

  static override examples = ['<%= config.bin %> server --config hoop.yaml'];

  static override flags = {
    config: Flags.string({
      char: 'c',
      description: 'gateway config file',
      default: 'hoop.yaml',
      env: 'HOOP_SERVER_CONFIG',
    }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Server);
    const config = await loadConfig(flags.config);
    const gateway = await startGateway({ config });
    process.stderr.write(`hoop gateway listening on ${gateway.url}\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await gateway.close();
  }
}
