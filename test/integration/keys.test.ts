// `hoop keys generate` (run `npm run build` first): the key is printed once,
// the config holds only its hash, and a gateway configured with the printed
// lines accepts the key.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { parse } from 'yaml';
import { parseConfig } from '../../src/server/config/index.js';
import { startGateway } from '../../src/server/gateway.js';
import { runHoop } from '../helpers/cli.js';

const KEY = /^hoop_[A-Za-z0-9_-]{43}$/;

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

interface GeneratedJson {
  name: string;
  groups: string[];
  key: string;
  keyHash: string;
  config: string;
}

describe('hoop keys generate', () => {
  it('prints the key once on stdout, then the YAML entry holding only its hash', async () => {
    const result = await runHoop([
      'keys',
      'generate',
      '--name',
      'agent-1',
      '--groups',
      'agents,ci',
    ]);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trimEnd().split('\n');
    const key = lines[0] ?? '';
    assert.match(key, KEY);
    assert.deepEqual(lines.slice(1), [
      '- name: agent-1',
      '  groups: [agents, ci]',
      `  keyHash: sha256:${sha256(key)}`,
    ]);
    assert.equal(result.stdout.split(key).length - 1, 1, 'the key is printed exactly once');
    // What to do with each part goes to stderr, so `> file` captures only data.
    assert.match(result.stderr, /shown once/);
    assert.match(result.stderr, /auth\.apiKeys/);
    assert.ok(!result.stderr.includes(key));
  });

  it('prints one JSON object with --json', async () => {
    const result = await runHoop([
      'keys',
      'generate',
      '--name',
      'ci-bot',
      '--groups',
      ' agents , ci,,agents ',
      '--json',
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, '');
    const json = JSON.parse(result.stdout) as GeneratedJson;
    assert.deepEqual(Object.keys(json).sort(), ['config', 'groups', 'key', 'keyHash', 'name']);
    assert.equal(json.name, 'ci-bot');
    assert.deepEqual(json.groups, ['agents', 'ci']);
    assert.match(json.key, KEY);
    assert.equal(json.keyHash, `sha256:${sha256(json.key)}`);
    assert.deepEqual(parse(json.config), [
      { name: 'ci-bot', groups: ['agents', 'ci'], keyHash: json.keyHash },
    ]);
    assert.ok(!json.config.includes(json.key), 'the config holds the hash only');
  });

  it('gives a different key each run', async () => {
    const runs = await Promise.all(
      [1, 2, 3].map(() => runHoop(['keys', 'generate', '--name', 'a', '--groups', 'g', '--json'])),
    );
    const keys = runs.map((run) => (JSON.parse(run.stdout) as GeneratedJson).key);
    assert.equal(new Set(keys).size, 3);
  });

  it('quotes values YAML would misread, so the entry always loads', async () => {
    const result = await runHoop([
      'keys',
      'generate',
      '--name',
      'true',
      '--groups',
      '1e3,null,a: b,#ops',
      '--json',
    ]);
    assert.equal(result.code, 0, result.stderr);
    const json = JSON.parse(result.stdout) as GeneratedJson;
    assert.deepEqual(parse(json.config), [
      { name: 'true', groups: ['1e3', 'null', 'a: b', '#ops'], keyHash: json.keyHash },
    ]);
  });

  it('produces lines that, pasted into hoop.yaml, let the key list connections', async () => {
    const generated = await runHoop([
      'keys',
      'generate',
      '--name',
      'agent-1',
      '--groups',
      'agents',
    ]);
    assert.equal(generated.code, 0, generated.stderr);
    const [key, ...entry] = generated.stdout.trimEnd().split('\n');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'hoop-keys-'));
    const config = parseConfig(
      [
        'listen: 127.0.0.1:0',
        `store: sqlite:${path.join(dir, 'hoop.db')}`,
        'auth:',
        '  apiKeys:',
        ...entry.map((line) => `    ${line}`),
        'connections:',
        '  - { name: echo, type: tcp, host: 127.0.0.1, port: 9, groups: [agents] }',
        '  - { name: other, type: tcp, host: 127.0.0.1, port: 9, groups: [dba] }',
      ].join('\n'),
      { file: path.join(dir, 'hoop.yaml') },
    );
    const gateway = await startGateway({ config, logger: pino({ level: 'silent' }) });
    try {
      const cli = await runHoop(['connections', '--json'], {
        HOOP_GATEWAY: gateway.url,
        HOOP_TOKEN: key ?? '',
      });
      assert.equal(cli.code, 0, cli.stderr);
      assert.deepEqual(JSON.parse(cli.stdout), [{ name: 'echo', type: 'tcp', localPort: 8999 }]);

      const whoami = await fetch(`${gateway.url}/api/whoami`, {
        headers: { authorization: `Bearer ${key}` },
      });
      assert.deepEqual(await whoami.json(), {
        subject: 'apikey:agent-1',
        name: 'agent-1',
        kind: 'agent',
        method: 'apikey',
        groups: ['agents'],
      });
    } finally {
      await gateway.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  for (const [what, args] of [
    ['a name with a space', ['--name', 'agent 1', '--groups', 'agents']],
    ['a name starting with a dot', ['--name', '.hidden', '--groups', 'agents']],
    ['no groups', ['--name', 'agent-1', '--groups', ' , ']],
    ['a missing --name', ['--groups', 'agents']],
    ['an unknown flag', ['--name', 'a', '--groups', 'b', '--bogus']],
  ] as const) {
    it(`exits 2 for ${what}, printing no key`, async () => {
      const result = await runHoop(['keys', 'generate', ...args]);
      assert.equal(result.code, 2, JSON.stringify(result));
      assert.equal(result.stdout, '');
      assert.doesNotMatch(result.stderr, /hoop_/);
      const lines = result.stderr.trimEnd().split('\n');
      assert.match(lines[0] ?? '', /^Error: /);
      assert.ok(lines.length >= 2, 'an advice line follows');
    });
  }
});
