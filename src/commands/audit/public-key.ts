import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';

export default class AuditPublicKey extends BaseCommand {
  static override description =
    'Print the public key (PEM) that verifies the gateway’s audit signatures, for `hoop audit verify --public-key` elsewhere';

  static override examples = [
    '<%= config.bin %> audit public-key --config hoop.yaml > gateway.pub',
  ];

  static override flags = {
    config: Flags.string({
      char: 'c',
      description: 'the gateway config file',
      default: 'hoop.yaml',
      env: 'HOOP_SERVER_CONFIG',
      helpValue: 'FILE',
    }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(AuditPublicKey);
    const { auditPublicKey } = await import('../../server/entry/audit-tools.js');
    process.stdout.write(await auditPublicKey(flags.config));
  }
}
