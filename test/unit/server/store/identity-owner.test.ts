import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { migrationProvider } from '../../../../src/server/store/migrations.js';
import {
  openStore,
  type NewSession,
  type StatementEvent,
  type Store,
} from '../../../../src/server/store/index.js';
import { storeBackends } from '../../../helpers/store-backends.js';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');

/** The key agent-1's session, or (overrides) someone else's. */
function session(id: string, overrides: Partial<NewSession> = {}): NewSession {
  return {
    id,
    subject: 'apikey:agent-1',
    identityName: 'agent-1',
    identityKind: 'agent',
    authMethod: 'apikey',
    groups: ['agents'],
    connection: 'pg',
    connectionType: 'postgres',
    clientAddr: '127.0.0.1:1',
    startedAt: new Date(T0 + Number(id.slice(1)) * 60_000),
    ...overrides,
  };
}

function event(sessionId: string): StatementEvent {
  return {
    id: `evt_${sessionId}`,
    sessionId,
    seq: 1,
    at: new Date(T0 + Number(sessionId.slice(1)) * 60_000 + 1000),
    kind: 'statement',
    text: 'select 1',
    kinds: ['select'],
    tables: [],
    decision: 'allow',
  };
}

const key = { method: 'apikey', subject: 'apikey:agent-1' } as const;
const ids = (list: { id: string }[]): string[] => list.map((item) => item.id).sort();

for (const backend of storeBackends())
  describe(`sessions belong to an identity by method and subject, on ${backend.name}`, () => {
    let store: Store;
    before(async () => {
      store = await backend.open();
      await store.startSession(session('s1'));
      // What an older gateway recorded for a provider token whose sub was `apikey:agent-1`.
      await store.startSession(
        session('s2', { authMethod: 'oidc', identityKind: 'user', identityName: 'agent-1' }),
      );
      await store.startSession(
        session('s3', {
          authMethod: 'oidc',
          identityKind: 'agent',
          subject: 'alice',
          identityName: 'alice@example.com',
          actors: ['agent-1'],
        }),
      );
      await store.appendEvents(['s1', 's2', 's3'].map(event));
    });
    after(async () => {
      await store?.close();
      await backend.stop();
    });

    it('the key owns its sessions only, not the forged token’s of the same subject', async () => {
      assert.deepEqual(ids(await store.querySessions({ limit: 10, owner: key })), ['s1']);
      assert.deepEqual(ids(await store.queryEvents({ limit: 10, owner: key })), ['evt_s1']);
      assert.deepEqual(ids(await store.listSessions({ owner: key })), ['s1']);
      const forged = { method: 'oidc', subject: 'apikey:agent-1' } as const;
      assert.deepEqual(ids(await store.querySessions({ limit: 10, owner: forged })), ['s2']);
    });

    it('a principal of unknown method owns nothing', async () => {
      const nobody = { method: undefined, subject: 'apikey:agent-1' };
      assert.deepEqual(await store.querySessions({ limit: 10, owner: nobody }), []);
      assert.deepEqual(await store.queryEvents({ limit: 10, owner: nobody }), []);
      assert.deepEqual(await store.listSessions({ owner: nobody }), []);
    });

    it('--user apikey:agent-1 is the key; oidc:agent-1 the provider identity, as subject or actor', async () => {
      assert.deepEqual(ids(await store.querySessions({ limit: 10, involving: key })), ['s1']);
      const provider = { method: 'oidc', subject: 'agent-1' } as const;
      assert.deepEqual(ids(await store.querySessions({ limit: 10, involving: provider })), ['s3']);
      // A bare name stays a search across kinds, by subject, name or actor.
      assert.deepEqual(ids(await store.querySessions({ limit: 10, who: 'agent-1' })), [
        's1',
        's2',
        's3',
      ]);
    });
  });

for (const backend of storeBackends())
  describe(`migration 0008 on ${backend.name}: reviews and votes of older versions`, () => {
    let dir: string;
    let url: string;
    before(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'hoop-0008-'));
      url =
        backend.name === 'sqlite'
          ? `sqlite:${path.join(dir, 'hoop.db')}`
          : await backend.freshUrl();
      // The database as 0007 left it, with rows an older gateway wrote.
      const db =
        backend.name === 'sqlite'
          ? new Kysely<unknown>({
              dialect: new SqliteDialect({ database: new SqliteDatabase(url.slice(7)) }),
            })
          : new Kysely<unknown>({
              dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url }) }),
            });
      const migrated = await new Migrator({ db, provider: migrationProvider }).migrateTo(
        '0007_event_detail',
      );
      assert.equal(migrated.error, undefined);
      const review = (id: string, subject: string) =>
        sql`insert into reviews (id, kind, status, requester_subject, requester_name, requester_groups,
              connection, text, requirement, policy_hash, created_at, expires_at, decided_at)
            values (${id}, 'statement', 'approved', ${subject}, 'x', '[]', 'pg', 'delete from t',
              '{"rule":"r","approvers":["dba"],"approvals":1,"timeoutMs":60000}', 'h',
              '2026-03-01T10:00:00.000Z', '2026-03-01T11:00:00.000Z', '2026-03-01T10:01:00.000Z')`;
      await review('rev_person', 'alice').execute(db);
      await review('rev_key_or_forged', 'apikey:agent-1').execute(db);
      await sql`insert into review_votes (review_id, subject, name, decision, at) values
          ('rev_person', 'apikey:dba', 'dba', 'approve', '2026-03-01T10:01:00.000Z'),
          ('rev_key_or_forged', 'bob', 'bob', 'approve', '2026-03-01T10:01:00.000Z')`.execute(db);
      await db.destroy();
    });
    after(async () => {
      await rm(dir, { recursive: true, force: true });
      await backend.stop();
    });

    it('reads a subject outside apikey: as a provider’s, and one inside it as unknown', async () => {
      const store = await openStore(url);
      try {
        const person = await store.getReview('rev_person');
        const unknown = await store.getReview('rev_key_or_forged');
        assert.equal(person?.requester.method, 'oidc');
        assert.equal(person?.votes[0]?.method, undefined, 'the vote as apikey:dba is unproven');
        assert.equal(unknown?.requester.method, undefined);
        assert.equal(unknown?.votes[0]?.method, 'oidc');
        assert.deepEqual(
          (await store.listReviews({ requester: { method: 'oidc', subject: 'alice' } })).map(
            (r) => r.id,
          ),
          ['rev_person'],
        );
        // Neither the key nor a provider identity can claim the unproven request.
        for (const method of ['apikey', 'oidc'] as const) {
          assert.deepEqual(
            await store.listReviews({ requester: { method, subject: 'apikey:agent-1' } }),
            [],
          );
        }
      } finally {
        await store.close();
      }
    });
  });
