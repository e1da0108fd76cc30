/**
 * Errors raised by the MySQL codec. Each has a stable string code, and the
 * MySQL error number and SQLSTATE the gateway puts in the ERR packet it
 * sends before closing (server error numbers:
 * https://mariadb.com/kb/en/mariadb-error-code-reference/).
 */
export const MYSQL_PROTOCOL_ERRORS = {
  /** A packet's sequence id is not the one the exchange expects. */
  MYSQL_BAD_SEQUENCE: { errno: 1156, sqlState: '08S01' },
  /** A packet (all its physical parts together) is larger than `maxPacketBytes`. */
  MYSQL_PACKET_TOO_LARGE: { errno: 1153, sqlState: '08S01' },
  /** A packet ended before a field it announces. */
  MYSQL_TRUNCATED: { errno: 1047, sqlState: '08S01' },
  /** A field holds a value the protocol does not allow. */
  MYSQL_BAD_VALUE: { errno: 1047, sqlState: '08S01' },
  /** A command the gateway does not know or does not pass on. */
  MYSQL_UNKNOWN_COMMAND: { errno: 1047, sqlState: '08S01' },
  /** The client's handshake asks for what the gateway cannot follow (no PROTOCOL_41, compression …). */
  MYSQL_UNSUPPORTED: { errno: 1043, sqlState: '08S01' },
  /** The target's authentication exchange is malformed or asks for an unknown method. */
  MYSQL_AUTH: { errno: 1045, sqlState: '28000' },
} as const;

export type MysqlProtocolErrorCode = keyof typeof MYSQL_PROTOCOL_ERRORS;

/** A codec failure: malformed, oversized or unexpected bytes. Ends one connection. */
export class MysqlProtocolError extends Error {
  readonly code: MysqlProtocolErrorCode;

  constructor(code: MysqlProtocolErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MysqlProtocolError';
    this.code = code;
  }

  /** The MySQL error number to report to the client. */
  get errno(): number {
    return MYSQL_PROTOCOL_ERRORS[this.code].errno;
  }

  get sqlState(): string {
    return MYSQL_PROTOCOL_ERRORS[this.code].sqlState;
  }
}
