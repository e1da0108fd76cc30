import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import net from 'node:net';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { buildCancelRequest } from '../../src/server/protocols/postgres/protocol/index.js';
import { dial, startLocalListener, type LocalListener } from '../../src/tunnel/index.js';
import { tool } from '../helpers/tools.js';
import { postgresConnection, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startPostgres, type PgInstance } from '../helpers/postgres.js';

const execFileAsync = promisify(execFile);

/**
 * Target connection reuse with real parts: a PostgreSQL that demands SCRAM,
 * the gateway in this process with a policy, tunnel listeners in this process
 * (one per identity), and the `pg` driver and psql as clients. A session that
 * ends cleanly leaves its backend, reset, to the next session of the same
 * identity; anything else closes it as before.
 */
describe('postgres target connection reuse', () => {
  let postgres: PgInstance;
  let gw: TestGateway;
  let admin: pg.Client;
  const listeners: LocalListener[] = [];
  const ports: Record<string, number> = {};

  before(async () => {
    postgres = await startPostgres({ authMethod: 'scram-sha-256', password: 'target-secret-p00l' });
    admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    await admin.query('create table items (id int primary key)');
    gw = await startTestGateway({
      connections: postgresConnection(postgres),
      keys: [
        { name: 'agent-1', groups: ['agents'] },
        { name: 'agent-2', groups: ['agents'] },
      ],
      env: { PG_PASSWORD: postgres.password },
      policy: [
        { name: 'no-drops', match: { statements: ['drop'] }, effect: 'deny' },
        { name: 'agents', match: { groups: ['agents'] }, effect: 'allow' },
      ],
    });
    const url = `${gw.url.replace(/^http/, 'ws')}/api/tunnel/pg`;
    for (const [who, token] of Object.entries(gw.keys)) {
      const listener = await startLocalListener({
        host: '127.0.0.1',
        port: 0,
        dial: () => dial({ url, token }),
      });
      listeners.push(listener);
      ports[who] = listener.address.port;
    }
  });

  after(async () => {
    for (const listener of listeners) await listener.close();
    await admin?.end();
    await gw?.close();
    await postgres?.stop();
  });

  const open = async (
    who = 'agent-1',
    options: Partial<pg.ClientConfig> = {},
  ): Promise<{ client: pg.Client; pid: number; parameters: Map<string, string> }> => {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: ports[who],
      user: 'whoever',
      database: postgres.database,
      ...options,
    });
    // What the client is told at start-up (and later), as the driver sees it.
    const parameters = new Map<string, string>();
    const connection = (
      client as unknown as {
        connection: {
          on(
            event: string,
            fn: (m: { parameterName: string; parameterValue: string }) => void,
          ): void;
        };
      }
    ).connection;
    connection.on('parameterStatus', (m) => parameters.set(m.parameterName, m.parameterValue));
    await client.connect();
    return { client, pid: await backendPid(client), parameters };
  };

  /** The gateway-issued BackendKeyData the driver keeps (not in its typings). */
  const cancelKey = (client: pg.Client): { processID: number; secretKey: number } => {
    const { processID, secretKey } = client as unknown as { processID: number; secretKey: number };
    return { processID, secretKey };
  };

  const backendPid = async (client: pg.Client): Promise<number> =>
    (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;

  /** True once the backend `pid` is gone from the server, within a few seconds. */
  const backendGone = async (pid: number): Promise<boolean> => {
    for (let i = 0; i < 100; i++) {
      const { rows } = await admin.query('select 1 from pg_stat_activity where pid = $1', [pid]);
      if (rows.length === 0) return true;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return false;
  };

  it('gives the next session of the same identity the same backend, with nothing of the last session left', async () => {
    const first = await open();
    const original = first.parameters.get('TimeZone');
    assert.ok(original && original !== 'Asia/Tokyo');
    await first.client.query("set work_mem = '7MB'");
    await first.client.query("set timezone = 'Asia/Tokyo'");
    await first.client.query('create temp table scratch (x int)');
    await first.client.query('prepare leftover as select 1');
    await first.client.query('listen hoop_channel');
    await first.client.query('select pg_advisory_lock(4242)');
    assert.equal(first.parameters.get('TimeZone'), 'Asia/Tokyo', 'reported to the client');
    assert.equal(
      (await first.client.query('show timezone')).rows[0].TimeZone,
      'Asia/Tokyo',
      'the SET took',
    );
    await first.client.end();

    const second = await open();
    try {
      assert.equal(second.pid, first.pid, 'the backend is reused');
      const state = await second.client.query<Record<string, string | number | null>>(
        `select current_setting('work_mem') as work_mem,
                current_setting('timezone') as timezone,
                to_regclass('pg_temp.scratch')::text as scratch,
                (select count(*)::int from pg_prepared_statements) as prepared,
                (select count(*)::int from pg_listening_channels()) as listening`,
      );
      assert.deepEqual(state.rows[0], {
        work_mem: '4MB',
        timezone: original,
        scratch: null,
        prepared: 0,
        listening: 0,
      });
      const locks = await admin.query(
        "select 1 from pg_locks where locktype = 'advisory' and pid = $1",
        [first.pid],
      );
      assert.equal(locks.rows.length, 0, 'the session advisory lock was released');
      // The greeting told the client the parameters as the backend has them now.
      assert.equal(second.parameters.get('TimeZone'), original);
      assert.equal(second.parameters.get('application_name'), '');
      assert.ok(second.parameters.has('server_version'));
      assert.notDeepEqual(cancelKey(second.client), cancelKey(first.client), 'a new cancel key');
      await second.client.query('prepare leftover as select 2');
    } finally {
      await second.client.end();
    }
  });

  it('gives another identity another backend', async () => {
    const mine = await open('agent-1');
    await mine.client.end();
    const theirs = await open('agent-2');
    const again = await open('agent-1');
    try {
      assert.notEqual(theirs.pid, mine.pid);
      assert.equal(again.pid, mine.pid);
    } finally {
      await theirs.client.end();
      await again.client.end();
    }
  });

  it('keeps sessions with different application_name apart', async () => {
    const a = await open('agent-1', { application_name: 'app-a' });
    await a.client.end();
    const b = await open('agent-1', { application_name: 'app-b' });
    try {
      assert.notEqual(b.pid, a.pid);
      assert.equal(b.parameters.get('application_name'), 'app-b');
    } finally {
      await b.client.end();
    }
    const a2 = await open('agent-1', { application_name: 'app-a' });
    try {
      assert.equal(a2.pid, a.pid);
      assert.equal(a2.parameters.get('application_name'), 'app-a');
    } finally {
      await a2.client.end();
    }
  });

  it('does not reuse a backend whose session ended inside a transaction: its work is rolled back', async () => {
    const first = await open();
    await first.client.query('begin');
    await first.client.query('insert into items values (1)');
    await first.client.end();
    assert.ok(await backendGone(first.pid), 'the backend was closed');
    const { rows } = await admin.query('select count(*)::int as n from items');
    assert.equal(rows[0].n, 0, 'nothing was committed');
    const next = await open();
    try {
      assert.notEqual(next.pid, first.pid);
    } finally {
      await next.client.end();
    }
  });

  it('does not reuse a backend whose client vanished', async () => {
    const first = await open();
    first.client.on('error', () => {
      // Expected: the test cuts the client's own socket.
    });
    (first.client as unknown as { connection: { stream: net.Socket } }).connection.stream.destroy();
    assert.ok(await backendGone(first.pid), 'the backend was closed');
    const next = await open();
    try {
      assert.notEqual(next.pid, first.pid);
    } finally {
      await next.client.end();
    }
  });

  it('cancels a query on a reused backend', async () => {
    const first = await open();
    await first.client.end();
    const second = await open();
    try {
      assert.equal(second.pid, first.pid);
      const sleeping = second.client.query('select pg_sleep(30)').then(
        () => undefined,
        (error: { code?: string }) => error,
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      const { processID, secretKey } = cancelKey(second.client);
      await new Promise<void>((resolve, reject) => {
        const socket = net.connect(ports['agent-1']!, '127.0.0.1', () =>
          socket.end(buildCancelRequest(processID, secretKey)),
        );
        socket.on('close', () => resolve());
        socket.on('error', reject);
      });
      assert.equal((await sleeping)?.code, '57014');
      assert.equal(await backendPid(second.client), first.pid, 'the session goes on');
    } finally {
      await second.client.end();
    }
  });

  it('opens a fresh connection, with no error, when the target ended the parked backend', async () => {
    const first = await open();
    await first.client.end();
    // At once, and again after the backend is certainly gone.
    await admin.query('select pg_terminate_backend($1)', [first.pid]);
    const next = await open();
    try {
      assert.notEqual(next.pid, first.pid);
      assert.equal((await next.client.query('select 1 as one')).rows[0].one, 1);
    } finally {
      await next.client.end();
    }
    await admin.query('select pg_terminate_backend($1)', [next.pid]);
    assert.ok(await backendGone(next.pid));
    const third = await open();
    try {
      assert.notEqual(third.pid, next.pid);
      assert.equal((await third.client.query('select 1 as one')).rows[0].one, 1);
    } finally {
      await third.client.end();
    }
  });

  it('reuses the backend for psql sessions too', async () => {
    const run = async (sql: string): Promise<string> =>
      (
        await execFileAsync(
          tool('psql'),
          [`postgres://127.0.0.1:${ports['agent-1']}/${postgres.database}`, '-XAtc', sql],
          { env: { ...process.env, PGPASSWORD: '', PGAPPNAME: 'psql-pool' }, timeout: 30_000 },
        )
      ).stdout.trim();
    const first = await run('select pg_backend_pid()');
    const second = await run(
      "select pg_backend_pid() || ' ' || current_setting('application_name')",
    );
    assert.equal(second, `${first} psql-pool`);
  });

  it('closes parked connections when the gateway shuts down', async () => {
    const first = await open();
    await first.client.end();
    const { rows } = await admin.query('select 1 from pg_stat_activity where pid = $1', [
      first.pid,
    ]);
    assert.equal(rows.length, 1, 'parked');
    await gw.gateway.close();
    assert.ok(await backendGone(first.pid), 'the parked backend was closed');
  });
});
