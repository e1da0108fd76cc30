/**
 * The codec against a real PostgreSQL: start-up, authentication (SCRAM, md5,
 * cleartext) and a simple query over a raw socket, with nothing but our own
 * builders, framer and parsers.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  parseBackend,
  type BackendMessage,
} from '../../../../../src/server/protocols/postgres/protocol/backend.js';
import {
  buildPasswordMessage,
  buildQuery,
  buildSASLInitialResponse,
  buildSASLResponse,
  buildStartupMessage,
  buildTerminate,
} from '../../../../../src/server/protocols/postgres/protocol/build.js';
import { Framer } from '../../../../../src/server/protocols/postgres/protocol/framer.js';
import {
  md5Password,
  SCRAM_SHA_256,
  ScramClient,
} from '../../../../../src/server/protocols/postgres/protocol/scram.js';
import { startPostgres, type PgAuthMethod, type PgInstance } from '../../../../helpers/postgres.js';

/** A socket that hands out parsed backend messages one by one. */
class Conn {
  private readonly framer = new Framer();
  private readonly queue: BackendMessage[] = [];
  private waiter: (() => void) | null = null;
  private failure: Error | null = null;
  readonly socket: Socket;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk) => {
      try {
        for (const frame of this.framer.push(chunk)) this.queue.push(parseBackend(frame));
      } catch (err) {
        this.failure = err as Error;
      }
      this.wake();
    });
    socket.on('error', (err) => {
      this.failure = err;
      this.wake();
    });
    socket.on('close', () => {
      this.failure ??= new Error('connection closed');
      this.wake();
    });
  }

  static open(pg: PgInstance): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const socket = connect(pg.port, pg.host, () => resolve(new Conn(socket)));
      socket.once('error', reject);
    });
  }

  private wake() {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  async next(): Promise<BackendMessage> {
    for (;;) {
      const m = this.queue.shift();
      if (m) return m;
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  write(bytes: Buffer) {
    this.socket.write(bytes);
  }

  close() {
    this.socket.end(buildTerminate());
  }
}

/** Runs start-up and authentication; returns the first message after the exchange. */
async function authenticate(
  pg: PgInstance,
  password: string,
): Promise<{ conn: Conn; outcome: BackendMessage; method: string }> {
  const conn = await Conn.open(pg);
  conn.write(buildStartupMessage({ user: pg.user, database: pg.database }));
  let scram: ScramClient | null = null;
  let method = 'none';
  for (;;) {
    const m = await conn.next();
    switch (m.type) {
      case 'authenticationCleartextPassword':
        method = 'password';
        conn.write(buildPasswordMessage(password));
        break;
      case 'authenticationMD5Password':
        method = 'md5';
        conn.write(buildPasswordMessage(md5Password(pg.user, password, m.salt)));
        break;
      case 'authenticationSASL':
        method = 'scram-sha-256';
        assert.ok(m.mechanisms.includes(SCRAM_SHA_256));
        scram = new ScramClient({ password });
        conn.write(buildSASLInitialResponse(SCRAM_SHA_256, scram.clientFirstMessage()));
        break;
      case 'authenticationSASLContinue':
        conn.write(buildSASLResponse(scram!.clientFinalMessage(m.data)));
        break;
      case 'authenticationSASLFinal':
        scram!.verifyServerFinal(m.data);
        break;
      default:
        return { conn, outcome: m, method };
    }
  }
}

async function selectOne(conn: Conn) {
  const seen: BackendMessage[] = [];
  for (let m = await conn.next(); ; m = await conn.next()) {
    seen.push(m);
    if (m.type === 'readyForQuery') break;
  }
  assert.ok(seen.some((m) => m.type === 'backendKeyData'));
  assert.ok(seen.some((m) => m.type === 'parameterStatus' && m.name === 'server_version'));

  conn.write(buildQuery("select 1 as one, null::text as nothing, 'héllo' as greeting"));
  const rd = await conn.next();
  assert.equal(rd.type, 'rowDescription');
  if (rd.type !== 'rowDescription') return;
  assert.deepEqual(
    rd.fields.map((f) => [f.name, f.typeOid, f.format]),
    [
      ['one', 23, 0],
      ['nothing', 25, 0],
      ['greeting', 25, 0],
    ],
  );
  assert.deepEqual(await conn.next(), {
    type: 'dataRow',
    values: [Buffer.from('1'), null, Buffer.from('héllo')],
  });
  assert.deepEqual(await conn.next(), { type: 'commandComplete', tag: 'SELECT 1' });
  assert.deepEqual(await conn.next(), { type: 'readyForQuery', status: 'I' });
}

for (const authMethod of ['scram-sha-256', 'md5', 'password'] as PgAuthMethod[]) {
  describe(`against a real PostgreSQL (${authMethod})`, () => {
    let pg: PgInstance;
    before(async () => {
      pg = await startPostgres({ authMethod });
    });
    after(() => pg?.stop());

    it('authenticates and runs a simple query', async () => {
      const { conn, outcome, method } = await authenticate(pg, pg.password);
      try {
        if (!process.env.TEST_PG_URL) assert.equal(method, authMethod);
        assert.deepEqual(outcome, { type: 'authenticationOk' });
        await selectOne(conn);
      } finally {
        conn.close();
      }
    });

    it('reads the 28P01 ErrorResponse for a wrong password', async () => {
      const { conn, outcome } = await authenticate(pg, 'not-the-password');
      try {
        assert.equal(outcome.type, 'errorResponse');
        if (outcome.type !== 'errorResponse') return;
        assert.equal(outcome.fields.code, '28P01');
        assert.equal(outcome.fields.severity, 'FATAL');
        assert.match(outcome.fields.message ?? '', /password authentication failed/);
      } finally {
        conn.socket.destroy();
      }
    });
  });
}
