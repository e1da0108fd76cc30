import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { buildCancelRequest } from '../../src/server/protocols/postgres/protocol/index.js';
import { dial, startLocalListener, type LocalListener } from '../../src/tunnel/index.js';
import { postgresConnection, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startPostgres, type PgInstance } from '../helpers/postgres.js';

/**
 * What peer drivers' own test suites found different through the gateway
 * (README, "Compatibility"), pinned with node-postgres.
 */
describe('postgres compatibility found by peer suites', () => {
  let postgres: PgInstance;
  let gw: TestGateway;
  let listener: LocalListener;

  before(async () => {
    postgres = await startPostgres();
    gw = await startTestGateway({
      connections: postgresConnection(postgres),
      env: { PG_PASSWORD: postgres.password },
      policy: [{ name: 'agents', match: { groups: ['agents'] }, effect: 'allow' }],
    });
    listener = await startLocalListener({
      host: '127.0.0.1',
      port: 0,
      dial: () =>
        dial({ url: `${gw.url.replace(/^http/, 'ws')}/api/tunnel/pg`, token: gw.keys['agent-1']! }),
    });
  });

  after(async () => {
    await listener?.close();
    await gw?.close();
    await postgres?.stop();
  });

  const client = async (): Promise<pg.Client> => {
    const c = new pg.Client({
      host: '127.0.0.1',
      port: listener.address.port,
      user: 'whoever',
      database: postgres.database,
    });
    await c.connect();
    return c;
  };

  it('psycopg2 test_notify: a notification names the sender by the process ID the client was given (its own NOTIFY is recognisable), which is pg_backend_pid()', async () => {
    const c = await client();
    try {
      const { pid } = (await c.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!;
      assert.equal(keyOf(c).processID, pid);
      await c.query('listen compat_channel');
      const received = once(c, 'notification') as Promise<[pg.Notification]>;
      await c.query("notify compat_channel, 'hello'");
      const [notification] = await received;
      assert.equal(notification.processId, pid);
      assert.equal(notification.payload, 'hello');
    } finally {
      await c.end();
    }
  });

  /** A CancelRequest (§55.2.9) for `key`, sent as a client would, on a connection of its own. */
  const cancel = async (key: { processID: number; secretKey: number }): Promise<void> => {
    const socket = net.connect({ host: '127.0.0.1', port: listener.address.port });
    await once(socket, 'connect');
    socket.end(buildCancelRequest(key.processID, key.secretKey));
    await once(socket, 'close');
  };

  it('a backend reused from the pool keeps its process ID and gets a new cancel secret: the earlier key cancels nothing', async () => {
    const first = await client();
    const firstKey = keyOf(first);
    await first.end();
    const second = await client();
    try {
      const { pid } = (await second.query<{ pid: number }>('select pg_backend_pid() as pid'))
        .rows[0]!;
      const secondKey = keyOf(second);
      assert.equal(secondKey.processID, pid);
      assert.equal(firstKey.processID, pid, 'the pooled backend was reused');
      assert.notEqual(firstKey.secretKey, secondKey.secretKey);
      const slow = second.query('select pg_sleep(3) as slept');
      await new Promise((resolve) => setTimeout(resolve, 300));
      await cancel(firstKey);
      assert.equal((await slow).rows.length, 1, 'the earlier key cancelled nothing');
      const cancelled = assert.rejects(
        second.query('select pg_sleep(10)'),
        (error: { code?: string }) => error.code === '57014',
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      await cancel(secondKey);
      await cancelled;
    } finally {
      await second.end();
    }
  });
});

/** node-postgres keeps the BackendKeyData it was given as processID and secretKey. */
function keyOf(c: pg.Client): { processID: number; secretKey: number } {
  const { processID, secretKey } = c as unknown as { processID: number; secretKey: number };
  return { processID, secretKey };
}
