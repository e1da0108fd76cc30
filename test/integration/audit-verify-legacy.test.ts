import assert from 'node:assert/strict';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import { runHoop } from '../helpers/cli.js';

const FIXTURE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/audit-v1');

interface VerifyJson {
  intact: boolean;
  sessions: number;
  events: number;
  sealed: number;
  problems: { kind: string; sessionId: string; seq: number }[];
}

/**
 * A store written before audit events became a tagged union
 * (test/fixtures/audit-v1) still verifies with `hoop audit verify`: read as
 * it is, and after the gateway's migrations ran on it; an edit of it is
 * still caught.
 */
describe('audit chain: a hoop-audit-v1 store verifies with the current code', () => {
  let dir: string;
  let db: string;
  let configFile: string;
  const key = path.join(FIXTURE, 'audit-key.pub');

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'hoop-audit-legacy-'));
    db = path.join(dir, 'hoop.db');
    configFile = path.join(dir, 'hoop.yaml');
    await copyFile(path.join(FIXTURE, 'hoop.db'), db);
    await writeFile(configFile, `listen: 127.0.0.1:0\nstore: sqlite:${db}\n`);
  });

  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const verify = async (): Promise<VerifyJson> => {
    const result = await runHoop([
      'audit',
      'verify',
      '--config',
      configFile,
      '--public-key',
      key,
      '--json',
    ]);
    assert.ok(result.code === 0 || result.code === 1, result.stderr);
    return JSON.parse(result.stdout) as VerifyJson;
  };

  it('verifies the store as written: 2 sessions, 14 events, both sealed', async () => {
    const report = await verify();
    assert.deepEqual(report.problems, []);
    assert.equal(report.intact, true);
    assert.equal(report.sessions, 2);
    assert.equal(report.events, 14);
    assert.equal(report.sealed, 2);
  });

  it('verifies it after the current migrations ran on it', async () => {
    const { openStore } = await import('../../src/server/store/index.js');
    const store = await openStore(`sqlite:${db}`);
    assert.equal((await store.listSessionIds()).length, 2);
    await store.close();
    const report = await verify();
    assert.deepEqual(report.problems, []);
    assert.equal(report.events, 14);
  });

  it('still reports an edit of a v1 event', async () => {
    const sqlite = new SqliteDatabase(db);
    sqlite.prepare("update events set text = 'select 1' where seq = 4").run();
    sqlite.close();
    const report = await verify();
    assert.equal(report.intact, false);
    // Seq 4 of each session is altered, and so each session's signed head (seq 7) no longer matches.
    assert.deepEqual(report.problems.map((problem) => `${problem.kind}@${problem.seq}`).sort(), [
      'altered@4',
      'altered@4',
      'signed_head_differs@7',
      'signed_head_differs@7',
    ]);
    await copyFile(path.join(FIXTURE, 'hoop.db'), db);
  });
});
