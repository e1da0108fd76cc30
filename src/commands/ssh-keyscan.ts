import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { jsonFlag } from '../cli/flags.js';
import { scanHostKeys } from '../cli/ssh-keyscan.js';

export default class SshKeyscan extends BaseCommand {
  static override description =
    "Print an SSH host's current keys, to check and paste as a connection's hostKey (nothing is trusted or stored)";

  static override examples = [
    '<%= config.bin %> ssh-keyscan 10.0.0.7',
    '<%= config.bin %> ssh-keyscan bastion.internal --port 2200',
  ];

  static override args = {
    host: Args.string({ description: 'host name or address', required: true }),
  };

  static override flags = {
    port: Flags.integer({ char: 'p', description: 'SSH port', default: 22, min: 1, max: 65535 }),
    ...jsonFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(SshKeyscan);
    const keys = await scanHostKeys(args.host, flags.port);
    if (flags.json) {
      this.log(JSON.stringify({ host: args.host, port: flags.port, keys }));
      return;
    }
    process.stderr.write(
      `Check a fingerprint against the host itself (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub) before pinning it:\n`,
    );
    for (const { key, fingerprint } of keys) {
      process.stderr.write(`  ${fingerprint}\n`);
      this.log(`hostKey: "${key}"`);
    }
  }
}
