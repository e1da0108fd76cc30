import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { formatApiKeyEntry, parseKeyIdentity } from '../../../src/cli/api-key-entry.js';
import { parseConfig } from '../../../src/server/config/index.js';

const HASH = `sha256:${'ab'.repeat(32)}`;

describe('parseKeyIdentity', () => {
  it('splits groups on commas, trimming and dropping blanks and repeats', () => {
    assert.deepEqual(parseKeyIdentity('agent-1', ' agents, ci ,,agents'), {
      name: 'agent-1',
      groups: ['agents', 'ci'],
    });
  });

  it('refuses names the config would refuse, with HOOP_USAGE (exit 2)', () => {
    for (const name of ['', 'agent 1', '-x', '.x', 'a/b', 'é']) {
      assert.throws(
        () => parseKeyIdentity(name, 'g'),
        (error: Error & { exitCode?: number }) => {
          assert.equal(error.exitCode, 2);
          assert.match(error.message, /--name/);
          return true;
        },
      );
    }
  });

  it('refuses an empty group list', () => {
    assert.throws(() => parseKeyIdentity('a', ' ,, '), { code: 'HOOP_USAGE', message: /--groups/ });
  });
});

describe('formatApiKeyEntry', () => {
  it('prints a list item with the groups inline', () => {
    assert.equal(
      formatApiKeyEntry({ name: 'agent-1', groups: ['agents', 'ci'], keyHash: HASH }),
      `- name: agent-1\n  groups: [agents, ci]\n  keyHash: ${HASH}`,
    );
  });

  it('quotes values YAML would read as another type or as syntax', () => {
    const entry = {
      name: 'true',
      groups: ['1e3', 'null', 'a: b', '#x', '[y]', 'yes'],
      keyHash: HASH,
    };
    assert.deepEqual(parse(formatApiKeyEntry(entry)), [entry]);
  });

  it('loads as an auth.apiKeys entry of a real config', () => {
    const entry = { name: '007', groups: ['on', 'agents'], keyHash: HASH };
    const indented = formatApiKeyEntry(entry)
      .split('\n')
      .map((line) => `    ${line}`);
    const config = parseConfig(['auth:', '  apiKeys:', ...indented].join('\n'), { env: {} });
    assert.deepEqual(config.auth.apiKeys, [entry]);
  });
});
