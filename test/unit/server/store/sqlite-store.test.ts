import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { newId } from '../../../../src/lib/ids.js';
import { openStore, type NewSession, type Store } from '../../../../src/server/store/index.js';
import { openSqliteStore } from '../../../../src/server/store/sqlite.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'hoop-store-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

let counter = 0;
/** A fresh db file per test, in a subdirectory that does not exist yet. */
function dbFile(): string {
  counter += 1;
  return path.join(dir, `case-${counter}`, 'nested', 'hoop.db');
}

function session(overrides: Partial<NewSession> = {}): NewSession {
  const startedAt = overrides.startedAt ?? new Date('2026-01-02T03:04:05.000Z');
  return {
    id: newId('ses', startedAt.getTime()),
    subject: 'apikey:agent-1',
    identityName: 'agent-1',
    identityKind: 'agent',
    authMethod: 'apikey',
    groups: ['agents', 'ci'],
    connection: 'pg-prod',
    connectionType: 'postgres',
    clientAddr: '127.0.0.1:50000',
    startedAt,
    ...overrides,
  };
}

function migrationsIn(file: string): string[] {
  const db = new Database(file, { readonly: true });
  try {
    return (
      db.prepare('SELECT name FROM kysely_migration ORDER BY name').all() as { name: string }[]
    ).map((row) => row.name);
  } finally {
    db.close();
  }
}

describe('SQLite store', () => {
  it('creates its directory and applies the migrations to a fresh file', async () => {
    const file = dbFile();
    const store = await openSqliteStore(file);
    await store.ping();
    await store.close();
    assert.deepEqual(migrationsIn(file), [
      '0001_sessions',
      '0002_session_delegation',
      '0003_statement_events',
      '0004_reviews',
      '0005_audit_chain',
      '0006_audit_purges',
      '0007_event_detail',
      '0008_identity_methods',
    ]);
  });

  it('reopens an existing file without re-applying migrations, keeping its rows', async () => {
    const file = dbFile();
    const first = await openSqliteStore(file);
    const record = session();
    await first.startSession(record);
    await first.endSession(record.id, {
      endedAt: new Date('2026-01-02T03:05:00.000Z'),
      bytesUp: 10,
      bytesDown: 20,
      closeReason: 'done',
    });
    await first.close();

    const second = await openSqliteStore(file);
    try {
      assert.deepEqual(migrationsIn(file), [
        '0001_sessions',
        '0002_session_delegation',
        '0003_statement_events',
        '0004_reviews',
        '0005_audit_chain',
        '0006_audit_purges',
        '0007_event_detail',
        '0008_identity_methods',
      ]);
      const again = await second.getSession(record.id);
      assert.equal(again?.bytesDown, 20);
      assert.equal(again?.closeReason, 'done');
    } finally {
      await second.close();
    }
  });

  describe('sessions', () => {
    let store: Store;
    before(async () => {
      store = await openSqliteStore(dbFile());
    });
    after(async () => store.close());

    it('records a start and an end, and reads them back as they were', async () => {
      const record = session({ connection: 'rt', startedAt: new Date('2026-02-01T00:00:00.000Z') });
      await store.startSession(record);
      const open = await store.getSession(record.id);
      assert.deepEqual(open, { ...record, bytesUp: 0, bytesDown: 0 });

      const endedAt = new Date('2026-02-01T00:00:01.500Z');
      await store.endSession(record.id, {
        endedAt,
        bytesUp: 123,
        bytesDown: 4_567_890,
        closeReason: 'target_reset',
        closeDetail: 'read ECONNRESET',
      });
      assert.deepEqual(await store.getSession(record.id), {
        ...record,
        endedAt,
        bytesUp: 123,
        bytesDown: 4_567_890,
        closeReason: 'target_reset',
        closeDetail: 'read ECONNRESET',
      });
    });

    it('answers undefined for an unknown id', async () => {
      assert.equal(await store.getSession('ses_unknown'), undefined);
    });

    it('refuses a second session with the same id', async () => {
      const record = session({ connection: 'dup' });
      await store.startSession(record);
      await assert.rejects(store.startSession(record));
    });

    it('lists newest first, filtered by connection and subject, limited', async () => {
      const base = Date.parse('2026-03-01T00:00:00.000Z');
      const made: NewSession[] = [];
      for (let i = 0; i < 6; i++) {
        const record = session({
          connection: i % 2 === 0 ? 'list-a' : 'list-b',
          subject: i < 3 ? 'apikey:one' : 'apikey:two',
          startedAt: new Date(base + i * 1000),
        });
        made.push(record);
        await store.startSession(record);
      }
      // Two sessions in the same millisecond: the id breaks the tie.
      const sameTime = new Date(base + 10_000);
      const tieA = session({ connection: 'list-a', subject: 'apikey:one', startedAt: sameTime });
      const tieB = session({ connection: 'list-a', subject: 'apikey:one', startedAt: sameTime });
      await store.startSession(tieA);
      await store.startSession(tieB);
      const [first, second] = [tieA.id, tieB.id].sort().reverse();

      const listA = await store.listSessions({ connection: 'list-a' });
      assert.deepEqual(
        listA.map((s) => s.id),
        [first, second, made[4]?.id, made[2]?.id, made[0]?.id],
      );

      const twoOnB = await store.listSessions({
        connection: 'list-b',
        owner: { method: 'apikey', subject: 'apikey:two' },
      });
      assert.deepEqual(
        twoOnB.map((s) => s.id),
        [made[5]?.id, made[3]?.id],
      );

      const limited = await store.listSessions({ connection: 'list-a', limit: 2 });
      assert.deepEqual(
        limited.map((s) => s.id),
        [first, second],
      );
      assert.deepEqual(await store.listSessions({ connection: 'nothing-here' }), []);
    });
  });

  it('closes sessions a previous gateway left open as gateway_restart, and only those', async () => {
    const file = dbFile();
    const first = await openSqliteStore(file);
    const dangling = session({ connection: 'dangling' });
    const finished = session({ connection: 'finished' });
    await first.startSession(dangling);
    await first.startSession(finished);
    await first.endSession(finished.id, {
      endedAt: new Date('2026-01-02T03:04:06.000Z'),
      bytesUp: 1,
      bytesDown: 2,
      closeReason: 'client_closed',
    });
    await first.close(); // as if the process died: nothing ended the first session

    const before = Date.now();
    const second = await openSqliteStore(file);
    try {
      const closed = await second.getSession(dangling.id);
      assert.equal(closed?.closeReason, 'gateway_restart');
      assert.ok(closed?.endedAt && closed.endedAt.getTime() >= before - 1000);
      const untouched = await second.getSession(finished.id);
      assert.equal(untouched?.closeReason, 'client_closed');
      assert.equal(untouched?.endedAt?.toISOString(), '2026-01-02T03:04:06.000Z');
    } finally {
      await second.close();
    }
  });

  it('rejects calls once closed, and may be closed twice', async () => {
    const store = await openSqliteStore(dbFile());
    await store.close();
    await store.close();
    await assert.rejects(store.ping());
    await assert.rejects(store.startSession(session()));
  });
});

describe('openStore', () => {
  it('opens sqlite: files and sqlite::memory:', async () => {
    for (const url of [`sqlite:${dbFile()}`, 'sqlite::memory:']) {
      const store = await openStore(url);
      await store.startSession(session());
      assert.equal((await store.listSessions()).length, 1);
      await store.close();
    }
  });

  it('refuses a file that is not a database with HOOP_STORE_UNAVAILABLE naming the URL', async () => {
    const file = path.join(dir, 'not-a-db.txt');
    await writeFile(
      file,
      'this is plainly not SQLite, but long enough to be read as a header '.repeat(10),
    );
    await assert.rejects(openStore(`sqlite:${file}`), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'HOOP_STORE_UNAVAILABLE');
      assert.match(
        error.message,
        new RegExp(`cannot open the store sqlite:${file}: file is not a database`),
      );
      return true;
    });
  });

  it('refuses a PostgreSQL store it cannot reach with HOOP_STORE_UNAVAILABLE, the password hidden', async () => {
    await assert.rejects(
      openStore('postgres://hoop:s3cret@127.0.0.1:1/hoop'),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, 'HOOP_STORE_UNAVAILABLE');
        assert.match(
          error.message,
          /cannot open the store postgres:\/\/hoop:\*\*\*@127\.0\.0\.1:1\/hoop: .*ECONNREFUSED/,
        );
        assert.doesNotMatch(error.message, /s3cret/);
        return true;
      },
    );
  });

  it('refuses unknown schemes with HOOP_CONFIG_INVALID', async () => {
    await assert.rejects(openStore('mongodb://x'), { code: 'HOOP_CONFIG_INVALID' });
  });
});
