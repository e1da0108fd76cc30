import type { Principal } from '../../lib/principal.js';
import type { CloseReasonName } from '../../tunnel/index.js';

/** A session as it starts: one tunnel, one identity, one connection. */
export interface NewSession {
  id: string;
  /** The subject in `authMethod`'s namespace: the pair names the identity (src/lib/principal.ts). */
  subject: string;
  identityName: string;
  identityKind: string;
  /** `apikey` or `oidc`; stored since the first version and covered by the session's hash chain. */
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
  /** Only this identity's sessions (method and subject). */
  owner?: Principal;
  /** Newest first; at most this many. */
  limit?: number;
}

/** What every audit event has, whatever its kind. */
interface EventBase {
  id: string;
  sessionId: string;
  /** Order within the session, from 1. */
  seq: number;
  at: Date;
  decision: 'allow' | 'deny';
  /** The policy rule that decided; undefined for the default deny or no policy. */
  rule?: string;
  /** The hash of the policy version that decided. */
  policyHash?: string;
  durationMs?: number;
  /** The error the client saw, in its protocol's terms (SQLSTATE 42501 for a refusal). */
  errorCode?: string;
  errorMessage?: string;
  /** An action held for review: the review's ID. */
  reviewId?: string;
  /** How the held action's review ended: approved, rejected, expired, abandoned (the client left) or consumed (`--review ID`). */
  reviewOutcome?: string;
  /** The hash of the session's previous event (its genesis hash for seq 1), hex SHA-256. */
  prevHash?: string;
  /** SHA-256(prevHash ‖ canonical event) in hex (src/audit-chain). */
  hash?: string;
}

/**
 * One statement a session ran or was refused, as the audit trail keeps it.
 * `text` is the SQL as the client sent it; parameter values of the extended
 * protocol are never part of it, and no result value is ever stored.
 * Hashed in the `hoop-audit-v1` form.
 */
export interface StatementEvent extends EventBase {
  kind: 'statement';
  text: string;
  /** Undefined when the SQL did not parse. */
  fingerprint?: string;
  kinds: string[];
  tables: string[];
  /** From the CommandComplete tag; undefined when the command reports no count. */
  rows?: number;
  /** The first rows of the result as the client saw them (masked), for replay. */
  preview?: ResultPreview;
  /**
   * Present when `text` was cut to `audit.maxTextBytes` (the whole text's
   * size and SHA-256), or when the string did not finish (`unfinished`).
   */
  detail?: StatementDetail;
}

/**
 * What a statement event adds to its columns, in this key order (its JSON
 * is hashed): the cut of its text, and `unfinished` when the gateway or the
 * session stopped after some of the string's statements were answered but
 * before its end, so its `rows` and `durationMs` are of what had completed.
 */
export interface StatementDetail extends Partial<CutText> {
  unfinished?: true;
}

/** A text kept only in part: how long it was (UTF-8 bytes) and its SHA-256 (hex). */
export interface CutText {
  textBytes: number;
  textSha256: string;
}

/** A command line run on a host, or a shell opened. `text` is the line as sent. */
export interface CommandEvent extends EventBase {
  kind: 'command';
  text: string;
  detail: {
    shell: boolean;
    /** Present when `text` was cut to `audit.maxTextBytes`. */
    cut?: CutText;
    exitStatus?: number;
    signal?: string;
    /** The first bytes of its output as the client received them (masked). */
    output?: { text: string; truncated: boolean };
  };
}

/** One HTTP request (plain HTTP or the Kubernetes API). `text` is `METHOD path`. */
export interface HttpEvent extends EventBase {
  kind: 'http';
  text: string;
  detail: {
    method: string;
    path: string;
    kubernetes?: {
      verb: string;
      apiGroup: string;
      resource?: string;
      subresource?: string;
      namespace?: string;
      name?: string;
    };
    status?: number;
    bytes?: number;
    /** The first bytes of the response body as the client received them (masked). */
    body?: { text: string; truncated: boolean };
  };
}

/** A chunk of a terminal session (an SSH shell), for replay. `text` is empty. */
export interface TerminalEvent extends EventBase {
  kind: 'terminal';
  text: string;
  detail: {
    stream: 'output' | 'input';
    /** The bytes, base64. */
    data: string;
  };
}

/**
 * An audit event, tagged by `kind`. Statements keep their `hoop-audit-v1`
 * canonical form; every other kind is hashed in the `hoop-audit-v2/<kind>`
 * form, with its own fields in `detail`.
 */
export type AuditEvent = StatementEvent | CommandEvent | HttpEvent | TerminalEvent;

export type AuditEventKind = AuditEvent['kind'];

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
