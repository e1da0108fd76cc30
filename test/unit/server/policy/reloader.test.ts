import assert from 'node:assert/strict';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';

import { HoopError } from '../../../../src/lib/errors.js';
import { PolicyReloader } from '../../../../src/server/policy/index.js';

const ALLOW = 'rules:\n  - name: everyone\n    match: {}\n    effect: allow\n';
const DENY = 'rules:\n  - name: no-one\n    match: {}\n    effect: deny\n';

async function settle(ms = 300): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

async function eventually(check: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail('timed out');
    await settle(20);
  }
}

describe('PolicyReloader', () => {
  let dir: string;
  const events: { event?: string; trigger?: string }[] = [];
  const log = pino(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n')) if (line) events.push(JSON.parse(line));
        done();
      },
    }),
  );

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'hoop-reloader-'));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses to open a broken file: nothing starts', async () => {
    const file = path.join(dir, 'broken.yaml');
    await writeFile(file, 'rules:\n  - name: a\n    match: {}\n    effect: alow\n');
    await assert.rejects(PolicyReloader.open({ file, log, watch: false }), (error: unknown) => {
      assert.ok(error instanceof HoopError);
      assert.equal(error.code, 'HOOP_POLICY_INVALID');
      assert.match(error.message, /broken\.yaml:4:5: rules\[0\]\.effect: /);
      return true;
    });
  });

  it('follows a save by rename, ignores other files in the directory', async () => {
    const sub = await mkdtemp(path.join(dir, 'watch-'));
    const file = path.join(sub, 'policy.yaml');
    await writeFile(file, ALLOW);
    const reloader = await PolicyReloader.open({ file, log, debounceMs: 20 });
    try {
      const first = reloader.current.hash;
      await writeFile(path.join(sub, 'notes.txt'), 'not a policy');
      await settle();
      assert.equal(reloader.status().lastReload, undefined, 'nothing reloaded');

      // Editors write a temporary file and rename it over the old one.
      await writeFile(path.join(sub, '.policy.yaml.swp'), DENY);
      await rename(path.join(sub, '.policy.yaml.swp'), file);
      await eventually(() => reloader.current.hash !== first);
      assert.equal(reloader.current.rules[0]?.name, 'no-one');
      assert.deepEqual(
        { ...reloader.status().lastReload, at: undefined },
        { at: undefined, trigger: 'file_change', ok: true },
      );
    } finally {
      reloader.close();
    }
  });

  it('keeps the last good policy when the file is gone or broken, and says why', async () => {
    const sub = await mkdtemp(path.join(dir, 'keep-'));
    const file = path.join(sub, 'policy.yaml');
    await writeFile(file, ALLOW);
    const reloader = await PolicyReloader.open({ file, log, watch: false });
    const good = reloader.current.hash;

    await rm(file);
    const gone = await reloader.reload('SIGHUP');
    assert.equal(gone.ok, false);
    assert.equal(reloader.current.hash, good);
    assert.match(reloader.status().lastReload?.error?.message ?? '', /cannot read the policy file/);

    await writeFile(file, 'rules: []\n');
    const broken = await reloader.reload('SIGHUP');
    assert.equal(broken.ok, false);
    assert.equal(reloader.current.hash, good);
    assert.ok(events.some((e) => e.event === 'policy_reload_failed' && e.trigger === 'SIGHUP'));

    await writeFile(file, ALLOW);
    assert.deepEqual(await reloader.reload('SIGHUP'), { ok: true, changed: false, hash: good });
    assert.equal(reloader.status().lastReload?.ok, true);
    reloader.close();
  });

  it('runs reloads one at a time, in the order asked', async () => {
    const sub = await mkdtemp(path.join(dir, 'order-'));
    const file = path.join(sub, 'policy.yaml');
    await writeFile(file, ALLOW);
    const reloader = await PolicyReloader.open({ file, log, watch: false });
    await writeFile(file, DENY);
    const results = await Promise.all([reloader.reload('a'), reloader.reload('b')]);
    assert.deepEqual(
      results.map((r) => r.ok && r.changed),
      [true, false],
    );
    assert.equal(reloader.status().lastReload?.trigger, 'b');
    reloader.close();
  });
});
