import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { HoopError } from '../../../../src/lib/errors.js';
import { loadConfig } from '../../../../src/server/config/index.js';

let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'hoop-load-'));
});

after(() => rmSync(dir, { recursive: true, force: true }));

describe('loadConfig', () => {
  it('reads a file and resolves paths against its directory', async () => {
    const file = join(dir, 'hoop.yaml');
    writeFileSync(file, 'listen: :0\nstore: sqlite:state/hoop.db\npolicy: policy.yaml\n');
    const config = await loadConfig(file, { env: {} });
    assert.equal(config.file, file);
    assert.deepEqual(config.listen, { host: '0.0.0.0', port: 0 });
    assert.equal(config.store, `sqlite:${join(dir, 'state', 'hoop.db')}`);
    assert.equal(config.policy, join(dir, 'policy.yaml'));
  });

  it('names the file as given in located errors', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'listen: :8009\nlisen: :8010\n');
    await assert.rejects(loadConfig(file, { env: {} }), (error: unknown) => {
      assert.ok(error instanceof HoopError);
      assert.equal(error.code, 'HOOP_CONFIG_INVALID');
      assert.equal(error.message, `${file}:2:1: lisen: unknown key, did you mean \`listen\`?`);
      assert.equal(error.details?.file, file);
      return true;
    });
  });

  it('refuses a missing file, naming the path', async () => {
    const file = join(dir, 'nope.yaml');
    await assert.rejects(loadConfig(file), (error: unknown) => {
      assert.ok(error instanceof HoopError);
      assert.equal(error.code, 'HOOP_CONFIG_INVALID');
      assert.equal(error.message, `${file}: cannot read the config file: it does not exist`);
      assert.deepEqual(error.details, { file });
      return true;
    });
  });

  it('refuses a directory', async () => {
    await assert.rejects(loadConfig(dir), /cannot read the config file: it is a directory$/);
  });
});
