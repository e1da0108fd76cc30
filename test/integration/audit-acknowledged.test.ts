import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { generateApiKey } from '../../src/lib/api-key.js';
import {
  BackendCode,
  buildBind,
  buildExecute,
  buildFlush,
  buildParse,
  buildQuery,
  buildSync,
} from '../../src/server/protocols/postgres/protocol/index.js';
import { runHoop, type RunningHoop } from '../helpers/cli.js';
import { PgWire, type Received } from '../helpers/pg-wire.js';
import { startPostgres, type PgInstance } from '../helpers/postgres.js';
import { startServerProcess, writeServerConfig } from '../helpers/server-process.js';

const completed = (tag: string) => (message: Received) =>
  message.message.type === 'commandComplete' && message.message.tag === tag;

/**
 * Every statement whose answer a client received is in the record, even
 * when the gateway is killed before the string or pipeline it belongs to
 * ends: a statement of a multi-statement simple Query (its CommandComplete
 * reaches the client long before the Query's ReadyForQuery) and each
 * Execute of an extended-protocol pipeline. The gateway is SIGKILLed while
 * the last statement sleeps; the restart replays the journal.
 */
describe('audit: every acknowledged statement survives a SIGKILL', () => {
  let postgres: PgInstance;
  let dir: string;
  let configFile: string;
  let db: string;
  const key = generateApiKey();
  let server: RunningHoop | undefined;

  before(async () => {
    postgres = await startPostgres();
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    await admin.query('create table acknowledged (x text)');
    await admin.end();
    ({ dir, db, configFile } = await writeServerConfig(postgres, key, 'hoop-audit-ack-'));
  });

  after(async () => {
    await server?.stop('SIGKILL');
    await postgres?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const startServer = (): Promise<{ running: RunningHoop; url: string }> =>
    startServerProcess(configFile, postgres);

  it('a multi-statement Query and a pipeline, killed in their last statement, are recorded', async () => {
    const first = await startServer();
    server = first.running;

    const simple = await PgWire.open(first.url, key, 'pg');
    const pipeline = await PgWire.open(first.url, key, 'pg');
    // The sleeps outlast the test: the gateway is killed while they run.
    const multi =
      "insert into acknowledged values ('simple'); select repeat('x', 300000); select pg_sleep(60)";
    simple.send(buildQuery(multi));
    const inserts = [1, 2, 3].map((n) => `insert into acknowledged values ('pipelined ${n}')`);
    const sleep = 'select pg_sleep(60)';
    const run = (sql: string): Buffer[] => [
      buildParse('', sql, []),
      buildBind('', '', []),
      buildExecute(''),
    ];
    // PostgreSQL sends what it answered at a Flush (a pipelining client's
    // way to read answers before its Sync), else only at the Sync.
    pipeline.send(...inserts.flatMap(run), buildFlush(), ...run(sleep), buildSync());
    // The INSERT's answer arrives while pg_sleep runs, flushed by PostgreSQL
    // with the first part of the long row (the rest waits in its send buffer).
    await simple.until(completed('INSERT 0 1'));
    const answered = await pipeline.until(completed('INSERT 0 1'), 3);
    assert.ok(!answered.some((message) => message.code === BackendCode.ReadyForQuery));

    first.running.child.kill('SIGKILL');
    await first.running.stop();
    simple.close();
    pipeline.close();

    // The restart replays the journal into the store before it listens.
    const second = await startServer();
    server = second.running;
    await second.running.stop();
    const sqlite = new SqliteDatabase(db, { readonly: true });
    const events = sqlite
      .prepare('select text, rows, detail from events order by session_id, seq')
      .all() as { text: string; rows: number | null; detail: string | null }[];
    sqlite.close();

    const query = events.find((event) => event.text === multi);
    assert.ok(query, `the Query is recorded: ${JSON.stringify(events.map((e) => e.text))}`);
    assert.deepEqual(JSON.parse(query.detail ?? 'null'), { unfinished: true });
    assert.equal(query.rows, 1, 'the rows of the statement that completed');
    assert.ok(!events.some((event) => event.text === sleep), 'the sleep never completed');
    for (const insert of inserts) {
      assert.ok(
        events.some((event) => event.text === insert),
        `${insert} is recorded: ${JSON.stringify(events.map((e) => e.text))}`,
      );
    }

    // The replayed record verifies (the killed sessions are open, not tampered).
    const verify = await runHoop(['audit', 'verify', '--config', configFile, '--json'], {
      PG_PASSWORD: 'unused',
    });
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    assert.equal((JSON.parse(verify.stdout) as { intact: boolean }).intact, true);
  });

  it('a multi-statement Query that ends is one event, with its rows summed', async () => {
    const running = await startServer();
    server = running.running;
    const wire = await PgWire.open(running.url, key, 'pg');
    const text =
      "insert into acknowledged values ('a'); select pg_sleep(0.2); insert into acknowledged values ('b')";
    wire.send(buildQuery(text));
    await wire.untilReady();
    wire.close();
    await running.running.stop();
    const sqlite = new SqliteDatabase(db, { readonly: true });
    const rows = sqlite.prepare('select rows, detail from events where text = ?').all(text) as {
      rows: number;
      detail: string | null;
    }[];
    sqlite.close();
    assert.deepEqual(rows, [{ rows: 3, detail: null }]);
  });
});
