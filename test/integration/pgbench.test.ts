import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { accessSync, constants, readdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import pg from 'pg';
import type { Gateway } from '../../src/server/gateway.js';
import { postgresConnection, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { spawnHoop, type RunningHoop } from '../helpers/cli.js';
import { startPostgres, type PgInstance } from '../helpers/postgres.js';

const execFileAsync = promisify(execFile);

/**
 * pgbench, PostgreSQL's own load generator, through the whole data path: a
 * throwaway PostgreSQL that demands SCRAM, the gateway (in this process, so
 * pgbench runs as an asynchronous child) with a policy, and the real
 * `hoop connect`. pgbench speaks the simple and the extended protocol, COPY
 * FROM STDIN, VACUUM and multi-statement transactions: a wide sample of what
 * real clients send.
 */
describe('pgbench through hoop connect', () => {
  let postgres: PgInstance;
  let gateway: Gateway;
  let gw: TestGateway;
  let connect: RunningHoop;
  let port: number;
  let key: string;
  let pgbenchPath: string;

  before(async () => {
    pgbenchPath = findPgbench();
    postgres = await startPostgres({
      authMethod: 'scram-sha-256',
      password: 'target-secret-b3nch',
    });
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    await admin.query('create table customers (id int primary key, email text)');
    await admin.end();
    gw = await startTestGateway({
      connections: postgresConnection(postgres),
      env: { PG_PASSWORD: postgres.password },
      policy: [
        // pgbench -i drops its own pgbench_* tables first, so the rule names a table it never touches.
        {
          name: 'keep-customers',
          match: { statements: ['drop'], tables: ['customers'] },
          effect: 'deny',
        },
        { name: 'agents', match: { groups: ['agents'] }, effect: 'allow' },
      ],
    });
    gateway = gw.gateway;
    key = gw.keys['agent-1'] ?? '';
    connect = spawnHoop(['connect', 'pg', '--port', '0'], {
      HOOP_GATEWAY: gateway.url,
      HOOP_TOKEN: key,
      HOOP_CONFIG_DIR: path.join(gw.dir, 'cli'),
    });
    const [, bound] = await connect.waitFor(/^Forwarding \S+:(\d+) to /m);
    port = Number(bound);
  });

  after(async () => {
    await connect?.stop();
    await gw?.close();
    await postgres?.stop();
  });

  /** Runs pgbench against the tunnel as a user with no password; rejects on a non-zero exit. */
  const pgbench = (args: string[]) =>
    // Asynchronously: the gateway runs in this process and must keep serving.
    execFileAsync(
      pgbenchPath,
      ['-h', '127.0.0.1', '-p', String(port), '-U', 'whoever', ...args, postgres.database],
      { env: { ...process.env, PGPASSWORD: '', PGCONNECT_TIMEOUT: '10' }, timeout: 120_000 },
    );

  /** The `processed: N/M` line pgbench prints after a run. */
  const processed = (stdout: string): { done: number; planned: number } => {
    const match = /number of transactions actually processed: (\d+)\/(\d+)/.exec(stdout);
    assert.ok(match, `pgbench reported no transactions:\n${stdout}`);
    return { done: Number(match[1]), planned: Number(match[2]) };
  };

  it('initialises the scale-1 tables (drop, create, COPY, vacuum, primary keys)', async () => {
    const { stderr } = await pgbench(['-i', '-s', '1']);
    assert.match(stderr, /done in [\d.]+ s/);
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    try {
      const { rows } = await admin.query('select count(*)::int as n from pgbench_accounts');
      assert.deepEqual(rows, [{ n: 100_000 }]);
    } finally {
      await admin.end();
    }
  });

  it('runs the select-only script on 4 clients with the simple protocol', async () => {
    const { stdout } = await pgbench(['-S', '-t', '200', '-c', '4']);
    assert.deepEqual(processed(stdout), { done: 800, planned: 800 });
  });

  it('runs the select-only script on 4 clients with prepared statements', async () => {
    const { stdout } = await pgbench(['-S', '-t', '200', '-c', '4', '-M', 'prepared']);
    assert.match(stdout, /query mode: prepared/);
    assert.deepEqual(processed(stdout), { done: 800, planned: 800 });
  });

  it('runs the TPC-B-like read-write script on 2 clients', async () => {
    const { stdout } = await pgbench(['-t', '50', '-c', '2']);
    assert.match(stdout, /TPC-B/);
    assert.deepEqual(processed(stdout), { done: 100, planned: 100 });
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    try {
      const { rows } = await admin.query('select count(*)::int as n from pgbench_history');
      assert.deepEqual(rows, [{ n: 100 }], 'every transaction committed its history row');
    } finally {
      await admin.end();
    }
  });

  it('still applies the deny rule pgbench never triggered', async () => {
    const c = new pg.Client({
      host: '127.0.0.1',
      port,
      user: 'whoever',
      database: postgres.database,
    });
    await c.connect();
    try {
      await assert.rejects(c.query('drop table customers'), { code: '42501' });
    } finally {
      await c.end();
    }
  });
});

/** pgbench on PATH, else in the newest /usr/lib/postgresql/N/bin; a missing binary fails the suite. */
function findPgbench(): string {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  let versions: string[] = [];
  try {
    versions = readdirSync('/usr/lib/postgresql');
  } catch {
    // No Debian-style PostgreSQL install; PATH alone decides.
  }
  versions.sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
  const found = [...dirs, ...versions.map((v) => path.join('/usr/lib/postgresql', v, 'bin'))]
    .map((d) => path.join(d, 'pgbench'))
    .find((file) => {
      try {
        accessSync(file, constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
  if (!found) {
    throw new Error(
      'pgbench was not found on PATH or in /usr/lib/postgresql/*/bin. Install it with ' +
        '`apt-get install -y postgresql-contrib` (or `apt-get install -y postgresql`).',
    );
  }
  return found;
}
