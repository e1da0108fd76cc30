import type { CloseReasonName } from '../../tunnel/index.js';

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
 * Where the gateway records what happened. The embedded SQLite backend is
 * the default; a PostgreSQL backend (several gateway replicas) implements the
 * same interface with the same queries.
 */
export interface Store {
  startSession(session: NewSession): Promise<void>;
  endSession(id: string, end: SessionEnd): Promise<void>;
  getSession(id: string): Promise<SessionRecord | undefined>;
  listSessions(filter?: SessionFilter): Promise<SessionRecord[]>;
  /** Resolves when the store can record; rejects otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
