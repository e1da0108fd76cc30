import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { AuditRecorder, Journal, replayJournal } from '../../../../src/server/audit/index.js';
import type { SqlOutcome, SqlRecord } from '../../../../src/server/enforcement/index.js';
import { openStore } from '../../../../src/server/store/index.js';
import { canonicalEvent, genesisHash, linkHash } from '../../../../src/server/audit/chain.js';

const query: SqlRecord = {
  type: 'sql',
  text: 'insert into t values (1); select pg_sleep(60)',
  kinds: ['insert', 'select'],
  tables: ['t'],
  decision: 'allow',
  rule: 'agents',
  policyHash: 'sha256:x',
};
const other: SqlRecord = { ...query, text: 'select 1', kinds: ['select'], tables: [] };
const ended = (rows: number): SqlOutcome => ({ type: 'sql', durationMs: 1, rows });

/**
 * A Query's progress is journaled as a provisional event: the Query's own
 * event replaces it (same id and seq); a replay with no final event stores
 * the last provisional one, marked unfinished, and it chains like any event.
 */
describe('provisional events', () => {
  const withJournal = async (
    run: (recorder: AuditRecorder, file: string) => Promise<void>,
  ): Promise<void> => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hoop-provisional-'));
    try {
      await run(
        new AuditRecorder({
          store: await openStore('sqlite::memory:'),
          journal: Journal.open(path.join(dir, 'audit.journal')),
        }),
        path.join(dir, 'audit.journal'),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('a replay stores the last provisional event of an action that did not end', async () => {
    await withJournal(async (recorder, file) => {
      await recorder.record('ses_p', other, ended(1));
      await recorder.progress('ses_p', query, ended(1));
      await recorder.progress('ses_p', query, ended(2));
      // The gateway dies here: a new store gets what the journal holds.
      const store = await openStore('sqlite::memory:');
      try {
        const result = await replayJournal(file, store);
        assert.equal(result.events, 2);
        const events = await store.listEvents('ses_p');
        assert.deepEqual(
          events.map((event) => [
            event.seq,
            event.text,
            event.kind === 'statement' && event.rows,
            event.kind === 'statement' && event.detail,
          ]),
          [
            [1, 'select 1', 1, undefined],
            [2, query.text, 2, { unfinished: true }],
          ],
        );
        assert.equal(events[1]!.prevHash, events[0]!.hash);
      } finally {
        await store.close();
      }
    });
  });

  it("the action's event replaces its provisional one, and the next event follows it", async () => {
    await withJournal(async (recorder, file) => {
      await recorder.progress('ses_f', query, ended(1));
      await recorder.record('ses_f', query, ended(2));
      await recorder.record('ses_f', other, ended(1));
      const store = await openStore('sqlite::memory:');
      try {
        await replayJournal(file, store);
        const events = await store.listEvents('ses_f');
        assert.deepEqual(
          events.map((event) => [event.seq, event.kind === 'statement' && event.detail]),
          [
            [1, undefined],
            [2, undefined],
          ],
        );
      } finally {
        await store.close();
      }
    });
  });

  it('a session that ends during an action records it as unfinished, its hash links it to the chain', async () => {
    const store = await openStore('sqlite::memory:');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hoop-provisional-'));
    try {
      const recorder = new AuditRecorder({
        store,
        journal: Journal.open(path.join(dir, 'audit.journal')),
      });
      const session = {
        id: 'ses_e',
        subject: 'apikey:a',
        identityName: 'a',
        identityKind: 'apikey',
        authMethod: 'apikey',
        groups: [],
        connection: 'pg',
        connectionType: 'postgres',
        clientAddr: '127.0.0.1:1',
        startedAt: new Date(),
      };
      await store.startSession(session);
      recorder.begin(session);
      await recorder.progress('ses_e', query, ended(1));
      await recorder.end('ses_e', {
        endedAt: new Date(),
        bytesUp: 1,
        bytesDown: 1,
        closeReason: 'client_closed',
      });
      const events = await store.listEvents('ses_e');
      assert.deepEqual(
        events.map((event) => [event.seq, event.kind === 'statement' && event.detail]),
        [[1, { unfinished: true }]],
      );
      const [stored] = events;
      assert.equal(stored!.prevHash, genesisHash(session));
      assert.equal(stored!.hash, linkHash(genesisHash(session), canonicalEvent(stored!)));
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
