import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { jsonFlag } from '../../cli/flags.js';
import { generateApiKey, hashApiKey } from '../../lib/api-key.js';

export default class KeysGenerate extends BaseCommand {
  static override description =
    'Create a machine identity: print a new random API key once, and the hoop.yaml lines holding only its hash';

  static override examples = ['<%= config.bin %> keys generate --name agent-1 --groups agents'];

  static override flags = {
    ...jsonFlag,
    name: Flags.string({ description: 'identity name', required: true }),
    groups: Flags.string({ description: 'comma-separated groups', required: true }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(KeysGenerate);
    if (!/^[a-z0-9][a-z0-9._-]*$/i.test(flags.name)) {
      this.error(
        '--name may hold letters, digits, ".", "_" and "-", starting with a letter or digit',
        { exit: 2 },
      );
    }
    const groups = flags.groups
      .split(',')
      .map((group) => group.trim())
      .filter(Boolean);
    if (groups.length === 0) this.error('--groups needs at least one group', { exit: 2 });
    const key = generateApiKey();
    const keyHash = hashApiKey(key);
    const config = [
      `- name: ${flags.name}`,
      `  groups: [${groups.join(', ')}]`,
      `  keyHash: ${keyHash}`,
    ].join('\n');
    if (flags.json) {
      this.log(JSON.stringify({ name: flags.name, groups, key, keyHash, config }, null, 2));
      return;
    }
    process.stderr.write(
      `API key for ${flags.name} (shown once; give it to the agent as HOOP_TOKEN):\n`,
    );
    this.log(key);
    process.stderr.write('\nAdd this under auth.apiKeys in hoop.yaml (it holds only the hash):\n');
    this.log(config);
  }
}
