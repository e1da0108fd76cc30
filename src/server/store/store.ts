import type { AuditRecords } from './audit-queries.js';
import type { ChainRecords } from './chain-queries.js';
import type { RetentionRecords } from './retention-queries.js';
import type { ReviewRecords } from './review-queries.js';

import type {
  AuditEvent,
  NewSession,
  SessionEnd,
  SessionFilter,
  SessionRecord,
} from './records.js';

export type * from './records.js';

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
  appendEvents(events: readonly AuditEvent[]): Promise<void>;
  /** A session's events in `seq` order. */
  listEvents(sessionId: string): Promise<AuditEvent[]>;
  /** Resolves when the store can record; rejects otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
