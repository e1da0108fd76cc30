import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { pino } from 'pino';
import { dial, WebSocketStream } from '../../src/tunnel/index.js';
import { postgresConnection, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startPostgres, type PgInstance } from '../helpers/postgres.js';
import { endedSessions, startConnect } from '../helpers/tunnel.js';

interface LogLine {
  level: number;
  event?: string;
  msg?: string;
}

/** SSLRequest: Int32 8, Int32 80877103. */
const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

/**
 * How the gateway meets a PostgreSQL client that leaves or breaks the
 * start-up dialogue, as PostgreSQL itself would, and how `hoop connect`
 * reports clean ends.
 */
describe('postgres start-up edges', () => {
  let postgres: PgInstance;
  let gw: TestGateway;
  const logs: LogLine[] = [];

  before(async () => {
    postgres = await startPostgres();
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n')) {
          if (line !== '') logs.push(JSON.parse(line) as LogLine);
        }
        done();
      },
    });
    gw = await startTestGateway({
      connections: postgresConnection(postgres),
      env: { PG_PASSWORD: postgres.password },
      policy: [{ name: 'agents', match: { groups: ['agents'] }, effect: 'allow' }],
      logger: pino({ level: 'info' }, sink),
    });
  });

  after(async () => {
    await gw?.close();
    await postgres?.stop();
  });

  /** A raw tunnel to the connection: what the gateway says, and when it closes. */
  const tunnel = async () => {
    const ws = await dial({
      url: `${gw.url.replace(/^http/, 'ws')}/api/tunnel/pg`,
      token: gw.keys['agent-1']!,
    });
    const stream = new WebSocketStream(ws, { vanished: 'gateway_vanished' });
    stream.on('error', () => {});
    const received: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => received.push(chunk));
    const closed = once(stream, 'close');
    return { stream, received, closed };
  };

  it('records a client that closes after SSLRequest as client_closed, without an error log', async () => {
    const errorsBefore = logs.filter((line) => line.level >= 50).length;
    const { stream, received, closed } = await tunnel();
    stream.write(SSL_REQUEST);
    while (received.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(Buffer.concat(received).toString('latin1'), 'N');
    stream.end();
    await closed;
    const [session] = await endedSessions(gw.gateway.store, 'pg', { count: 1 });
    assert.equal(session?.closeReason, 'client_closed');
    assert.equal(
      logs.filter((line) => line.level >= 50).length,
      errorsBefore,
      'nothing logged at error level',
    );
  });

  it('closes without a reply on a start-up packet of impossible length, as PostgreSQL does', async () => {
    for (const length of [4, 1_000_000]) {
      const { stream, received, closed } = await tunnel();
      const packet = Buffer.alloc(8);
      packet.writeInt32BE(length, 0);
      packet.writeInt32BE(196608, 4);
      stream.write(packet);
      await closed;
      assert.deepEqual(
        Buffer.concat(received),
        Buffer.alloc(0),
        `nothing sent for length ${length}`,
      );
    }
  });

  it('hoop connect does not say the gateway went away when a pool ends cleanly', async () => {
    const connect = await startConnect(gw, 'pg');
    try {
      for (let i = 0; i < 40; i++) {
        const pool = new pg.Pool({
          host: '127.0.0.1',
          port: connect.port,
          user: 'whoever',
          database: postgres.database,
        });
        await pool.query('select 1');
        await pool.end();
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.doesNotMatch(connect.output().stderr, /went away|connection closed/);
    } finally {
      await connect.stop();
    }
  });
});
