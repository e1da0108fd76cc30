import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type NewSession,
  type StatementEvent,
  type Store,
} from '../../../../src/server/store/index.js';
import { storeBackends } from '../../../helpers/store-backends.js';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const at = (minutes: number): Date => new Date(T0 + minutes * 60_000);

function session(id: string, overrides: Partial<NewSession>): NewSession {
  return {
    id,
    subject: 'apikey:alice',
    identityName: 'alice',
    identityKind: 'agent',
    authMethod: 'apikey',
    groups: ['agents'],
    connection: 'pg',
    connectionType: 'postgres',
    clientAddr: '127.0.0.1:1',
    startedAt: at(0),
    ...overrides,
  };
}

function event(sessionId: string, seq: number, overrides: Partial<StatementEvent>): StatementEvent {
  return {
    id: `evt_${sessionId}_${seq}`,
    sessionId,
    seq,
    at: at(seq),
    kind: 'statement',
    text: 'select 1',
    kinds: ['select'],
    tables: [],
    decision: 'allow',
    ...overrides,
  };
}

for (const backend of storeBackends())
  describe(`audit queries on ${backend.name}`, () => {
    let store: Store;
    before(async () => {
      store = await backend.open();
      await store.startSession(session('s1', { startedAt: at(0) }));
      await store.startSession(
        session('s2', {
          startedAt: at(10),
          subject: 'oidc|bob',
          identityName: 'bob@example.com',
          identityKind: 'user',
          authMethod: 'oidc',
          connection: 'other',
        }),
      );
      await store.startSession(
        session('s3', {
          startedAt: at(20),
          subject: 'oidc|bob',
          identityName: 'bob@example.com',
          identityKind: 'user',
          authMethod: 'oidc',
          actors: ['apikey:agent_%x'],
        }),
      );
      await store.endSession('s1', {
        endedAt: at(5),
        bytesUp: 0,
        bytesDown: 0,
        closeReason: 'client_closed',
      });
      await store.appendEvents([
        event('s1', 1, { at: at(1) }),
        event('s1', 2, { at: at(2), decision: 'deny' }),
        event('s2', 1, { at: at(11), reviewId: 'rev_1', decision: 'deny' }),
        event('s3', 1, { at: at(21) }),
      ]);
    });
    after(async () => {
      await store.close();
      await backend.stop();
    });

    const ids = (list: { id: string }[]): string[] => list.map((item) => item.id);

    it('lists newest first and pages with a cursor', async () => {
      const first = await store.querySessions({ limit: 2 });
      assert.deepEqual(ids(first), ['s3', 's2']);
      const last = first.at(-1);
      assert.ok(last);
      const next = await store.querySessions({
        limit: 2,
        after: { startedAt: last.startedAt, id: last.id },
      });
      assert.deepEqual(ids(next), ['s1']);
    });

    it('filters by connection, subject, name or actor, and decision', async () => {
      assert.deepEqual(ids(await store.querySessions({ limit: 10, connection: 'other' })), ['s2']);
      assert.deepEqual(
        ids(
          await store.querySessions({
            limit: 10,
            owner: { method: 'apikey', subject: 'apikey:alice' },
          }),
        ),
        ['s1'],
      );
      assert.deepEqual(ids(await store.querySessions({ limit: 10, who: 'bob@example.com' })), [
        's3',
        's2',
      ]);
      // LIKE wildcards in the name match themselves only.
      assert.deepEqual(ids(await store.querySessions({ limit: 10, who: 'apikey:agent_%x' })), [
        's3',
      ]);
      assert.deepEqual(ids(await store.querySessions({ limit: 10, who: 'apikey:agent' })), []);
      assert.deepEqual(ids(await store.querySessions({ limit: 10, decision: 'deny' })), [
        's2',
        's1',
      ]);
      assert.deepEqual(ids(await store.querySessions({ limit: 10, decision: 'review' })), ['s2']);
      assert.deepEqual(ids(await store.querySessions({ limit: 10, decision: 'allow' })), [
        's3',
        's1',
      ]);
    });

    it('keeps sessions open at some moment of the time range', async () => {
      // s1 ended at +5 min: before a range from +6 min.
      assert.deepEqual(ids(await store.querySessions({ limit: 10, since: at(6) })), ['s3', 's2']);
      assert.deepEqual(ids(await store.querySessions({ limit: 10, since: at(4), until: at(10) })), [
        's1',
      ]);
    });

    it('streams events oldest first across sessions, by range, subject and cursor', async () => {
      const all = await store.queryEvents({ limit: 10 });
      assert.deepEqual(ids(all), ['evt_s1_1', 'evt_s1_2', 'evt_s2_1', 'evt_s3_1']);
      assert.deepEqual(ids(await store.queryEvents({ limit: 10, since: at(2), until: at(21) })), [
        'evt_s1_2',
        'evt_s2_1',
      ]);
      assert.deepEqual(
        ids(
          await store.queryEvents({
            limit: 10,
            owner: { method: 'oidc', subject: 'oidc|bob' },
          }),
        ),
        ['evt_s2_1', 'evt_s3_1'],
      );
      const second = all[1];
      assert.ok(second);
      assert.deepEqual(
        ids(await store.queryEvents({ limit: 1, after: { at: second.at, id: second.id } })),
        ['evt_s2_1'],
      );
    });
  });
