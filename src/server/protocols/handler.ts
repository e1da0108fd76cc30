import type { Duplex } from 'node:stream';
import type { ConnectionType } from '../../lib/connection-types.js';
import type { CloseReasonName } from '../../tunnel/index.js';
import type { Identity } from '../auth/identity.js';
import type { ConnectionConfig } from '../config/index.js';
import type { Logger } from '../logger.js';

/** What a protocol handler knows about the session it serves. */
export interface SessionContext {
  id: string;
  identity: Identity;
  connection: ConnectionConfig;
  log: Logger;
  /**
   * Aborted when the gateway ends the session from outside (the audit store
   * is unavailable, say), with a {@link SessionAbort} as its reason: the
   * handler tells its client why in the protocol's own terms and ends.
   */
  signal?: AbortSignal;
}

/** Why the gateway ends a session: the reason of an aborted {@link SessionContext.signal}. */
export interface SessionAbort {
  reason: CloseReasonName;
  message: string;
}

export interface SessionOutcome {
  /** Bytes from the client toward the target. */
  bytesUp: number;
  /** Bytes from the target toward the client. */
  bytesDown: number;
  reason: CloseReasonName;
  detail?: string;
}

/**
 * Serves one tunnel for one connection type: reads the client's byte stream,
 * talks to the target, and resolves when the session is over. Handlers never
 * throw for ordinary endings: the outcome names how it ended.
 */
export interface ProtocolHandler {
  readonly type: ConnectionType;
  serve(session: SessionContext, client: Duplex): Promise<SessionOutcome>;
  /** Releases what the handler keeps between sessions (pooled connections); called once every session has ended. */
  close?(): void | Promise<void>;
}
