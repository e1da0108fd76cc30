import { createHash } from 'node:crypto';
import type { ChainSessionEnd, ChainSessionStart } from './records.js';

/**
 * The hash chain of a session's audit record.
 *
 * Each session is one chain: its start record gives the genesis hash, each
 * event links to the one before, and the session's end record closes it:
 *
 *   genesis   = SHA-256(canonical(session start))
 *   hash(e_n) = SHA-256(bytes(hash(e_{n-1})) ‖ UTF-8(canonical(e_n)))   hash(e_0) = genesis
 *   end       = SHA-256(bytes(hash(e_last)) ‖ UTF-8(canonical(session end)))
 *
 * The canonical form of a record is the JSON text (JSON.stringify, no
 * spaces) of an array of every recorded field in a fixed order, with `null`
 * for a field the record does not have. Times are ISO-8601 UTC with
 * milliseconds, as stored; numbers are JSON numbers. The first element names
 * the record type and its version, so a record of one type can never pass
 * for another.
 *
 * Events are a tagged union (the `kind` column). A `statement` event keeps
 * the form it has had since `hoop-audit-v1`, so every record written before
 * the union still verifies; every other kind (`command`, `http`,
 * `terminal` …) is hashed in the `hoop-audit-v2/<kind>` form, over every
 * column. Both are exactly the stored columns' text joined (JSON columns are
 * stored as their canonical JSON), so a verifier hashes rows as read,
 * without parsing them.
 */
export const CHAIN_VERSION = 'hoop-audit-v1';
export const CHAIN_VERSION_2 = 'hoop-audit-v2';

/** The start record: who, through which connection, from where, when. */
export function canonicalSession(session: ChainSessionStart): string {
  return JSON.stringify([
    `${CHAIN_VERSION}/session`,
    session.id,
    session.subject,
    session.identityName,
    session.identityKind,
    session.authMethod,
    session.groups,
    session.connection,
    session.connectionType,
    session.clientAddr,
    session.startedAt.toISOString(),
    session.actors ?? null,
    session.tokenId ?? null,
  ]);
}

/**
 * The events table's columns in canonical order: what a verifier selects,
 * followed by `prev_hash` and `hash`, to hash rows as read. The first
 * nineteen are the `hoop-audit-v1` statement form; `detail` holds the
 * fields of the other kinds as JSON.
 */
export const CANONICAL_EVENT_COLUMNS = [
  'id',
  'session_id',
  'seq',
  'at',
  'kind',
  'text',
  'fingerprint',
  'kinds',
  'tables',
  'decision',
  'rule',
  'policy_hash',
  'rows',
  'duration_ms',
  'error_code',
  'error_message',
  'review_id',
  'review_outcome',
  'preview',
  'detail',
] as const;

/** Indexes of the columns every verifier needs by name. */
export const EVENT_COLUMN = {
  id: 0,
  seq: 2,
  kind: 4,
  detail: 19,
} as const;

/** Indexes of the JSON columns, whose stored text is already their canonical JSON. */
const JSON_COLUMNS = new Set([7, 8, 18, 19]);
/** The v1 statement form covers the columns before `detail`. */
const V1_COLUMNS = EVENT_COLUMN.detail;
const STATEMENT_TAG = JSON.stringify(`${CHAIN_VERSION}/event`);

/**
 * The canonical form of an event from its values in
 * {@link CANONICAL_EVENT_COLUMNS} order (JSON columns as their text): the
 * same bytes for a row the gateway wrote and for the record it wrote it
 * from, without parsing anything, which is what lets `hoop audit verify`
 * hash a million rows in a few seconds. A JSON column edited into another
 * spelling of the same value counts as altered.
 *
 * A `statement` row is in the v1 form; a `detail` such a row was never
 * written with is appended, so adding one is seen as an alteration.
 */
export function canonicalEventValues(values: readonly unknown[]): string {
  const kind = values[EVENT_COLUMN.kind];
  const detail = values[EVENT_COLUMN.detail] ?? null;
  const statement = kind === 'statement';
  let out = `[${statement ? STATEMENT_TAG : JSON.stringify(`${CHAIN_VERSION_2}/${String(kind)}`)}`;
  const count = statement && detail === null ? V1_COLUMNS : CANONICAL_EVENT_COLUMNS.length;
  for (let i = 0; i < count; i++) {
    const value = values[i] ?? null;
    if (JSON_COLUMNS.has(i)) out += `,${value === null ? 'null' : String(value)}`;
    else out += `,${JSON.stringify(value)}`;
  }
  return `${out}]`;
}

/** How the session ended. */
export function canonicalEnd(sessionId: string, end: ChainSessionEnd): string {
  return JSON.stringify([
    `${CHAIN_VERSION}/end`,
    sessionId,
    end.endedAt.toISOString(),
    end.bytesUp,
    end.bytesDown,
    end.closeReason,
    end.closeDetail ?? null,
  ]);
}

/** SHA-256 of a session's start record, in hex: the `prev_hash` of its first event. */
export function genesisHash(session: ChainSessionStart): string {
  return createHash('sha256').update(canonicalSession(session)).digest('hex');
}

/** SHA-256(bytes of the previous hash ‖ UTF-8 of the canonical record), in hex. */
export function linkHash(prevHash: string, canonical: string): string {
  return createHash('sha256').update(Buffer.from(prevHash, 'hex')).update(canonical).digest('hex');
}
