import type { CloseReasonName } from '../../tunnel/index.js';
import type { AuditRecords } from './audit-queries.js';
import type { ChainRecords } from './chain-queries.js';
import type { RetentionRecords } from './retention-queries.js';
import type { ReviewRecords } from './review-queries.js';

/** A session as it starts: one tunnel, one identity, one connection. */
export interface NewSession {
  id: string;
  subject: string;
  identityName: string;
  identityKind: string;
  authMethod: string;
  groups: string[];
  connection: string;
  connectionType: string;
  clientAddr: string;
  startedAt: Date;
  /** RFC 8693 actor chain, current actor first, when an agent acts for the subject. */
  actors?: string[];
  /** The credential's id (a JWT's `jti`), to trace a session back to the token. */
  tokenId?: string;
}

export interface SessionEnd {
  endedAt: Date;
  bytesUp: number;
  bytesDown: number;
  closeReason: CloseReasonName | 'gateway_restart';
  closeDetail?: string;
}

export interface SessionRecord extends NewSession {
  endedAt?: Date;
  bytesUp: number;
  bytesDown: number;
  closeReason?: string;
  closeDetail?: string;
}

export interface SessionFilter {
  connection?: string;
  subject?: string;
  /** Newest first; at most this many. */
  limit?: number;
}

/**
 * One statement a session ran or was refused, as the audit trail keeps it.
 * `text` is the SQL as the client sent it; parameter values of the extended
 * protocol are never part of it, and no result value is ever stored.
 */
export interface StatementEvent {
  id: string;
  sessionId: string;
  /** Order within the session, from 1. */
  seq: number;
  at: Date;
  kind: 'statement';
  text: string;
  /** Undefined when the SQL did not parse. */
  fingerprint?: string;
  kinds: string[];
  tables: string[];
  decision: 'allow' | 'deny';
  /** The policy rule that decided; undefined for the default deny or no policy. */
  rule?: string;
  /** The hash of the policy version that decided. */
  policyHash?: string;
  /** From the CommandComplete tag; undefined when the command reports no count. */
  rows?: number;
  durationMs?: number;
  /** SQLSTATE of the error the client saw (42501 for a refusal). */
  errorCode?: string;
  errorMessage?: string;
  /** A statement held for review: the review's ID. */
  reviewId?: string;
  /** How the held statement's review ended: approved, rejected, expired, abandoned (the client left) or consumed (`--review ID`). */
  reviewOutcome?: string;
  /** The first rows of the result as the client saw them (masked), for replay. */
  preview?: ResultPreview;
  /** The hash of the session's previous event (its genesis hash for seq 1), hex SHA-256. */
  prevHash?: string;
  /** SHA-256(prevHash ‖ canonical event) in hex (src/server/audit/chain.ts). */
  hash?: string;
}

/**
 * The first rows of a statement's result as the client received them, after
 * masking: column names and text values (binary-format values as `\x` and
 * hex), `null` for SQL NULL. `truncated` when rows were left out (the row or
 * byte limit, or a later result set of the same Query).
 */
export interface ResultPreview {
  columns: string[];
  rows: (string | null)[][];
  truncated: boolean;
}

/** A gateway's Ed25519 signature over a session's chain head at `seq` (`final`: over its end hash). */
export interface ChainSignature {
  sessionId: string;
  seq: number;
  /** The signed hash, hex. */
  hash: string;
  final: boolean;
  /** Names the signing key: 16 hex digits of SHA-256 of its public key. */
  keyId: string;
  /** Base64 Ed25519 signature. */
  signature: string;
  at: Date;
}

/**
 * Where the gateway records what happened. The embedded SQLite backend is
 * the default; a PostgreSQL backend (several gateway replicas) implements the
 * same interface with the same queries.
 */
export interface Store extends ReviewRecords, AuditRecords, ChainRecords, RetentionRecords {
  startSession(session: NewSession): Promise<void>;
  endSession(id: string, end: SessionEnd): Promise<void>;
  getSession(id: string): Promise<SessionRecord | undefined>;
  listSessions(filter?: SessionFilter): Promise<SessionRecord[]>;
  /** Appends events atomically, in one transaction: all of them or none; an event whose id is already stored is skipped (journal replay). */
  appendEvents(events: readonly StatementEvent[]): Promise<void>;
  /** A session's events in `seq` order. */
  listEvents(sessionId: string): Promise<StatementEvent[]>;
  /** Resolves when the store can record; rejects otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
