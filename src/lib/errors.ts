/**
 * Stable error codes. Every refusal or failure that reaches a user or a
 * script carries one of these codes; the README lists them. Each code knows
 * the HTTP status the gateway answers with and the exit code the CLI uses
 * (see DESIGN.md: 1 target error, 2 usage/config, 3 refused by policy,
 * 4 waiting for review, 5 not authenticated, 6 unreachable).
 */
export const ERROR_CODES = {
  /** No bearer token was sent. */
  HOOP_AUTH_MISSING: { status: 401, exit: 5 },
  /** A token was sent but no authentication strategy accepted it. */
  HOOP_AUTH_INVALID: { status: 401, exit: 5 },
  /** The token has expired (past `exp` plus the allowed clock skew). */
  HOOP_AUTH_EXPIRED: { status: 401, exit: 5 },
  /** The token's `nbf` is in the future. */
  HOOP_AUTH_NOT_YET_VALID: { status: 401, exit: 5 },
  /** The token was issued by another identity provider. */
  HOOP_AUTH_UNKNOWN_ISSUER: { status: 401, exit: 5 },
  /** The token was issued for another audience. */
  HOOP_AUTH_WRONG_AUDIENCE: { status: 401, exit: 5 },
  /** The identity provider no longer accepts the token or login (revoked, user disabled). */
  HOOP_AUTH_REVOKED: { status: 401, exit: 5 },
  /** A delegated token (RFC 8693 `act`) whose delegation the gateway does not allow. */
  HOOP_AUTH_DELEGATION_DENIED: { status: 403, exit: 3 },
  /**
   * A token whose subject (or an actor's) lies in a namespace another kind of
   * identity owns: a provider `sub` starting with `apikey:` or `oidc:`.
   */
  HOOP_AUTH_RESERVED_SUBJECT: { status: 401, exit: 5 },
  /** The identity provider cannot be reached, so no token can be checked (fail closed). */
  HOOP_AUTH_UNAVAILABLE: { status: 503, exit: 6 },
  /** The gateway has no identity provider configured (`auth.oidc`), so `hoop login` cannot work. */
  HOOP_LOGIN_UNAVAILABLE: { status: 404, exit: 2 },
  /** The device login was denied, expired, or failed at the identity provider. */
  HOOP_LOGIN_FAILED: { status: 401, exit: 5 },
  /** The connection name is not configured on the gateway. */
  HOOP_CONNECTION_UNKNOWN: { status: 404, exit: 2 },
  /** The caller's groups do not overlap the connection's groups. */
  HOOP_CONNECTION_FORBIDDEN: { status: 403, exit: 3 },
  /** The connection's type has no protocol handler on this gateway. */
  HOOP_PROTOCOL_UNSUPPORTED: { status: 501, exit: 2 },
  /** The route does not exist. */
  HOOP_NOT_FOUND: { status: 404, exit: 2 },
  /** The request was malformed (bad JSON, bad parameter, not a WebSocket upgrade). */
  HOOP_BAD_REQUEST: { status: 400, exit: 2 },
  /** The configuration file is invalid; the message names file, line and key. */
  HOOP_CONFIG_INVALID: { status: 500, exit: 2 },
  /** The policy file (or the inline rules) is invalid; the message names file, line and key. */
  HOOP_POLICY_INVALID: { status: 500, exit: 2 },
  /** A policy rule refused the request, or no rule allowed it. */
  HOOP_POLICY_DENIED: { status: 403, exit: 3 },
  /** `hoop policy check`: the policy is invalid (or, with `--strict`, has warnings). */
  HOOP_POLICY_CHECK_FAILED: { status: 422, exit: 1 },
  /** `hoop policy test`: the cases file is invalid; the message names file, line and key. */
  HOOP_POLICY_CASES_INVALID: { status: 422, exit: 1 },
  /** `hoop policy test`: a case's decision is not the one it expects. */
  HOOP_POLICY_TEST_FAILED: { status: 422, exit: 1 },
  /** A `${env:…}` or `${file:…}` secret could not be resolved. */
  HOOP_SECRET_MISSING: { status: 500, exit: 2 },
  /** Wrong command-line usage. */
  HOOP_USAGE: { status: 400, exit: 2 },
  /** The local port for `hoop connect` cannot be bound. */
  HOOP_PORT_UNAVAILABLE: { status: 500, exit: 2 },
  /** `hoop connect` cannot make or read its local TLS certificate (`$HOOP_CONFIG_DIR/tls`). */
  HOOP_LOCAL_TLS_UNAVAILABLE: { status: 500, exit: 2 },
  /** The gateway cannot be reached from the CLI. */
  HOOP_GATEWAY_UNREACHABLE: { status: 502, exit: 6 },
  /** The gateway cannot reach the connection's target. */
  HOOP_TARGET_UNREACHABLE: { status: 502, exit: 6 },
  /** The session store cannot record; the gateway fails closed. */
  HOOP_STORE_UNAVAILABLE: { status: 503, exit: 6 },
  /** The gateway is shutting down. */
  HOOP_SHUTTING_DOWN: { status: 503, exit: 6 },
  /** Another running gateway writes this store or audit journal (its lock file names it). */
  HOOP_STORE_LOCKED: { status: 500, exit: 2 },
  /** The statement matched a `review` rule and waits for approval; the message names the review. */
  HOOP_REVIEW_REQUIRED: { status: 403, exit: 4 },
  /** Opening the connection needs an approved grant (`hoop reviews request`). */
  HOOP_GRANT_REQUIRED: { status: 403, exit: 4 },
  /** No review with this ID (or not one the caller may see). */
  HOOP_REVIEW_NOT_FOUND: { status: 404, exit: 2 },
  /** Requesters cannot decide their own reviews. */
  HOOP_REVIEW_SELF_APPROVAL: { status: 403, exit: 3 },
  /** The caller is not in any of the rule's approver groups. */
  HOOP_REVIEW_NOT_APPROVER: { status: 403, exit: 3 },
  /** The caller has already voted on this review. */
  HOOP_REVIEW_ALREADY_VOTED: { status: 409, exit: 3 },
  /** The review is no longer pending (approved, rejected or used). */
  HOOP_REVIEW_DECIDED: { status: 409, exit: 3 },
  /** The review expired before it was decided, or its approval expired before it was used. */
  HOOP_REVIEW_EXPIRED: { status: 410, exit: 3 },
  /** The review is still waiting for approvals. */
  HOOP_REVIEW_PENDING: { status: 409, exit: 4 },
  /** An approval used by someone else, on another connection or for other text. */
  HOOP_REVIEW_MISMATCH: { status: 403, exit: 3 },
  /** An approved statement that already ran: an approval is used once. */
  HOOP_REVIEW_CONSUMED: { status: 409, exit: 3 },
  /** An audit filter (`--since`, `--decision`, `--limit`, `--cursor`, …) has a bad value; the message names it. */
  HOOP_AUDIT_BAD_FILTER: { status: 400, exit: 2 },
  /** No recorded session with this ID, or not one the caller may see. */
  HOOP_SESSION_NOT_FOUND: { status: 404, exit: 2 },
  /** The session cannot be exported in the asked format (asciicast is for terminal sessions). */
  HOOP_AUDIT_FORMAT_UNSUPPORTED: { status: 422, exit: 2 },
  /** The audit signing key (`audit.signingKey`, the key file, `--public-key`) is missing, unreadable or not Ed25519. */
  HOOP_AUDIT_KEY_INVALID: { status: 500, exit: 2 },
  /** `hoop audit verify`: an event or signature does not verify; the report names each by session and seq. */
  HOOP_AUDIT_TAMPERED: { status: 422, exit: 1 },
  /** A statement's event could not be made durable: the session is closed rather than run unrecorded. */
  HOOP_AUDIT_UNRECORDED: { status: 503, exit: 6 },
  /** A SQL string longer than the classifier's `maxLength`; refused before it is parsed. */
  HOOP_SQL_TOO_LONG: { status: 413, exit: 3 },
  /** A SQL string (with the code inside it) holding more lexical tokens than `maxTokens`. */
  HOOP_SQL_TOO_MANY_TOKENS: { status: 422, exit: 3 },
  /** A SQL parse tree nested deeper than `maxDepth`, or deep enough to exhaust the parser's stack. */
  HOOP_SQL_TOO_DEEP: { status: 422, exit: 3 },
  /** SQL parse trees (the string's and its bodies') with more nodes than `maxNodes`. */
  HOOP_SQL_TOO_MANY_NODES: { status: 422, exit: 3 },
  /** A SQL string (or a body inside it) with more statements than `maxStatements`. */
  HOOP_SQL_TOO_MANY_STATEMENTS: { status: 422, exit: 3 },
  /** Code nested in code (a body in a body …) deeper than `maxCodeDepth`. */
  HOOP_SQL_CODE_TOO_DEEP: { status: 422, exit: 3 },
  /** A SQL string whose classification took longer than the gateway allows (`sql.parseTimeout`). */
  HOOP_SQL_TOO_SLOW: { status: 422, exit: 3 },
  /** The gateway's SSH host key (`ssh.hostPrivateKey`, or the key file in its state directory) is unreadable or not a private key. */
  HOOP_SSH_HOST_KEY_INVALID: { status: 500, exit: 2 },
  /** An SSH target presented a host key other than the one pinned in its connection's `hostKey`: the session is refused. */
  HOOP_SSH_HOST_KEY_MISMATCH: { status: 502, exit: 6 },
  /** The SSH target refused the gateway's credentials (the connection's `privateKey` or `password`). */
  HOOP_SSH_TARGET_LOGIN_FAILED: { status: 502, exit: 6 },
  /** An SSH exec command line longer than `ssh.maxCommandBytes`; refused before it is read. */
  HOOP_SSH_COMMAND_TOO_LONG: { status: 413, exit: 3 },
  /** An SSH client opened more than `ssh.maxChannels` channels at once; the channel is refused. */
  HOOP_SSH_TOO_MANY_CHANNELS: { status: 429, exit: 3 },
  /** An SSH client made more than `ssh.maxAuthAttempts` authentication requests; it is disconnected. */
  HOOP_SSH_TOO_MANY_AUTH_ATTEMPTS: { status: 429, exit: 5 },
  /** An SSH client did not finish its key exchange and authentication within `ssh.handshakeTimeout`. */
  HOOP_SSH_HANDSHAKE_TIMEOUT: { status: 408, exit: 6 },
  /** The SSH client broke the protocol (a malformed packet, a bad key exchange, a window overrun): it is disconnected. */
  HOOP_SSH_PROTOCOL_ERROR: { status: 400, exit: 6 },
  /** `hoop ssh-keyscan` could not read the host's key (unreachable, not SSH). */
  HOOP_SSH_KEYSCAN_FAILED: { status: 502, exit: 6 },
  /** A bug: something that should not happen did. */
  HOOP_INTERNAL: { status: 500, exit: 1 },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface HoopErrorOptions {
  /** One line telling the user what to do next. */
  hint?: string;
  cause?: unknown;
  /** Extra machine-readable detail, sent in JSON error bodies. */
  details?: Record<string, unknown>;
}

/** An error with a stable code, an HTTP status, a CLI exit code and advice. */
export class HoopError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: HoopErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HoopError';
    this.code = code;
    this.hint = options.hint;
    this.details = options.details;
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }

  get exitCode(): number {
    return ERROR_CODES[this.code].exit;
  }

  /** The JSON body the gateway sends for this error. */
  toJSON(): {
    error: { code: ErrorCode; message: string; hint?: string } & Record<string, unknown>;
  } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.hint === undefined ? {} : { hint: this.hint }),
        ...this.details,
      },
    };
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}
