import type { KeyObject } from 'node:crypto';
import {
  CANONICAL_EVENT_COLUMNS,
  ChainVerifier,
  EVENT_COLUMN,
  type ChainReport,
} from '../../audit-chain/index.js';
import { toEventRow, type SessionChain, type Store } from '../store/index.js';
import { SqliteChainReader } from '../store/sqlite-chain-reader.js';

/** What the verifier reads of each row: the canonical columns, then the chain's own. */
const EVENT_COLUMNS = [...CANONICAL_EVENT_COLUMNS, 'prev_hash', 'hash'] as const;
const ID = EVENT_COLUMN.id;
const SEQ = EVENT_COLUMN.seq;

/**
 * Verifies one session's chain held in memory (as the store's
 * `sessionChain` returns it), each event hashed from its row's values.
 */
export function verifyChain(chain: SessionChain, publicKey: KeyObject): ChainReport {
  const verifier = new ChainVerifier(chain.session, chain.signatures, publicKey);
  for (const event of chain.events) {
    const row = toEventRow(event);
    verifier.addValues(EVENT_COLUMNS.map((column) => row[column]));
  }
  return verifier.report();
}

/** Events read per query: a long session is verified without holding it all. */
const PAGE = 20_000;

/**
 * Verifies one session, or every session of the store, oldest first,
 * reading each session's events page by page and hashing them as stored
 * (as {@link verifySqliteFile} does), never through the mapped record, which
 * would hide edits the mapping normalizes away. A session ID the store does
 * not have is reported as `undefined` in its place.
 */
export async function* verifyStore(
  store: Store,
  publicKey: KeyObject,
  sessionId?: string,
): AsyncGenerator<ChainReport | { sessionId: string; notFound: true }> {
  const ids = sessionId === undefined ? await store.listSessionIds() : [sessionId];
  for (const id of ids) {
    const session = await store.getSession(id);
    if (!session) {
      yield { sessionId: id, notFound: true };
      continue;
    }
    const verifier = new ChainVerifier(session, await store.listSignatures(id), publicKey);
    let after: { seq: number; id: string } | undefined;
    for (;;) {
      const page = await store.chainEventValues(id, EVENT_COLUMNS, after, PAGE);
      for (const values of page) verifier.addValues(values);
      if (page.length < PAGE) break;
      const last = page[page.length - 1]!;
      after = { seq: Number(last[SEQ]), id: String(last[ID]) };
    }
    yield verifier.report();
  }
}

/**
 * {@link verifyStore} for a SQLite file, read directly (read-only) and
 * hashed from the stored text: what `hoop audit verify` uses on the gateway
 * host, about a million events in a few seconds.
 */
export function* verifySqliteFile(
  file: string,
  publicKey: KeyObject,
  sessionId?: string,
): Generator<ChainReport | { sessionId: string; notFound: true }> {
  const reader = new SqliteChainReader(file);
  try {
    const ids = sessionId === undefined ? reader.sessionIds() : [sessionId];
    for (const id of ids) {
      const session = reader.session(id);
      if (!session) {
        yield { sessionId: id, notFound: true };
        continue;
      }
      const verifier = new ChainVerifier(session, reader.signatures(id), publicKey);
      for (const values of reader.events(id, EVENT_COLUMNS)) verifier.addValues(values);
      yield verifier.report();
    }
  } finally {
    reader.close();
  }
}
