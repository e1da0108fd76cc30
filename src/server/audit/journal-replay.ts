import { truncateSync } from 'node:fs';
import type { ChainSignature, SessionEnd, AuditEvent, Store } from '../store/index.js';
import { readJournal } from './journal.js';

export interface ReplayResult {
  events: number;
  signatures: number;
  ends: number;
  /** The file ended in a partial or corrupt record (only a power loss leaves one), which was dropped. */
  torn: boolean;
}

const BATCH = 2000;

/**
 * Puts what a previous gateway left in the journal into the store, before
 * this one serves anyone, then empties the journal. An action whose final
 * event is missing is stored as its last provisional record (marked
 * `unfinished`): part of its response had reached the client. Idempotent: events are
 * skipped by id and signatures by head when the store already has them, and
 * a session's end is written again as it was, so a replay cut short by
 * another crash is simply done again.
 */
export async function replayJournal(file: string, store: Store): Promise<ReplayResult> {
  const { records, torn } = readJournal(file);
  // By id, in the order first seen: an event replaces its provisional
  // records, and a later provisional record an earlier one.
  const byId = new Map<string, { event: AuditEvent; final: boolean }>();
  const signatures: ChainSignature[] = [];
  const ends: { sessionId: string; end: SessionEnd }[] = [];
  for (const record of records) {
    if (record.type === 'event') byId.set(record.event.id, { event: record.event, final: true });
    else if (record.type === 'provisional') {
      if (!byId.get(record.event.id)?.final)
        byId.set(record.event.id, { event: record.event, final: false });
    } else if (record.type === 'signature') signatures.push(record.signature);
    else ends.push(record);
  }
  const events = [...byId.values()].map((entry) => entry.event);
  for (let i = 0; i < events.length; i += BATCH)
    await store.appendEvents(events.slice(i, i + BATCH));
  if (signatures.length > 0) await store.appendSignatures(signatures);
  for (const { sessionId, end } of ends) await store.endSession(sessionId, end);
  if (records.length > 0 || torn) truncateSync(file, 0);
  return { events: events.length, signatures: signatures.length, ends: ends.length, torn };
}
