import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { newId } from '../../../../src/lib/ids.js';
import {
  openStore,
  type ChainSignature,
  type NewSession,
  type StatementEvent,
  type Store,
} from '../../../../src/server/store/index.js';
import { storeBackends } from '../../../helpers/store-backends.js';

/*
 * What every store backend must do alike: the embedded SQLite default and
 * PostgreSQL run the same migrations and queries, and these tests run on both.
 */

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

function event(sessionId: string, seq: number, overrides: Partial<StatementEvent> = {}) {
  return {
    id: `evt_${sessionId}_${seq}`,
    sessionId,
    seq,
    at: new Date(Date.parse('2026-01-02T03:05:00.000Z') + seq * 1000),
    kind: 'statement',
    text: `select ${seq}`,
    kinds: ['select'],
    tables: ['public.users'],
    decision: 'allow',
    ...overrides,
  } satisfies StatementEvent;
}

const ended = (at: string) => ({
  endedAt: new Date(at),
  bytesUp: 1,
  bytesDown: 2,
  closeReason: 'client_closed' as const,
});

for (const backend of storeBackends()) {
  describe(`store contract on ${backend.name}`, () => {
    let store: Store;
    before(async () => {
      store = await backend.open();
    });
    after(async () => {
      await store.close();
      await backend.stop();
    });

    it('records a start and an end, and reads them back as they were', async () => {
      const record = session({
        connection: 'rt',
        actors: ['apikey:agent'],
        tokenId: 'jti-1',
        startedAt: new Date('2026-02-01T00:00:00.000Z'),
      });
      await store.startSession(record);
      assert.deepEqual(await store.getSession(record.id), { ...record, bytesUp: 0, bytesDown: 0 });
      const endedAt = new Date('2026-02-01T00:00:01.500Z');
      await store.endSession(record.id, {
        endedAt,
        bytesUp: 123,
        bytesDown: 4_567_890_123,
        closeReason: 'target_reset',
        closeDetail: 'read ECONNRESET',
      });
      assert.deepEqual(await store.getSession(record.id), {
        ...record,
        endedAt,
        bytesUp: 123,
        bytesDown: 4_567_890_123,
        closeReason: 'target_reset',
        closeDetail: 'read ECONNRESET',
      });
      assert.equal(await store.getSession('ses_unknown'), undefined);
      await assert.rejects(store.startSession(record));
    });

    it('lists newest first, filtered by connection and subject, limited', async () => {
      const base = Date.parse('2026-03-01T00:00:00.000Z');
      const made: NewSession[] = [];
      for (let i = 0; i < 4; i++) {
        const record = session({
          connection: i % 2 === 0 ? 'list-a' : 'list-b',
          subject: i < 2 ? 'apikey:one' : 'apikey:two',
          startedAt: new Date(base + i * 1000),
        });
        made.push(record);
        await store.startSession(record);
      }
      const ids = (list: { id: string }[]) => list.map((item) => item.id);
      assert.deepEqual(ids(await store.listSessions({ connection: 'list-a' })), [
        made[2]?.id,
        made[0]?.id,
      ]);
      assert.deepEqual(
        ids(
          await store.listSessions({
            connection: 'list-b',
            owner: { method: 'apikey', subject: 'apikey:two' },
          }),
        ),
        [made[3]?.id],
      );
      assert.deepEqual(ids(await store.listSessions({ connection: 'list-a', limit: 1 })), [
        made[2]?.id,
      ]);
    });

    it('appends events with every field, skips ids already stored, and lists them in seq order', async () => {
      const record = session({ connection: 'events' });
      await store.startSession(record);
      const full = event(record.id, 2, {
        fingerprint: 'abc123',
        rule: 'readers',
        policyHash: 'sha256:00',
        rows: 3,
        durationMs: 0.123456789, // not exact in single precision: the column must keep a double
        errorCode: '42501',
        errorMessage: 'refused',
        decision: 'deny',
        reviewId: 'rev_1',
        reviewOutcome: 'rejected',
        preview: {
          columns: ['id', 'email'],
          rows: [
            ['1', 'a***@x.io'],
            [null, '\\x00ff'],
          ],
          truncated: true,
        },
        prevHash: '0'.repeat(64),
        hash: 'f'.repeat(64),
      });
      const bare = event(record.id, 1);
      await store.appendEvents([full, bare]);
      // A journal replayed after a crash appends what is already there.
      await store.appendEvents([bare, event(record.id, 3)]);
      const events = await store.listEvents(record.id);
      assert.deepEqual(
        events.map((e) => e.seq),
        [1, 2, 3],
      );
      assert.deepEqual(events[1], full);
      assert.deepEqual(events[0], bare);
    });

    it('appends a batch larger than one INSERT atomically', async () => {
      const record = session({ connection: 'big' });
      await store.startSession(record);
      const batch = Array.from({ length: 1201 }, (_, i) => event(record.id, i + 1));
      await store.appendEvents(batch);
      assert.equal((await store.listEvents(record.id)).length, 1201);
      const more = [event(record.id, 1202), event(record.id, 1203)];
      await store.appendEvents(more);
      assert.equal((await store.listEvents(record.id)).length, 1203);
    });

    it('stores chain signatures once per head', async () => {
      const record = session({ connection: 'signed' });
      await store.startSession(record);
      const signature: ChainSignature = {
        sessionId: record.id,
        seq: 5,
        hash: 'a'.repeat(64),
        final: false,
        keyId: '0123456789abcdef',
        signature: 'c2ln',
        at: new Date('2026-01-02T03:06:00.000Z'),
      };
      const last = { ...signature, final: true, seq: 6 };
      await store.appendSignatures([signature, last]);
      await store.appendSignatures([signature]);
      assert.deepEqual(await store.listSignatures(record.id), [signature, last]);
      const chain = await store.sessionChain(record.id);
      assert.equal(chain?.session.id, record.id);
      assert.equal(chain?.signatures.length, 2);
    });

    it('matches an actor literally, with LIKE wildcards in the name', async () => {
      const literal = session({ connection: 'who', actors: ['apikey:agent_%x'] });
      const other = session({ connection: 'who', actors: ['apikey:agentXyx'] });
      await store.startSession(literal);
      await store.startSession(other);
      const found = await store.querySessions({
        connection: 'who',
        who: 'apikey:agent_%x',
        limit: 10,
      });
      assert.deepEqual(
        found.map((s) => s.id),
        [literal.id],
      );
    });

    it('counts a review vote once per approver and moves a review compare-and-set', async () => {
      const review = {
        id: newId('rev'),
        kind: 'statement' as const,
        status: 'pending' as const,
        requester: { method: 'apikey', subject: 'apikey:a', name: 'a', groups: ['dev'] },
        connection: 'pg',
        text: 'delete from t',
        requirement: { rule: 'deletes', approvals: 1, approvers: ['dba'] },
        policyHash: 'sha256:01',
        createdAt: new Date('2026-01-02T03:04:05.000Z'),
        expiresAt: new Date('2026-01-02T04:04:05.000Z'),
        votes: [],
      };
      await store.insertReview(review as never);
      const vote = {
        method: 'apikey' as const,
        subject: 'apikey:dba',
        name: 'dba',
        decision: 'approve' as const,
        at: new Date(),
      };
      assert.equal(await store.addReviewVote(review.id, vote), true);
      assert.equal(await store.addReviewVote(review.id, vote), false);
      assert.equal(
        await store.transitionReview(review.id, 'pending', { status: 'approved' }),
        true,
      );
      assert.equal(
        await store.transitionReview(review.id, 'pending', { status: 'rejected' }),
        false,
      );
      assert.equal((await store.getReview(review.id))?.status, 'approved');
    });

    describe('retention', () => {
      let purgeStore: Store;
      before(async () => {
        purgeStore = await backend.open();
      });
      after(() => purgeStore.close());

      it('removes whole sessions that ended before the cutoff, with their events and signatures, and records the purge', async () => {
        const old = session({ startedAt: new Date('2026-01-01T00:00:00.000Z') });
        const recent = session({ startedAt: new Date('2026-01-01T00:00:00.000Z') });
        const open = session({ startedAt: new Date('2025-01-01T00:00:00.000Z') });
        for (const record of [old, recent, open]) await purgeStore.startSession(record);
        await purgeStore.endSession(old.id, ended('2026-01-01T01:00:00.000Z'));
        await purgeStore.endSession(recent.id, ended('2026-03-01T00:00:00.000Z'));
        await purgeStore.appendEvents([
          event(old.id, 1),
          event(old.id, 2),
          event(recent.id, 1),
          event(open.id, 1),
        ]);
        await purgeStore.appendSignatures([
          {
            sessionId: old.id,
            seq: 2,
            hash: 'b'.repeat(64),
            final: true,
            keyId: '0123456789abcdef',
            signature: 'c2ln',
            at: new Date('2026-01-01T01:00:00.000Z'),
          },
        ]);
        const now = new Date('2026-04-01T00:00:00.000Z');
        const cutoff = new Date('2026-02-01T00:00:00.000Z');
        const purge = await purgeStore.purgeBefore(cutoff, { gateway: 'gw-test', now });
        assert.equal(purge.sessions, 1);
        assert.equal(purge.events, 2);
        assert.equal(purge.signatures, 1);
        assert.equal(await purgeStore.getSession(old.id), undefined);
        assert.deepEqual(await purgeStore.listEvents(old.id), []);
        assert.deepEqual(await purgeStore.listSignatures(old.id), []);
        // Recent and still open sessions stay whole, however old their start.
        assert.equal((await purgeStore.listEvents(recent.id)).length, 1);
        assert.equal((await purgeStore.listEvents(open.id)).length, 1);
        assert.ok(await purgeStore.getSession(open.id));

        const again = await purgeStore.purgeBefore(cutoff, { gateway: 'gw-test', now });
        assert.equal(again.sessions, 0);
        const purges = await purgeStore.listPurges();
        assert.deepEqual(
          purges.map((p) => [
            p.id,
            p.sessions,
            p.events,
            p.signatures,
            p.gateway,
            p.cutoff.toISOString(),
          ]),
          [
            [again.id, 0, 0, 0, 'gw-test', cutoff.toISOString()],
            [purge.id, 1, 2, 1, 'gw-test', cutoff.toISOString()],
          ].sort((a, b) => (String(a[0]) < String(b[0]) ? 1 : -1)),
        );
        assert.equal(purges[0]?.at.toISOString(), now.toISOString());
      });

      it('removes decided reviews older than the cutoff with their votes, and keeps pending ones and live grants', async () => {
        const base = {
          kind: 'grant' as const,
          requester: { method: 'apikey', subject: 'apikey:a', name: 'a', groups: ['dev'] },
          connection: 'pg',
          requirement: { rule: 'grants', approvals: 1, approvers: ['dba'] },
          policyHash: 'sha256:01',
          createdAt: new Date('2026-01-01T00:00:00.000Z'),
          expiresAt: new Date('2026-01-01T01:00:00.000Z'),
          votes: [],
        };
        const decided = { ...base, id: newId('rev'), status: 'rejected' as const };
        const pending = { ...base, id: newId('rev'), status: 'pending' as const };
        const live = {
          ...base,
          id: newId('rev'),
          status: 'approved' as const,
          grantedUntil: new Date('2026-12-01T00:00:00.000Z'),
        };
        for (const review of [decided, pending, live])
          await purgeStore.insertReview(review as never);
        await purgeStore.addReviewVote(decided.id, {
          method: 'apikey',
          subject: 'apikey:dba',
          name: 'dba',
          decision: 'reject',
          at: new Date('2026-01-01T00:10:00.000Z'),
        });
        const purge = await purgeStore.purgeBefore(new Date('2026-02-01T00:00:00.000Z'), {
          gateway: 'gw-test',
        });
        assert.equal(purge.reviews, 1);
        assert.equal(await purgeStore.getReview(decided.id), undefined);
        assert.ok(await purgeStore.getReview(pending.id));
        assert.ok(await purgeStore.getReview(live.id));
      });
    });

    // Replicas share a PostgreSQL store; the embedded store belongs to one gateway.
    const replicas = backend.name === 'postgres' ? it : undefined;
    replicas?.(
      'migrates once when several gateways open a fresh database at the same time',
      async () => {
        const url = await backend.freshUrl();
        const stores = await Promise.all([openStore(url), openStore(url), openStore(url)]);
        try {
          const client = new pg.Client({ connectionString: url });
          await client.connect();
          try {
            const { rows } = await client.query<{ name: string }>(
              'select name from kysely_migration order by name',
            );
            assert.deepEqual(
              rows.map((row) => row.name),
              [
                '0001_sessions',
                '0002_session_delegation',
                '0003_statement_events',
                '0004_reviews',
                '0005_audit_chain',
                '0006_audit_purges',
                '0007_event_detail',
                '0008_identity_methods',
              ],
            );
          } finally {
            await client.end();
          }
          await stores[1]?.startSession(session());
          assert.equal((await stores[2]?.listSessions())?.length, 1);
        } finally {
          await Promise.all(stores.map((s) => s.close()));
        }
      },
    );
  });
}
