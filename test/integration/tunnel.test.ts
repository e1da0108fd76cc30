import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import pg from 'pg';

import { tool } from '../helpers/tools.js';
import { runHoop } from '../helpers/cli.js';
import { startEchoServer, startTcpServer, type TestServer } from '../helpers/echo-server.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startMariaDb, type MariaDbInstance } from '../helpers/mariadb.js';
import { freePort } from '../helpers/ports.js';
import { startPostgres, type PgInstance } from '../helpers/postgres.js';
import {
  Digest,
  collect,
  connectTcp,
  endedSessions,
  exchange,
  hoopEnv,
  startConnect,
  type RunningConnect,
} from '../helpers/tunnel.js';

const execFileAsync = promisify(execFile);
const MiB = 1024 * 1024;

/**
 * `hoop connect` for `type: tcp` connections, end to end: the real CLI binary,
 * the real gateway, real targets and real clients (psql, pg, mysql2).
 */
describe('hoop connect: a tcp tunnel through the gateway', { timeout: 180_000 }, () => {
  let gw: TestGateway;
  let echo: TestServer;
  let counter: TestServer;
  let banner: TestServer;
  let postgres: PgInstance;
  let maria: MariaDbInstance;
  const running: RunningConnect[] = [];

  /** `hoop connect NAME`, stopped after the test file. */
  const connect = async (name: string, args: string[] = []): Promise<RunningConnect> => {
    const hoop = await startConnect(gw, name, args);
    running.push(hoop);
    return hoop;
  };

  before(async () => {
    [echo, postgres, maria] = await Promise.all([
      startEchoServer(),
      startPostgres({ authMethod: 'scram-sha-256' }),
      startMariaDb(),
    ]);
    // Reads until the client's FIN, then answers with the number of bytes and closes.
    counter = await startTcpServer((socket) => {
      let count = 0;
      socket.on('data', (chunk: Buffer) => (count += chunk.length));
      socket.on('end', () => socket.end(`${count}\n`));
    });
    // Speaks first and hangs up, as a server refusing service does.
    banner = await startTcpServer((socket) => {
      socket.resume();
      socket.end('hello from the target\n');
    });
    const tcp = (name: string, port: number): string =>
      `  - { name: ${name}, type: tcp, host: 127.0.0.1, port: ${port}, groups: [agents] }`;
    gw = await startTestGateway({
      connections: [
        tcp('echo', echo.port),
        tcp('echo-big', echo.port),
        tcp('echo-many', echo.port),
        tcp('echo-idle', echo.port),
        tcp('echo-stop', echo.port),
        tcp('counter', counter.port),
        tcp('banner', banner.port),
        tcp('pg', postgres.port),
        tcp('maria', maria.port),
      ].join('\n'),
      // Pings far more often than any test waits: idle and busy tunnels must both survive them.
      tunnel: '  pingInterval: 200ms',
    });
  });

  after(async () => {
    await Promise.all(running.map((hoop) => hoop.stop('SIGKILL')));
    await gw?.close();
    await Promise.all([
      echo?.close(),
      counter?.close(),
      banner?.close(),
      postgres?.stop(),
      maria?.stop(),
    ]);
  });

  it('echoes a round trip and records the session', async () => {
    const hoop = await connect('echo');
    assert.match(hoop.output().stdout, new RegExp(`Connect with: nc 127\\.0\\.0\\.1 ${hoop.port}`));
    assert.equal((await exchange(hoop.port, 'ping\n')).toString(), 'ping\n');
    const [session] = await endedSessions(gw.gateway.store, 'echo');
    assert.ok(session);
    assert.equal(session.identityName, 'agent-1');
    assert.equal(session.connectionType, 'tcp');
    assert.ok(session.endedAt && session.endedAt >= session.startedAt);
    assert.deepEqual(
      { up: session.bytesUp, down: session.bytesDown, reason: session.closeReason },
      { up: 5, down: 5, reason: 'client_closed' },
    );
  });

  it('carries 32 MiB each way byte-exact', async () => {
    const hoop = await connect('echo-big');
    const socket = await connectTcp(hoop.port);
    const sent = new Digest();
    const received = new Digest();
    socket.on('data', (chunk: Buffer) => received.update(chunk));
    const ended = once(socket, 'end');
    for (let offset = 0; offset < 32 * MiB; offset += 256 * 1024) {
      const chunk = randomBytes(256 * 1024);
      sent.update(chunk);
      if (!socket.write(chunk)) await once(socket, 'drain');
    }
    socket.end();
    await ended;
    socket.destroy();
    assert.equal(received.length, 32 * MiB);
    assert.equal(received.hex(), sent.hex());
    const [session] = await endedSessions(gw.gateway.store, 'echo-big');
    assert.deepEqual(
      { up: session?.bytesUp, down: session?.bytesDown, reason: session?.closeReason },
      { up: 32 * MiB, down: 32 * MiB, reason: 'client_closed' },
    );
  });

  it('half-closes: the target reads to the client’s FIN, then answers', async () => {
    const hoop = await connect('counter');
    const data = randomBytes(5 * MiB + 3);
    const socket = await connectTcp(hoop.port);
    const answer = collect(socket);
    socket.end(data);
    // The answer can only come after the FIN went through, and it still arrives.
    assert.equal((await answer).toString(), `${data.length}\n`);
    socket.destroy();
    const [session] = await endedSessions(gw.gateway.store, 'counter');
    assert.deepEqual(
      { up: session?.bytesUp, down: session?.bytesDown, reason: session?.closeReason },
      { up: data.length, down: `${data.length}\n`.length, reason: 'client_closed' },
    );
  });

  it('records target_closed when the target hangs up first, and the client still gets its bytes', async () => {
    const hoop = await connect('banner');
    const socket = await connectTcp(hoop.port);
    const answer = collect(socket);
    // The client learns of the target's FIN and may still write before it ends.
    assert.equal((await answer).toString(), 'hello from the target\n');
    socket.end('bye\n');
    const [session] = await endedSessions(gw.gateway.store, 'banner');
    assert.equal(session?.closeReason, 'target_closed');
    assert.equal(session?.bytesDown, 'hello from the target\n'.length);
  });

  it('serves psql against PostgreSQL', async () => {
    const hoop = await connect('pg');
    const url = `postgres://${postgres.user}:${postgres.password}@127.0.0.1:${hoop.port}/${postgres.database}`;
    const env = { ...process.env, PGCONNECT_TIMEOUT: '10' };
    const one = await execFileAsync(tool('psql'), [url, '-X', '-A', '-t', '-c', 'select 40 + 2'], {
      env,
      timeout: 30_000,
    });
    assert.equal(one.stdout.trim(), '42');
    // A result of several MiB, and a server-side wait far longer than the ping interval.
    const big = await execFileAsync(
      tool('psql'),
      [
        url,
        '-X',
        '-A',
        '-t',
        '-c',
        'select pg_sleep(1.5)',
        '-c',
        'select md5(i::text) from generate_series(1, 100000) i',
      ],
      { env, timeout: 30_000, maxBuffer: 64 * MiB },
    );
    // An empty line for pg_sleep's void, then one line per row.
    const lines = big.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 100_001);
    assert.equal(lines[0], '');
    assert.match(lines.at(-1) ?? '', /^[0-9a-f]{32}$/);
    const sessions = await endedSessions(gw.gateway.store, 'pg', { count: 2 });
    for (const session of sessions) {
      assert.ok(
        session.closeReason === 'client_closed' || session.closeReason === 'target_closed',
        `psql's session ended with ${session.closeReason}`,
      );
    }
    assert.ok(sessions.some((session) => session.bytesDown > 3 * MiB));
  });

  it('serves the pg driver, with a query longer than the keepalive interval', async () => {
    const hoop = await connect('pg', ['--bind', '127.0.0.1']);
    const client = new pg.Client({
      host: '127.0.0.1',
      port: hoop.port,
      user: postgres.user,
      password: postgres.password,
      database: postgres.database,
      connectionTimeoutMillis: 10_000,
    });
    await client.connect();
    try {
      const { rows } = await client.query(
        'select $1::int + 1 as n, current_user as who, pg_sleep(1.2) is null as slept',
        [41],
      );
      assert.deepEqual(rows, [{ n: 42, who: postgres.user, slept: false }]);
    } finally {
      await client.end();
    }
  });

  it('serves the mysql2 driver against MariaDB', async () => {
    const hoop = await connect('maria');
    const connection = await mysql.createConnection({
      host: '127.0.0.1',
      port: hoop.port,
      user: maria.user,
      password: maria.password,
      database: maria.database,
      connectTimeout: 10_000,
    });
    try {
      const [rows] = await connection.query('select 1 + 1 as two, database() as db');
      assert.deepEqual(rows, [{ two: 2, db: maria.database }]);
      const [many] = await connection.query(
        'select seq, md5(seq) as h from seq_1_to_20000 order by seq',
      );
      assert.equal((many as unknown[]).length, 20_000);
    } finally {
      await connection.end();
    }
    const [session] = await endedSessions(gw.gateway.store, 'maria');
    assert.ok(session && ['client_closed', 'target_closed'].includes(session.closeReason ?? ''));
    assert.ok((session?.bytesDown ?? 0) > 20_000 * 32);
  });

  it('carries 50 tunnels at once', async () => {
    const hoop = await connect('echo-many');
    const payloads = Array.from({ length: 50 }, (_, i) => randomBytes(64 * 1024 + i));
    const answers = await Promise.all(payloads.map((payload) => exchange(hoop.port, payload)));
    answers.forEach((answer, i) =>
      assert.ok(answer.equals(payloads[i] ?? Buffer.alloc(0)), `#${i}`),
    );
    const sessions = await endedSessions(gw.gateway.store, 'echo-many', { count: 50 });
    assert.equal(sessions.length, 50);
    assert.deepEqual(
      sessions.map((session) => session.bytesUp).sort((a, b) => a - b),
      payloads.map((payload) => payload.length),
    );
    assert.deepEqual(
      sessions.map((session) => session.closeReason).filter((r) => r !== 'client_closed'),
      [],
    );
  });

  it('keeps an idle tunnel open across many keepalive intervals', async () => {
    const hoop = await connect('echo-idle');
    const socket = await connectTcp(hoop.port);
    socket.write('before\n');
    assert.equal(((await once(socket, 'data')) as [Buffer])[0].toString(), 'before\n');
    await sleep(3_000);
    const [open] = await gw.gateway.store.listSessions({ connection: 'echo-idle' });
    assert.equal(open?.endedAt, undefined, 'the session is still open');
    socket.write('after\n');
    assert.equal(((await once(socket, 'data')) as [Buffer])[0].toString(), 'after\n');
    const answer = collect(socket);
    socket.end();
    await answer;
    const [session] = await endedSessions(gw.gateway.store, 'echo-idle');
    assert.equal(session?.closeReason, 'client_closed');
  });

  it('listens on --bind and --port', async () => {
    const port = await freePort();
    const hoop = await connect('echo', ['--bind', '127.0.0.1', '--port', String(port)]);
    assert.equal(hoop.port, port);
    assert.match(
      hoop.output().stdout,
      new RegExp(`^Forwarding 127\\.0\\.0\\.1:${port} to echo \\(tcp\\)`, 'm'),
    );
    assert.equal((await exchange(port, 'bound\n')).toString(), 'bound\n');
  });

  it('exits 2 with one line naming --port when the port is taken', async () => {
    const busy = net.createServer();
    busy.listen(0, '127.0.0.1');
    await once(busy, 'listening');
    const { port } = busy.address() as net.AddressInfo;
    try {
      const result = await runHoop(['connect', 'echo', '--port', String(port)], hoopEnv(gw));
      assert.equal(result.code, 2, result.stderr);
      const lines = result.stderr.trimEnd().split('\n');
      assert.match(
        lines[0] ?? '',
        new RegExp(`^Error: cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use$`),
      );
      assert.match(result.stderr, /--port/);
      assert.ok(lines.length <= 2, result.stderr);
      assert.equal(result.stdout, '');
    } finally {
      busy.close();
    }
  });

  it('exits 0 on Ctrl-C, closing open tunnels as client_shutdown', async () => {
    const hoop = await startConnect(gw, 'echo-stop');
    const sockets = await Promise.all([connectTcp(hoop.port), connectTcp(hoop.port)]);
    for (const socket of sockets) {
      socket.write('x');
      await once(socket, 'data');
    }
    // Each local client sees its connection end.
    const ended = sockets.map((socket) => collect(socket).catch(() => Buffer.alloc(0)));
    assert.equal(await hoop.stop('SIGINT'), 0);
    await Promise.all(ended);
    sockets.forEach((socket) => socket.destroy());
    const sessions = await endedSessions(gw.gateway.store, 'echo-stop', { count: 2 });
    assert.deepEqual(
      sessions.map((session) => session.closeReason),
      ['client_shutdown', 'client_shutdown'],
    );
  });
});
