import type { CloseReasonName } from '../../tunnel/index.js';
import type { AuditRecords } from './audit-queries.js';
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
}

/**
 * Where the gateway records what happened. The embedded SQLite backend is
 * the default; a PostgreSQL backend (several gateway replicas) implements the
 * same interface with the same queries.
 */
export interface Store extends ReviewRecords, AuditRecords {
  startSession(session: NewSession): Promise<void>;
  endSession(id: string, end: SessionEnd): Promise<void>;
  getSession(id: string): Promise<SessionRecord | undefined>;
  listSessions(filter?: SessionFilter): Promise<SessionRecord[]>;
  /** Appends events atomically, in one transaction: all of them or none. */
  appendEvents(events: readonly StatementEvent[]): Promise<void>;
  /** A session's events in `seq` order. */
  listEvents(sessionId: string): Promise<StatementEvent[]>;
  /** Resolves when the store can record; rejects otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
