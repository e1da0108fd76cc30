import type { Duplex } from 'node:stream';
import type { ConnectionType } from '../../lib/connection-types.js';
import type { CloseReasonName } from '../../tunnel/index.js';
import type { Enforcer } from '../enforcement/index.js';
import type { Logger } from '../logger.js';
import type { TargetConnector, TargetInfo } from '../targets/connector.js';

/** Who the session is for, as far as a protocol needs to know (logs, pooling per identity). */
export interface SessionIdentity {
  /** Stable subject: `apikey:<name>` for API keys, the token's `sub` for OIDC. */
  subject: string;
  /** Display name. */
  name: string;
}

/** What a protocol handler knows about the session it serves. */
export interface ProtocolSession {
  id: string;
  identity: SessionIdentity;
  /** The connection's target, without its credentials (the connector holds those). */
  target: TargetInfo;
  log: Logger;
  /** Decides, holds, masks and records this session's actions. */
  enforcer: Enforcer;
  /**
   * Aborted when the gateway ends the session from outside (the audit store
   * is unavailable, the gateway stops), with a {@link SessionAbort} as its
   * reason: the handler tells its client why in the protocol's own terms and ends.
   */
  signal: AbortSignal;
}

/** Why the gateway ends a session: the reason of an aborted {@link ProtocolSession.signal}. */
export interface SessionAbort {
  reason: CloseReasonName;
  message: string;
}

/** How a session ended, as its handler saw it. */
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
 * talks to the target through the connector, and resolves when the session
 * is over. Handlers never throw for ordinary endings: the outcome names how
 * it ended.
 */
export interface ProtocolHandler {
  readonly type: ConnectionType;
  serve(session: ProtocolSession, client: Duplex): Promise<SessionOutcome>;
  /** Releases what the handler keeps between sessions (pooled connections); called once every session has ended. */
  close?(): void | Promise<void>;
}

/** Limits on the SQL a protocol reads from clients (config `sql`). */
export interface SqlSettings {
  /** The classifier's limits; one left out keeps its default. */
  limits: {
    maxLength?: number;
    maxTokens?: number;
    maxDepth?: number;
    maxNodes?: number;
    maxStatements?: number;
    maxCodeDepth?: number;
  };
  /** How long classifying one string off the event loop may take. */
  parseTimeoutMs: number;
  /** Strings of at least this many characters are classified on a worker thread. */
  offThreadLength: number;
}

/** The SSH handler's host key and limits on what clients send (config `ssh`). */
export interface SshSettings {
  /** The gateway's own host key, private, OpenSSH or PEM text. */
  hostKey: string;
  maxCommandBytes: number;
  maxChannels: number;
  maxAuthAttempts: number;
  handshakeTimeoutMs: number;
  /** Terminal output recorded per session. */
  maxRecordedBytes: number;
}

/** What a handler is built with: the connector every target socket goes through, and its limits. */
export interface HandlerContext {
  connector: TargetConnector;
  sql: SqlSettings;
  /** The largest message a client may send, for protocols that frame messages. */
  maxMessageBytes: number;
  /** How long what a target's catalog said is trusted (config `postgres.catalogTtl`). */
  catalogTtlMs?: number;
  /** For `type: ssh`; undefined where no SSH connection is configured (tests building one handler). */
  ssh?: SshSettings;
  /** The largest MySQL packet accepted (config `mysql.maxPacketBytes`): the gateway's own max_allowed_packet. */
  mysqlMaxPacketBytes?: number;
}

/** Builds a protocol's handler; the registry holds one per connection type. */
export type HandlerFactory = (context: HandlerContext) => ProtocolHandler;
