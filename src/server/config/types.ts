import type { ConnectionType } from '../../lib/connection-types.js';

export { CONNECTION_TYPES, type ConnectionType } from '../../lib/connection-types.js';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

export type LogLevel = (typeof LOG_LEVELS)[number];

/** A machine identity (an agent, a CI job). Only the key's hash is configured. */
export interface ApiKeyConfig {
  name: string;
  groups: string[];
  /** `sha256:` followed by 64 lowercase hex digits. */
  keyHash: string;
}

/** A target the gateway reaches on its callers' behalf, with the credentials it holds. */
export interface ConnectionConfig {
  name: string;
  type: ConnectionType;
  host: string;
  /** Defaults per type: postgres 5432, mysql 3306, ssh 22, http 80 (443 with `tls`); tcp has none. */
  port: number;
  database?: string;
  user?: string;
  /** Resolved from `${env:…}` or `${file:…}`; never written in the file itself. */
  password?: string;
  /** Who may use the connection at all; never empty. */
  groups: string[];
  tls?: boolean;
  /** SSH: the private key the gateway logs in with, resolved from its reference. */
  privateKey?: string;
  /** SSH: the target's host key, pinned (`ssh-ed25519 AAAA…`); any other key refuses the session. */
  hostKey?: string;
}

/** An actor (agent client id or subject) allowed to act for the listed subjects (`*` for anyone). */
export interface DelegationRule {
  actors: string[];
  subjects: string[];
}

export interface OidcConfig {
  issuer: string;
  clientId: string;
  audience?: string;
  /** The ID/access token claim that lists the caller's groups. */
  groupsClaim: string;
  scopes: string[];
  /** Open sessions of a person whose login was revoked end within this long (a fresh token is due this often). */
  revocationWindowMs: number;
}

/** The gateway's configuration, validated, with defaults applied and secrets resolved. */
export interface GatewayConfig {
  /** Absolute path of the config file, or `'<inline>'` when parsed from a string. */
  file: string;
  listen: { host: string; port: number };
  /** `sqlite:/absolute/path`, `sqlite::memory:`, or a `postgres://` URL as written. */
  store: string;
  auth: {
    oidc?: OidcConfig;
    apiKeys: ApiKeyConfig[];
    /** Who may act for whom through RFC 8693 `act` claims; empty means no delegation is accepted. */
    delegation: DelegationRule[];
  };
  connections: ConnectionConfig[];
  /** An absolute path to a policy file, or an inline list of rules kept as written. */
  policy?: string | unknown[];
  tunnel: { maxFrameBytes: number; pingIntervalMs: number; maxBufferedBytes: number };
  sql: SqlConfig;
  postgres: { maxMessageBytes: number; catalogTtlMs: number };
  ssh: SshConfig;
  mysql: { maxPacketBytes: number };
  reviews: ReviewsConfig;
  audit: AuditConfig;
  /** A graceful stop (SIGTERM, Ctrl-C) ends what is left after `timeoutMs`. */
  shutdown: { timeoutMs: number };
  log: { level: LogLevel };
}

/** The SSH handler's host key and limits (see schema.ts). */
export interface SshConfig {
  /** The gateway's host key (private, OpenSSH or PEM), resolved from its reference; undefined: the state directory's. */
  hostPrivateKey?: string;
  maxCommandBytes: number;
  maxChannels: number;
  maxAuthAttempts: number;
  handshakeTimeoutMs: number;
  maxRecordedBytes: number;
}

/** Limits on the SQL read from clients; a limit left out keeps the classifier's default. */
export interface SqlConfig {
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

/** The audit trail's settings (see schema.ts). */
export interface AuditConfig {
  /** Groups that see every session. */
  auditors: string[];
  /** Sessions older than this many milliseconds are purged; undefined keeps everything. */
  retentionMs?: number;
  /** Kept per statement result: at most this many rows and this many bytes of values. */
  preview: { rows: number; bytes: number };
  /** The signing key's PEM text, resolved from its reference; undefined: a key file next to the store. */
  signingKey?: string;
  /** Absolute path of the journal; undefined: next to a SQLite store (none for `sqlite::memory:`). */
  journal?: string;
  /** When the store cannot take a record: close the sessions it was for, or keep records in the spool. */
  onStoreFailure: 'close' | 'spool';
  /** The spool of `onStoreFailure: spool`: an absolute directory and the most bytes it may hold. */
  spool: { dir: string; maxBytes: number };
  /** Kept of each statement's or command's text; a longer one keeps this much and its size and SHA-256. */
  maxTextBytes: number;
}

/** Where review events are sent: a signed JSON webhook or a Slack-compatible incoming webhook. */
export type NotifyTarget =
  { type: 'webhook'; url: string; secret: string } | { type: 'slack'; url: string };

export interface ReviewsConfig {
  /** How long an approved statement may wait for its one run (`hoop exec --review ID`). */
  approvedStatementTtlMs: number;
  /** The longest grant that may be asked for. */
  maxGrantDurationMs: number;
  notify: NotifyTarget[];
  /** Delivery attempts per notification after the first. */
  notifyRetries: number;
}

export const DEFAULTS = {
  listen: '127.0.0.1:8009',
  store: 'sqlite:./.hoop/hoop.db',
  groupsClaim: 'groups',
  revocationWindowMs: 60_000,
  scopes: ['openid', 'profile', 'email', 'offline_access'],
  tunnel: { maxFrameBytes: 1024 * 1024, pingIntervalMs: 30_000, maxBufferedBytes: 1024 * 1024 },
  sql: { parseTimeoutMs: 5_000, offThreadLength: 8_192 },
  postgres: { maxMessageBytes: 64 * 1024 * 1024, catalogTtlMs: 2_000 },
  ssh: {
    maxCommandBytes: 64 * 1024,
    maxChannels: 10,
    maxAuthAttempts: 10,
    handshakeTimeoutMs: 20_000,
    maxRecordedBytes: 16 * 1024 * 1024,
  },
  mysql: { maxPacketBytes: 64 * 1024 * 1024 },
  logLevel: 'info',
  shutdownTimeoutMs: 10_000,
  audit: {
    preview: { rows: 100, bytes: 64 * 1024 },
    spool: { dir: './.hoop/spool', maxBytes: 64 * 1024 * 1024 },
    maxTextBytes: 64 * 1024,
  },
  reviews: {
    approvedStatementTtlMs: 60 * 60_000,
    maxGrantDurationMs: 8 * 3_600_000,
    notifyRetries: 3,
  },
  ports: { postgres: 5432, mysql: 3306, ssh: 22, http: 80 },
  httpsPort: 443,
} as const;
