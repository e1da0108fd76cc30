import { BaseCommand } from '../cli/base-command.js';
import { gatewayFlags, jsonFlag } from '../cli/flags.js';
import { formatTable } from '../cli/output.js';
import { gatewayClient } from '../cli/session.js';

export default class Connections extends BaseCommand {
  static override description =
    'List the connections you may use, with their type and default local port';

  static override examples = [
    '<%= config.bin %> connections',
    '<%= config.bin %> connections --json',
  ];

  static override flags = { ...gatewayFlags, ...jsonFlag };

  async run(): Promise<void> {
    const { flags } = await this.parse(Connections);
    const connections = await (await gatewayClient(flags.gateway)).connections();
    if (flags.json) {
      this.log(JSON.stringify(connections, null, 2));
      return;
    }
    if (connections.length === 0) {
      process.stderr.write('No connections are open to your groups.\n');
      return;
    }
    this.log(
      formatTable(
        ['name', 'type', 'local port'],
        connections.map((c) => [c.name, c.type, String(c.localPort)]),
      ),
    );
  }
}
