import { createHash } from 'node:crypto';
import type { NewSession, SessionEnd, StatementEvent } from '../store/index.js';
import { previewJson } from '../store/preview-json.js';

/**
 * The hash chain of a session's audit record (README "Audit integrity").
 *
 * Each session is one chain: its start record gives the genesis hash, each
 * statement event links to the one before, and the session's end record
 * closes it:
 *
 *   genesis   = SHA-256(canonical(session start))
 *   hash(e_n) = SHA-256(bytes(hash(e_{n-1})) ‖ UTF-8(canonical(e_n)))   hash(e_0) = genesis
 *   end       = SHA-256(bytes(hash(e_last)) ‖ UTF-8(canonical(session end)))
 *
 * The canonical form of a record is the JSON text (JSON.stringify, no spaces)
 * of an array of every recorded field in a fixed order, with `null` for a
 * field the record does not have. Times are ISO-8601 UTC with milliseconds,
 * as stored; numbers are JSON numbers; the result preview is the object
 * `{"columns":…,"rows":…,"truncated":…}` in that key order. The first element
 * names the record type and the scheme's version, so a record of one type can
 * never pass for another. The event's form is exactly the stored columns'
 * text joined (`kinds`, `tables` and `preview` are stored as this JSON), so a
 * verifier can hash rows as read, without parsing them (see
 * {@link canonicalEventRow}).
 */
export const CHAIN_VERSION = 'hoop-audit-v1';

/** The start record: who, through which connection, from where, when. */
export function canonicalSession(session: NewSession): string {
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

/** A statement event, every field the store keeps except its own chain fields. */
export function canonicalEvent(event: StatementEvent): string {
  return canonicalEventValues([
    event.id,
    event.sessionId,
    event.seq,
    event.at.toISOString(),
    event.kind,
    event.text,
    event.fingerprint ?? null,
    JSON.stringify(event.kinds),
    JSON.stringify(event.tables),
    event.decision,
    event.rule ?? null,
    event.policyHash ?? null,
    event.rows ?? null,
    event.durationMs ?? null,
    event.errorCode ?? null,
    event.errorMessage ?? null,
    event.reviewId ?? null,
    event.reviewOutcome ?? null,
    event.preview ? previewJson(event.preview) : null,
  ]);
}

/**
 * The events table's columns in canonical order: what a verifier selects,
 * followed by `prev_hash` and `hash`, to hash rows as read.
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
] as const;

/** Indexes of the JSON columns, whose stored text is already their canonical JSON. */
const KINDS = 7;
const TABLES = 8;
const PREVIEW = 18;

const EVENT_TAG = JSON.stringify(`${CHAIN_VERSION}/event`);

/**
 * {@link canonicalEvent} of a stored row's values in
 * {@link CANONICAL_EVENT_COLUMNS} order, the JSON columns as their text: the
 * same bytes for a row the gateway wrote, without parsing anything, which is
 * what lets `hoop audit verify` hash a million rows in a few seconds. A JSON
 * column edited into another spelling of the same value counts as altered.
 */
export function canonicalEventValues(values: readonly unknown[]): string {
  let out = `[${EVENT_TAG}`;
  for (let i = 0; i < CANONICAL_EVENT_COLUMNS.length; i++) {
    const value = values[i] ?? null;
    if (i === KINDS || i === TABLES || i === PREVIEW)
      out += `,${value === null ? 'null' : String(value)}`;
    else out += `,${JSON.stringify(value)}`;
  }
  return `${out}]`;
}

/** How the session ended. */
export function canonicalEnd(sessionId: string, end: SessionEnd): string {
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
export function genesisHash(session: NewSession): string {
  return createHash('sha256').update(canonicalSession(session)).digest('hex');
}

/** SHA-256(bytes of the previous hash ‖ UTF-8 of the canonical record), in hex. */
export function linkHash(prevHash: string, canonical: string): string {
  return createHash('sha256').update(Buffer.from(prevHash, 'hex')).update(canonical).digest('hex');
}
