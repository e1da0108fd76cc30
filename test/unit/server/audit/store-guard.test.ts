import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SPOOL_FILE, StoreGuard } from '../../../../src/server/audit/store-guard.js';
import { createLogger } from '../../../../src/server/logger.js';
import { openStore, type StatementEvent, type Store } from '../../../../src/server/store/index.js';
import { startPostgres, type PgInstance } from '../../../helpers/postgres.js';
import { outageStore, type OutageStore } from '../../../helpers/store-outage.js';

/*
 * The guard against a real PostgreSQL store whose role is locked out and let
 * back in: what reaches the store, what waits, which sessions are given up.
 */

const log = createLogger(process.env.HOOP_TEST_LOG ?? 'silent');

function event(sessionId: string, seq: number): StatementEvent {
  return {
    id: `evt_${sessionId}_${seq}`,
    sessionId,
    seq,
    at: new Date(),
    kind: 'statement',
    text: `select ${seq}`,
    kinds: ['select'],
    tables: [],
    decision: 'allow',
  };
}

async function startSession(store: Store, id: string): Promise<void> {
  await store.startSession({
    id,
    subject: 'apikey:a',
    identityName: 'a',
    identityKind: 'agent',
    authMethod: 'apikey',
    groups: [],
    connection: 'pg',
    connectionType: 'postgres',
    clientAddr: '127.0.0.1:1',
    startedAt: new Date(),
  });
}

const END = {
  endedAt: new Date(),
  bytesUp: 1,
  bytesDown: 2,
  closeReason: 'client_closed' as const,
};

describe('store guard', () => {
  let server: PgInstance;
  let dir: string;
  before(async () => {
    server = await startPostgres();
    dir = await mkdtemp(path.join(os.tmpdir(), 'hoop-guard-'));
  });
  after(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function open(outage: OutageStore): Promise<Store> {
    return openStore(
      outage.url.replace('${env:HOOP_STORE_PASSWORD}', outage.env.HOOP_STORE_PASSWORD),
    );
  }

  it('close: hands the sessions of a failed write to onLost, and writes a session end once the store is back', async () => {
    const outage = await outageStore(server);
    const store = await open(outage);
    const lost: string[] = [];
    const guard = new StoreGuard({
      store,
      log,
      onLost: (ids) => lost.push(...ids),
      probeIntervalMs: 50,
    });
    try {
      await startSession(store, 'ses_a');
      await startSession(store, 'ses_b');
      await guard.store.appendEvents([event('ses_a', 1)]);
      assert.equal(guard.unavailable, false);

      await outage.cut();
      await assert.rejects(guard.store.appendEvents([event('ses_a', 2), event('ses_b', 1)]));
      assert.deepEqual(lost.sort(), ['ses_a', 'ses_b']);
      assert.equal(guard.unavailable, true);
      // The end is kept, not lost: the record must say how the session ended.
      await guard.store.endSession('ses_a', { ...END, closeReason: 'store_unavailable' });

      await outage.restore();
      await guard.recover();
      assert.equal(guard.unavailable, false);
      const ended = await store.getSession('ses_a');
      assert.equal(ended?.closeReason, 'store_unavailable');
      assert.deepEqual(
        (await store.listEvents('ses_a')).map((e) => e.seq),
        [1],
      );
    } finally {
      await guard.close();
      await store.close();
    }
  });

  it('spool: keeps records in order while the store is down, replays them when it is back, and gives up a session only when the spool is full', async () => {
    const outage = await outageStore(server);
    const store = await open(outage);
    const spoolDir = path.join(dir, 'spool-1');
    const lost: string[] = [];
    const guard = new StoreGuard({
      store,
      log,
      mode: 'spool',
      spool: { dir: spoolDir, maxBytes: 2000 },
      onLost: (ids) => lost.push(...ids),
      probeIntervalMs: 60_000,
    });
    try {
      await startSession(store, 'ses_c');
      await outage.cut();
      await guard.store.appendEvents([event('ses_c', 1), event('ses_c', 2)]);
      await guard.store.appendEvents([event('ses_c', 3)]);
      await guard.store.endSession('ses_c', END);
      assert.deepEqual(lost, []);
      const spooled = guard.spooledBytes;
      assert.ok(spooled > 0);
      // Past the limit: refused and given up, never dropped silently.
      const big = { ...event('ses_c', 4), text: 'x'.repeat(3000) };
      await assert.rejects(guard.store.appendEvents([big]), /spool is full/);
      assert.deepEqual(lost, ['ses_c']);
      assert.equal(guard.spooledBytes, spooled);

      await outage.restore();
      await guard.recover();
      assert.equal(guard.spooledBytes, 0);
      assert.equal((await stat(path.join(spoolDir, SPOOL_FILE))).size, 0);
      assert.deepEqual(
        (await store.listEvents('ses_c')).map((e) => e.seq),
        [1, 2, 3],
      );
      assert.equal((await store.getSession('ses_c'))?.closeReason, 'client_closed');
    } finally {
      await guard.close();
      await store.close();
    }
  });

  it('spool: a spool a stopped gateway left is written into the store at the next start', async () => {
    const outage = await outageStore(server);
    const store = await open(outage);
    const spoolDir = path.join(dir, 'spool-2');
    const options = {
      log,
      mode: 'spool' as const,
      spool: { dir: spoolDir, maxBytes: 1 << 20 },
      onLost: () => {},
      probeIntervalMs: 60_000,
    };
    await startSession(store, 'ses_d');
    await outage.cut();
    const first = new StoreGuard({ ...options, store });
    await first.store.appendEvents([event('ses_d', 1)]);
    await first.close();
    await outage.restore();

    const second = new StoreGuard({ ...options, store });
    try {
      await second.start();
      assert.equal(second.spooledBytes, 0);
      assert.equal((await store.listEvents('ses_d')).length, 1);
    } finally {
      await second.close();
      await store.close();
    }
  });
});
