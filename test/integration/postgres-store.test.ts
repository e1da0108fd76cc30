import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import http from 'node:http';
import type { Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import pg from 'pg';
import { JOURNAL_FILE, readJournal } from '../../src/server/audit/index.js';
import { dial, startLocalListener, type LocalListener } from '../../src/tunnel/index.js';
import { tool } from '../helpers/tools.js';
import { postgresConnection, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startPostgres, type PgInstance } from '../helpers/postgres.js';
import { outageStore, type OutageStore } from '../helpers/store-outage.js';
import { eventually } from '../helpers/tunnel.js';

const execFileAsync = promisify(execFile);

/**
 * The gateway on a PostgreSQL store, with real parts: PostgreSQL (one
 * server holds the target database and the store's database, whose role a
 * test locks out to take the store away), the gateway in this process, a
 * tunnel listener in this process, psql and the `pg` driver.
 */
describe('gateway on a PostgreSQL store', () => {
  let postgres: PgInstance;
  const opened: { gw: TestGateway; listener: LocalListener }[] = [];

  before(async () => {
    postgres = await startPostgres({ password: 'target-secret-5h2k' });
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    await admin.query('create table items (id int primary key, label text)');
    await admin.query("insert into items values (1, 'one'), (2, 'two')");
    await admin.end();
  });

  after(async () => {
    for (const { gw, listener } of opened) {
      await listener.close();
      await gw.close();
    }
    await postgres?.stop();
  });

  /** A gateway with an allow-all policy for agents on `store`, and a local listener tunnelling to it. */
  async function gatewayOn(store: OutageStore, audit?: string) {
    const gw = await startTestGateway({
      connections: postgresConnection(postgres),
      env: { PG_PASSWORD: postgres.password, ...store.env },
      store: store.url,
      policy: [{ name: 'agents', match: { groups: ['agents'] }, effect: 'allow' }],
      ...(audit ? { audit } : {}),
    });
    const key = gw.keys['agent-1'] ?? '';
    const tunnel = `${gw.url.replace(/^http/, 'ws')}/api/tunnel/pg`;
    const listener = await startLocalListener({
      host: '127.0.0.1',
      port: 0,
      dial: () => dial({ url: tunnel, token: key }),
    });
    opened.push({ gw, listener });
    return { gw, listener, key };
  }

  async function pgClient(listener: LocalListener): Promise<pg.Client> {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: listener.address.port,
      user: 'whoever',
      database: postgres.database,
    });
    await client.connect();
    return client;
  }

  /** A tunnel upgrade as `hoop connect` sends it: the status and JSON body of a refusal. */
  async function upgrade(gw: TestGateway, key: string): Promise<{ status: number; body: string }> {
    const request = http.request(`${gw.url}/api/tunnel/pg`, {
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
        Authorization: `Bearer ${key}`,
      },
    });
    request.end();
    const response = await new Promise<http.IncomingMessage | undefined>((resolve, reject) => {
      request.once('response', resolve);
      request.once('upgrade', (_response, socket: Socket) => {
        socket.destroy();
        resolve(undefined);
      });
      request.once('error', reject);
    });
    if (!response) return { status: 101, body: '' };
    let body = '';
    for await (const chunk of response) body += String(chunk);
    return { status: response.statusCode ?? 0, body };
  }

  it('records a psql session in the PostgreSQL store', async () => {
    const store = await outageStore(postgres);
    const { gw, listener } = await gatewayOn(store);
    const { stdout } = await execFileAsync(
      tool('psql'),
      [
        `postgres://127.0.0.1:${listener.address.port}/${postgres.database}`,
        '-XAt',
        '-c',
        'select count(*) from items',
        '-c',
        'select label from items where id = 2',
      ],
      { env: { ...process.env, PGPASSWORD: '', PGCONNECT_TIMEOUT: '10' }, timeout: 30_000 },
    );
    assert.deepEqual(stdout.trim().split('\n'), ['2', 'two']);

    // Read from the store database itself, not through the gateway.
    let rows: { text: string; seq: number; close_reason: string | null }[] = [];
    await eventually(
      async () =>
        (rows = await store.query(
          `select e.text, e.seq, s.close_reason from events e join sessions s on s.id = e.session_id
           order by e.seq`,
        )).length === 2 && rows[0]?.close_reason !== null,
      () => `2 events of an ended session (have ${JSON.stringify(rows)})`,
    );
    assert.deepEqual(
      rows.map((row) => [row.seq, row.text, row.close_reason]),
      [
        [1, 'select count(*) from items', 'client_closed'],
        [2, 'select label from items where id = 2', 'client_closed'],
      ],
    );
    const [session] = await gw.gateway.store.listSessions({ connection: 'pg' });
    assert.equal(session?.connectionType, 'postgres');
    assert.equal((await gw.gateway.store.listEvents(session?.id ?? '')).length, 2);
  });

  it('close: with the store down, a new session is refused with 503 and an open one ends with FATAL 58000', async () => {
    const store = await outageStore(postgres);
    const journal = path.join(os.tmpdir(), `hoop-store-journal-${randomBytes(4).toString('hex')}`);
    const audit = `audit:\n  journal: ${journal}/audit.journal`;
    const { gw, listener, key } = await gatewayOn(store, audit);
    const client = await pgClient(listener);
    const fatal = new Promise<Error & { code?: string; severity?: string }>((resolve) =>
      client.on('error', resolve),
    );
    assert.equal((await client.query('select 1 as one')).rows[0]?.one, 1);
    const [session] = await gw.gateway.store.listSessions({ connection: 'pg' });
    assert.ok(session);
    // The store gets events in batches after the journal has them: cut it
    // only once it has the first, or that event's write is what fails.
    await eventually(
      async () => (await gw.gateway.store.listEvents(session.id)).length === 1,
      () => 'the first event in the store',
    );

    await store.cut();
    // No new session without a record of it: refused before the tunnel opens.
    const refused = await upgrade(gw, key);
    assert.equal(refused.status, 503);
    assert.equal(
      (JSON.parse(refused.body) as { error: { code: string } }).error.code,
      'HOOP_STORE_UNAVAILABLE',
    );
    // The open session's next statement cannot be recorded: the session ends.
    await client.query('select 2').catch(() => {});
    const error = await fatal;
    assert.equal(error.code, '58000');
    assert.equal(error.severity, 'FATAL');
    assert.equal(error.message, 'hoop: the audit store is unavailable; the session is closed');
    await assert.rejects(client.query('select 3'));
    await client.end().catch(() => {});

    await store.restore();
    // Back: sessions start again.
    await eventually(
      async () => (await upgrade(gw, key)).status === 101,
      () => 'a session accepted once the store is back',
    );
    // The events and end the store did not take are in the journal; the next
    // gateway on the same store replays them, so the record says why the session ended.
    await eventually(
      async () => gw.gateway.activeSessions === 0,
      () => 'the failed session ended',
    );
    const next = await gatewayOn(store, audit);
    const ended = await next.gw.gateway.store.getSession(session.id);
    assert.equal(ended?.closeReason, 'store_unavailable');
    assert.equal(ended?.closeDetail, 'hoop: the audit store is unavailable; the session is closed');
    const texts = (await next.gw.gateway.store.listEvents(session.id)).map((e) => e.text);
    assert.deepEqual(texts.slice(0, 2), ['select 1 as one', 'select 2']);
  });

  it('spool: statements keep working while the store is down, and their events reach it when it is back', async () => {
    const store = await outageStore(postgres);
    const dir = path.join(os.tmpdir(), `hoop-spool-${randomBytes(4).toString('hex')}`);
    const { gw, listener, key } = await gatewayOn(
      store,
      `audit:\n  onStoreFailure: spool\n  spool: { dir: ${dir}, maxBytes: 1048576 }`,
    );
    const client = await pgClient(listener);
    let failed: Error | undefined;
    client.on('error', (error) => (failed = error));
    try {
      await client.query('select 1');
      const [session] = await gw.gateway.store.listSessions({ connection: 'pg' });
      assert.ok(session);
      await store.cut();
      for (let i = 0; i < 20; i++) {
        assert.equal((await client.query(`select ${i} as n`)).rows[0]?.n, i);
      }
      assert.equal((await upgrade(gw, key)).status, 503);
      // The spool is written as records arrive: wait for the last statement's.
      await eventually(
        async () =>
          (await readFile(path.join(dir, 'audit.spool'), 'utf8').catch(() => '')).includes(
            'select 19 as n',
          ),
        () => 'the last statement in the spool',
      );
      assert.equal(failed, undefined);

      await store.restore();
      let count = 0;
      await eventually(
        async () =>
          (count = Number(
            (
              await store.query<{ n: string }>(
                'select count(*) as n from events where session_id = $1',
                [session.id],
              )
            )[0]?.n,
          )) === 21,
        () => `21 events in the store (have ${count})`,
      );
      await eventually(
        async () => (await stat(path.join(dir, 'audit.spool'))).size === 0,
        () => 'an empty spool once replayed',
      );
      assert.equal((await client.query('select 42 as n')).rows[0]?.n, 42);
    } finally {
      await client.end().catch(() => {});
    }
  });

  it('spool: once the spool is full, the session ends with FATAL 58000 rather than lose a record', async () => {
    const store = await outageStore(postgres);
    const dir = path.join(os.tmpdir(), `hoop-spool-${randomBytes(4).toString('hex')}`);
    const { gw, listener } = await gatewayOn(
      store,
      `audit:\n  onStoreFailure: spool\n  spool: { dir: ${dir}, maxBytes: 4096 }`,
    );
    const client = await pgClient(listener);
    // The first error the client reports; pg may report the connection's end after it.
    const ended = new Promise<Error & { code?: string; severity?: string }>((resolve) =>
      client.on('error', resolve),
    );
    await client.query('select 1');
    await store.cut();
    let ran = 0;
    let failed: (Error & { code?: string; severity?: string }) | undefined;
    try {
      for (; ran < 200; ran++) await client.query(`select ${ran} as n, repeat('x', 200) as pad`);
    } catch (error) {
      failed = error as Error & { code?: string };
    }
    // The gateway ends the session the moment the spool refuses a record,
    // with a statement usually in flight: pg hands a backend's FATAL to the
    // query it was waiting on, and only one that lands between two queries
    // to the client's 'error' event (the query then fails without a code,
    // as the connection ends).
    const error = failed?.code === undefined ? await ended : failed;
    assert.equal(error.code, '58000');
    assert.equal(error.severity, 'FATAL');
    assert.equal(error.message, 'hoop: the audit store is unavailable; the session is closed');
    assert.ok(ran > 0 && ran < 200, `some statements ran into the spool (${ran})`);
    assert.ok((await stat(path.join(dir, 'audit.spool'))).size <= 4096);
    // Nothing the client got a response for is lost: the journal has it for the next start.
    const journaled = new Set(
      readJournal(path.join(gw.dir, '.hoop', JOURNAL_FILE)).records.map((record) =>
        record.type === 'event' ? record.event.text : '',
      ),
    );
    for (let i = 0; i < ran; i++) {
      assert.ok(
        journaled.has(`select ${i} as n, repeat('x', 200) as pad`),
        `statement ${i} in the journal`,
      );
    }
    await client.end().catch(() => {});
    await store.restore();
  });
});
