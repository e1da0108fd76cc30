import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { jsonFlag } from '../../cli/flags.js';

export default class AuditPublicKey extends BaseCommand {
  static override description =
    'Print the public key (PEM) that verifies the gateway’s audit signatures, for `hoop audit verify --public-key` elsewhere';

  static override examples = [
    '<%= config.bin %> audit public-key --config hoop.yaml > gateway.pub',
    '<%= config.bin %> audit public-key --config hoop.yaml --json',
  ];

  static override flags = {
    ...jsonFlag,
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
    const { fingerprint, pem } = await auditPublicKey(flags.config);
    if (flags.json) {
      this.log(JSON.stringify({ fingerprint, pem }, null, 2));
      return;
    }
    process.stdout.write(pem);
    // On stderr, so that `> gateway.pub` keeps the PEM alone.
    process.stderr.write(
      `fingerprint ${fingerprint} (hoop audit verify prints the one it checked with)
`,
    );
  }
}
