import { Flags } from '@oclif/core';
import { formatApiKeyEntry, parseKeyIdentity } from '../../cli/api-key-entry.js';
import { BaseCommand } from '../../cli/base-command.js';
import { jsonFlag } from '../../cli/flags.js';
import { generateApiKey, hashApiKey } from '../../lib/api-key.js';

export default class KeysGenerate extends BaseCommand {
  static override description =
    'Create a machine identity: print a new random API key once, and the hoop.yaml lines holding only its hash';

  static override examples = [
    '<%= config.bin %> keys generate --name agent-1 --groups agents',
    '<%= config.bin %> keys generate --name ci --groups agents,ci --json',
  ];

  static override flags = {
    ...jsonFlag,
    name: Flags.string({ description: 'identity name', required: true }),
    groups: Flags.string({ description: 'comma-separated groups', required: true }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(KeysGenerate);
    const { name, groups } = parseKeyIdentity(flags.name, flags.groups);
    const key = generateApiKey();
    const keyHash = hashApiKey(key);
    const config = formatApiKeyEntry({ name, groups, keyHash });
    if (flags.json) {
      this.log(JSON.stringify({ name, groups, key, keyHash, config }, null, 2));
      return;
    }
    process.stderr.write(`API key for ${name} (shown once; give it to the agent as HOOP_TOKEN):\n`);
    this.log(key);
    process.stderr.write('\nAdd this under auth.apiKeys in hoop.yaml (it holds only the hash):\n');
    this.log(config);
  }
}
