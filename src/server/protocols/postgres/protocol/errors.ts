/**
 * Errors raised by the PostgreSQL codec. Each has a stable string code and the
 * SQLSTATE the gateway should put in the ErrorResponse it sends before closing.
 * SQLSTATEs: https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
export const PG_PROTOCOL_ERRORS = {
  /** A length field is below the minimum for its message (or negative). */
  PG_BAD_LENGTH: { sqlState: '08P01' },
  /** A message is larger than the framer's `maxMessageBytes` (or `maxStartupBytes`). */
  PG_MESSAGE_TOO_LARGE: { sqlState: '54000' },
  /** A message body ended before a field it announces. */
  PG_TRUNCATED: { sqlState: '08P01' },
  /** A message body has bytes left after its last field. */
  PG_TRAILING_BYTES: { sqlState: '08P01' },
  /** A field holds a value the protocol does not allow (negative count, bad status byte, …). */
  PG_BAD_VALUE: { sqlState: '08P01' },
  /** A type byte that this direction of the protocol does not define. */
  PG_UNKNOWN_MESSAGE: { sqlState: '08P01' },
  /** A start-up packet asks for a protocol version other than 3.x. */
  PG_UNSUPPORTED_PROTOCOL: { sqlState: '0A000' },
  /** A string to be written holds a NUL byte, which would end it early on the wire. */
  PG_BAD_STRING: { sqlState: '22021' },
  /** The SCRAM exchange was driven out of order. */
  PG_SCRAM_STATE: { sqlState: '08P01' },
  /** The server's SCRAM message is malformed or its nonce does not extend ours. */
  PG_SCRAM_BAD_MESSAGE: { sqlState: '08P01' },
  /** The server's SCRAM iteration count is outside the accepted range. */
  PG_SCRAM_ITERATIONS: { sqlState: '28000' },
  /** The server reported a SCRAM error (`e=`). */
  PG_SCRAM_SERVER_ERROR: { sqlState: '28000' },
  /** The server's signature is wrong: it does not know the password (RFC 5802 §3). */
  PG_SCRAM_BAD_SIGNATURE: { sqlState: '28000' },
} as const;

export type PgProtocolErrorCode = keyof typeof PG_PROTOCOL_ERRORS;

/** A codec failure: malformed, oversized or unexpected bytes. Ends one connection. */
export class PgProtocolError extends Error {
  readonly code: PgProtocolErrorCode;

  constructor(code: PgProtocolErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PgProtocolError';
    this.code = code;
  }

  /** The SQLSTATE to report to the client for this failure. */
  get sqlState(): string {
    return PG_PROTOCOL_ERRORS[this.code].sqlState;
  }
}
