import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Journal, readJournal, replayJournal } from '../../../../src/server/audit/index.js';
import { decodeRecords, encodeRecords } from '../../../../src/server/audit/journal.js';
import { openStore, type StatementEvent } from '../../../../src/server/store/index.js';

const event = (seq: number): StatementEvent => ({
  id: `evt_${seq}`,
  sessionId: 'ses_j',
  seq,
  at: new Date('2026-01-01T00:00:00.000Z'),
  kind: 'statement',
  text: `select ${seq}`,
  kinds: ['select'],
  tables: [],
  decision: 'allow',
  preview: { columns: ['n'], rows: [[String(seq)]], truncated: false },
});

describe('audit journal', () => {
  it('round-trips records, dates included, and stops at a torn or corrupt tail', () => {
    const bytes = encodeRecords([
      { type: 'event', event: event(1) },
      { type: 'event', event: event(2) },
    ]);
    const whole = decodeRecords(bytes);
    assert.equal(whole.torn, false);
    assert.deepEqual(
      whole.records.map((record) => record.type === 'event' && record.event),
      [event(1), event(2)],
    );
    // Every cut inside the second record keeps the first, whole.
    for (let cut = bytes.length - 1; cut > bytes.length / 2 + 8; cut -= 7) {
      const torn = decodeRecords(bytes.subarray(0, cut));
      assert.equal(torn.torn, true);
      assert.equal(torn.records.length, 1);
    }
    const corrupt = Buffer.from(bytes);
    corrupt[corrupt.length - 3] = (corrupt[corrupt.length - 3] ?? 0) ^ 0xff;
    assert.equal(decodeRecords(corrupt).records.length, 1);
  });

  it('appends with one write, empties, and is replayed into the store idempotently', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hoop-journal-'));
    const file = path.join(dir, 'audit.journal');
    const store = await openStore('sqlite::memory:');
    try {
      const journal = Journal.open(file);
      assert.equal(statSync(file).mode & 0o777, 0o600);
      journal.append([{ type: 'event', event: event(1) }]);
      journal.reset();
      journal.append([
        { type: 'event', event: event(2) },
        { type: 'event', event: event(3) },
      ]);
      journal.close();
      assert.equal(readJournal(file).records.length, 2);
      const copy = readFileSync(file);
      assert.equal((await replayJournal(file, store)).events, 2);
      assert.equal(statSync(file).size, 0);
      // The same records again (a replay cut short by another crash): nothing is added twice.
      appendFileSync(file, copy);
      await replayJournal(file, store);
      assert.deepEqual(
        (await store.listEvents('ses_j')).map((stored) => stored.seq),
        [2, 3],
      );
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
