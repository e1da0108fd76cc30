import { createHash } from 'node:crypto';
import type { NewSession, ResultPreview, SessionEnd, StatementEvent } from '../store/index.js';

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
 * as stored; numbers are JSON numbers; the result preview is itself the array
 * `[columns, rows, truncated]`. The first element names the record type and
 * the scheme's version, so a record of one type can never pass for another.
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
  return JSON.stringify([
    `${CHAIN_VERSION}/event`,
    event.id,
    event.sessionId,
    event.seq,
    event.at.toISOString(),
    event.kind,
    event.text,
    event.fingerprint ?? null,
    event.kinds,
    event.tables,
    event.decision,
    event.rule ?? null,
    event.policyHash ?? null,
    event.rows ?? null,
    event.durationMs ?? null,
    event.errorCode ?? null,
    event.errorMessage ?? null,
    event.reviewId ?? null,
    event.reviewOutcome ?? null,
    canonicalPreview(event.preview),
  ]);
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

function canonicalPreview(preview: ResultPreview | undefined): unknown {
  return preview ? [preview.columns, preview.rows, preview.truncated] : null;
}

/** SHA-256 of a session's start record, in hex: the `prev_hash` of its first event. */
export function genesisHash(session: NewSession): string {
  return createHash('sha256').update(canonicalSession(session)).digest('hex');
}

/** SHA-256(bytes of the previous hash ‖ UTF-8 of the canonical record), in hex. */
export function linkHash(prevHash: string, canonical: string): string {
  return createHash('sha256').update(Buffer.from(prevHash, 'hex')).update(canonical).digest('hex');
}
