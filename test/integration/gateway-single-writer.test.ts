import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import { generateApiKey } from '../../src/lib/api-key.js';
import { buildQuery } from '../../src/server/protocols/postgres/protocol/index.js';
import { runHoop, type RunningHoop } from '../helpers/cli.js';
import { PgWire } from '../helpers/pg-wire.js';
import { startPostgres, type PgInstance } from '../helpers/postgres.js';
import { startServerProcess, writeServerConfig } from '../helpers/server-process.js';

/**
 * Regression: a second `hoop server` on the same config replayed and
 * emptied the live gateway's journal and closed its open session in the
 * record as `gateway_restart` before it failed on the port. Now it is
 * refused before it touches the store or the journal, naming the running
 * gateway, and the first one's records are untouched; a lock a killed
 * gateway left behind does not stop the next start.
 */
describe('one gateway per store and journal', () => {
  let postgres: PgInstance;
  let dir: string;
  let configFile: string;
  let db: string;
  const key = generateApiKey();
  let server: RunningHoop | undefined;

  before(async () => {
    postgres = await startPostgres();
    ({ dir, db, configFile } = await writeServerConfig(postgres, key, 'hoop-one-writer-'));
  });

  after(async () => {
    await server?.stop('SIGKILL');
    await postgres?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const start = (): Promise<{ running: RunningHoop; url: string }> =>
    startServerProcess(configFile, postgres);

  it('a second gateway on the same config is refused, naming the first, which keeps its records', async () => {
    const first = await start();
    server = first.running;
    const wire = await PgWire.open(first.url, key, 'pg');
    wire.send(buildQuery('select 1 as before_second'));
    await wire.untilReady();

    const second = await runHoop(['server', '--config', configFile], {
      PG_PASSWORD: postgres.password,
    });
    assert.equal(second.code, 2, second.stdout + second.stderr);
    assert.match(second.stderr, /HOOP_STORE_LOCKED|in use by the gateway/);
    assert.match(second.stderr, new RegExp(`pid ${first.running.child.pid}`));
    assert.match(second.stderr, new RegExp(first.url.replace(/[.]/g, '\\.')));

    // The first gateway's session goes on, and ends as its client ends it.
    wire.send(buildQuery('select 2 as after_second'));
    await wire.untilReady();
    wire.close();
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(await first.running.stop('SIGTERM'), 0);

    const sqlite = new SqliteDatabase(db, { readonly: true });
    const sessions = sqlite.prepare('select close_reason as reason from sessions').all() as {
      reason: string;
    }[];
    const texts = (sqlite.prepare('select text from events').all() as { text: string }[]).map(
      (row) => row.text,
    );
    sqlite.close();
    assert.deepEqual(
      sessions.map((row) => row.reason),
      ['client_closed'],
    );
    assert.deepEqual(texts, ['select 1 as before_second', 'select 2 as after_second']);
    assert.equal(existsSync(`${db}.lock`), false, 'a stopped gateway leaves no lock');
  });

  it('a lock left by a killed gateway does not stop the next one', async () => {
    const first = await start();
    server = first.running;
    first.running.child.kill('SIGKILL');
    await first.running.stop();
    assert.equal(existsSync(`${db}.lock`), true);
    const next = await start();
    server = next.running;
    assert.equal(await next.running.stop('SIGTERM'), 0);
  });
});
