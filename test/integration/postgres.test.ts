import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import type { Gateway } from '../../src/server/gateway.js';
import {
  Framer,
  Writer,
  buildQuery,
  buildStartupMessage,
  buildTerminate,
  parseBackend,
} from '../../src/server/protocols/postgres/protocol/index.js';
import { tool } from '../helpers/tools.js';
import { spawnHoop, type RunningHoop } from '../helpers/cli.js';
import { postgresConnection, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startPostgres, type PgInstance } from '../helpers/postgres.js';

const execFileAsync = promisify(execFile);

/**
 * The PostgreSQL data path with real parts: a throwaway PostgreSQL that
 * demands SCRAM, the real gateway with a policy, the real `hoop connect`, and
 * psql and the `pg` driver as clients that know no password.
 */
describe('postgres connections', () => {
  let postgres: PgInstance;
  let gateway: Gateway;
  let gw: TestGateway;
  let connect: RunningHoop;
  let port: number;

  before(async () => {
    postgres = await startPostgres({ authMethod: 'scram-sha-256', password: 'target-secret-9f3k' });
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    await admin.query('create table customers (id int primary key, email text)');
    await admin.query("insert into customers values (1, 'jane@example.com')");
    await admin.end();
    gw = await startTestGateway({
      connections: postgresConnection(postgres),
      env: { PG_PASSWORD: postgres.password },
      policy: [
        {
          name: 'no-drops',
          match: { statements: ['drop', 'truncate'] },
          effect: 'deny',
          message: 'Dropping objects is not allowed',
        },
        { name: 'no-deletes', match: { statements: ['delete'] }, effect: 'deny' },
        { name: 'agents', match: { groups: ['agents'] }, effect: 'allow' },
      ],
    });
    gateway = gw.gateway;
    const key = gw.keys['agent-1'] ?? '';
    connect = spawnHoop(['connect', 'pg', '--port', '0'], {
      HOOP_GATEWAY: gateway.url,
      HOOP_TOKEN: key,
    });
    const [, bound] = await connect.waitFor(/^Forwarding \S+:(\d+) to /m);
    port = Number(bound);
  });

  after(async () => {
    await connect?.stop();
    await gw?.close();
    await postgres?.stop();
  });

  const client = async (options: Partial<pg.ClientConfig> = {}): Promise<pg.Client> => {
    // Any user name, no password: the tunnel is already authenticated.
    const c = new pg.Client({
      host: '127.0.0.1',
      port,
      user: 'whoever',
      database: postgres.database,
      ...options,
    });
    await c.connect();
    return c;
  };

  it('runs queries for psql without a password', async () => {
    // Asynchronously: the gateway runs in this process and must keep serving.
    const { stdout } = await execFileAsync(
      tool('psql'),
      [
        `postgres://127.0.0.1:${port}/${postgres.database}`,
        '-XAtc',
        'select count(*) from customers',
      ],
      { env: { ...process.env, PGPASSWORD: '', PGCONNECT_TIMEOUT: '10' }, timeout: 30_000 },
    );
    assert.equal(stdout.trim(), '1');
  });

  it('runs psql meta-commands and \\copy', async () => {
    const { stdout } = await execFileAsync(
      tool('psql'),
      [
        `postgres://127.0.0.1:${port}/${postgres.database}`,
        '-XAt',
        '-c',
        '\\dt',
        '-c',
        '\\copy customers to stdout',
      ],
      { env: { ...process.env, PGPASSWORD: '' }, timeout: 30_000 },
    );
    assert.match(stdout, /customers/);
    assert.match(stdout, /1\tjane@example.com/);
  });

  it('refuses a drop with SQLSTATE 42501 naming the rule, and the session stays usable', async () => {
    const c = await client();
    try {
      await assert.rejects(
        c.query('drop table customers'),
        (error: { code?: string; message: string }) => {
          assert.equal(error.code, '42501');
          assert.match(error.message, /no-drops/);
          assert.match(error.message, /Dropping objects is not allowed/);
          return true;
        },
      );
      const { rows } = await c.query('select id from customers');
      assert.deepEqual(rows, [{ id: 1 }]);
    } finally {
      await c.end();
    }
  });

  it('refuses a whole multi-statement string when one statement is denied', async () => {
    const c = await client();
    try {
      await assert.rejects(
        c.query("insert into customers values (2, 'x@example.com'); delete from customers"),
        { code: '42501' },
      );
      const { rows } = await c.query('select count(*)::int as n from customers');
      assert.deepEqual(rows, [{ n: 1 }], 'the allowed insert in the same string did not run');
    } finally {
      await c.end();
    }
  });

  it('keeps transaction semantics: a refused statement aborts the open transaction', async () => {
    const c = await client();
    try {
      await c.query('begin');
      await c.query("insert into customers values (3, 'y@example.com')");
      await assert.rejects(c.query('truncate customers'), { code: '42501' });
      await assert.rejects(c.query('select 1'), { code: '25P02' });
      await c.query('rollback');
      const { rows } = await c.query('select count(*)::int as n from customers');
      assert.deepEqual(rows, [{ n: 1 }]);
    } finally {
      await c.end();
    }
  });

  it('decides the extended protocol: parameters and prepared statements pass, a denied Parse fails', async () => {
    const c = await client();
    try {
      const { rows } = await c.query({
        name: 'by-id',
        text: 'select email from customers where id = $1',
        values: [1],
      });
      assert.deepEqual(rows, [{ email: 'jane@example.com' }]);
      const again = await c.query({
        name: 'by-id',
        text: 'select email from customers where id = $1',
        values: [1],
      });
      assert.equal(again.rowCount, 1);
      await assert.rejects(
        c.query('delete from customers where id = $1', [1]),
        (error: { code?: string; message: string }) => {
          assert.equal(error.code, '42501');
          assert.match(error.message, /no-deletes/);
          return true;
        },
      );
      const after = await c.query('select count(*)::int as n from customers where id = $1', [1]);
      assert.deepEqual(after.rows, [{ n: 1 }]);
    } finally {
      await c.end();
    }
  });

  it('carries application_name and reaches only the configured database', async () => {
    const c = await client({ application_name: 'hoop-test-app' });
    try {
      const { rows } = await c.query(
        "select current_setting('application_name') as name, current_database() as db",
      );
      assert.deepEqual(rows, [{ name: 'hoop-test-app', db: postgres.database }]);
    } finally {
      await c.end();
    }
    await assert.rejects(client({ database: 'postgres', user: 'someone' }), { code: '3D000' });
  });

  it('cancels a running query from psql (Ctrl-C sends a CancelRequest through a new tunnel)', async () => {
    const psql = spawn(
      tool('psql'),
      [`postgres://127.0.0.1:${port}/${postgres.database}`, '-Xc', 'select pg_sleep(30)'],
      {
        env: { ...process.env, PGPASSWORD: '' },
      },
    );
    let stderr = '';
    psql.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => psql.on('exit', resolve));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    psql.kill('SIGINT');
    const started = Date.now();
    const code = await exited;
    assert.ok(Date.now() - started < 10_000, 'the cancel took effect quickly');
    assert.notEqual(code, 0);
    assert.match(stderr, /canceling statement due to user request/);
  });

  it('never sends the target password or SCRAM material to the client', async () => {
    // A recording proxy between the driver and hoop connect keeps every byte the client receives.
    const received: Buffer[] = [];
    const recorder = net.createServer((socket) => {
      const upstream = net.connect(port, '127.0.0.1');
      socket.pipe(upstream);
      upstream.on('data', (chunk: Buffer) => received.push(chunk));
      upstream.pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    });
    await new Promise<void>((resolve) => recorder.listen(0, '127.0.0.1', resolve));
    try {
      const c = await client({
        port: (recorder.address() as net.AddressInfo).port,
        password: 'client-side-guess',
      });
      await c.query('select 1');
      await c.end();
    } finally {
      recorder.close();
    }
    const bytes = Buffer.concat(received).toString('latin1');
    assert.ok(bytes.length > 0);
    assert.ok(!bytes.includes(postgres.password), 'the password never reaches the client');
    assert.ok(
      !/SCRAM-SHA-256|r=[A-Za-z0-9+/]{20,}|v=[A-Za-z0-9+/=]{20,}/.test(bytes),
      'no SCRAM exchange reaches the client',
    );
  });

  it('refuses the fastpath FunctionCall message, which carries no SQL for policy to read', async () => {
    const socket = net.connect(port, '127.0.0.1');
    const framer = new Framer();
    const frames: ReturnType<typeof parseBackend>[] = [];
    socket.on('data', (chunk: Buffer) => {
      for (const frame of framer.push(chunk)) frames.push(parseBackend(frame));
    });
    const readyCount = () => frames.filter((m) => m.type === 'readyForQuery').length;
    const waitReady = async (n: number) => {
      for (let i = 0; i < 200 && readyCount() < n; i++) await new Promise((r) => setTimeout(r, 25));
      assert.equal(readyCount(), n, JSON.stringify(frames.map((m) => m.type)));
    };
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(buildStartupMessage({ user: 'whoever', database: postgres.database }));
    await waitReady(1);
    // FunctionCall (§55.7): 'F', length, function OID (2026 = pg_backend_pid), no formats, no arguments, text result.
    const call = new Writer()
      .startMessage(0x46)
      .int32(2026)
      .int16(0)
      .int16(0)
      .int16(0)
      .endMessage()
      .flush();
    socket.write(call);
    await waitReady(2);
    const error = frames.find((m) => m.type === 'errorResponse');
    assert.ok(error && error.type === 'errorResponse');
    assert.equal(error.fields.code, '42501');
    assert.match(error.fields.message ?? '', /fastpath FunctionCall/);
    assert.ok(!frames.some((m) => m.type === 'functionCallResponse'), 'the function did not run');
    socket.write(buildQuery('select 1'));
    await waitReady(3);
    assert.ok(
      frames.some((m) => m.type === 'dataRow'),
      'the session stays usable',
    );
    socket.end(buildTerminate());
  });

  it('records the session with its bytes', async () => {
    const sessions = await gateway.store.listSessions({ connection: 'pg' });
    assert.ok(sessions.length >= 5);
    assert.ok(sessions.some((session) => session.bytesUp > 0 && session.bytesDown > 0));
  });
});
