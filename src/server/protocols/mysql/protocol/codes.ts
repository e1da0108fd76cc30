/**
 * Constants of the MySQL client/server protocol (also MariaDB's).
 * https://dev.mysql.com/doc/dev/mysql-server/latest/PAGE_PROTOCOL.html
 * https://mariadb.com/kb/en/clientserver-protocol/
 */

/** Capability flags (`CLIENT_*`), negotiated in the handshake. */
export const Capability = {
  /** MySQL: new more secure passwords. MariaDB clears it in its greeting to say it is MariaDB. */
  LONG_PASSWORD: 1,
  FOUND_ROWS: 1 << 1,
  LONG_FLAG: 1 << 2,
  CONNECT_WITH_DB: 1 << 3,
  NO_SCHEMA: 1 << 4,
  COMPRESS: 1 << 5,
  ODBC: 1 << 6,
  LOCAL_FILES: 1 << 7,
  /** Spaces after function names: changes how the server parses, so the gateway never passes it on. */
  IGNORE_SPACE: 1 << 8,
  PROTOCOL_41: 1 << 9,
  INTERACTIVE: 1 << 10,
  SSL: 1 << 11,
  IGNORE_SIGPIPE: 1 << 12,
  TRANSACTIONS: 1 << 13,
  RESERVED: 1 << 14,
  SECURE_CONNECTION: 1 << 15,
  MULTI_STATEMENTS: 1 << 16,
  MULTI_RESULTS: 1 << 17,
  PS_MULTI_RESULTS: 1 << 18,
  PLUGIN_AUTH: 1 << 19,
  CONNECT_ATTRS: 1 << 20,
  PLUGIN_AUTH_LENENC_CLIENT_DATA: 1 << 21,
  CAN_HANDLE_EXPIRED_PASSWORDS: 1 << 22,
  SESSION_TRACK: 1 << 23,
  DEPRECATE_EOF: 1 << 24,
  OPTIONAL_RESULTSET_METADATA: 1 << 25,
  ZSTD_COMPRESSION: 1 << 26,
  QUERY_ATTRIBUTES: 1 << 27,
} as const;

/** Command bytes, the first byte of a client packet in the command phase. */
export const Command = {
  SLEEP: 0x00,
  QUIT: 0x01,
  INIT_DB: 0x02,
  QUERY: 0x03,
  FIELD_LIST: 0x04,
  CREATE_DB: 0x05,
  DROP_DB: 0x06,
  REFRESH: 0x07,
  SHUTDOWN: 0x08,
  STATISTICS: 0x09,
  PROCESS_INFO: 0x0a,
  CONNECT: 0x0b,
  PROCESS_KILL: 0x0c,
  DEBUG: 0x0d,
  PING: 0x0e,
  TIME: 0x0f,
  DELAYED_INSERT: 0x10,
  CHANGE_USER: 0x11,
  BINLOG_DUMP: 0x12,
  TABLE_DUMP: 0x13,
  CONNECT_OUT: 0x14,
  REGISTER_SLAVE: 0x15,
  STMT_PREPARE: 0x16,
  STMT_EXECUTE: 0x17,
  STMT_SEND_LONG_DATA: 0x18,
  STMT_CLOSE: 0x19,
  STMT_RESET: 0x1a,
  SET_OPTION: 0x1b,
  STMT_FETCH: 0x1c,
  DAEMON: 0x1d,
  BINLOG_DUMP_GTID: 0x1e,
  RESET_CONNECTION: 0x1f,
  /** MariaDB: several commands in one packet. */
  MARIADB_BULK_EXECUTE: 0xfa,
} as const;

/** The first byte of a server reply that says what it is. */
export const Reply = {
  OK: 0x00,
  /** AuthMoreData during authentication. */
  AUTH_MORE_DATA: 0x01,
  /** LOCAL INFILE request in place of a result set. */
  LOCAL_INFILE: 0xfb,
  /** EOF, an OK that ends a result set (with DEPRECATE_EOF), or an AuthSwitchRequest. */
  EOF: 0xfe,
  ERR: 0xff,
} as const;

/** Server status flags (`SERVER_*`) of OK and EOF packets. */
export const Status = {
  IN_TRANS: 0x0001,
  AUTOCOMMIT: 0x0002,
  MORE_RESULTS_EXISTS: 0x0008,
  NO_GOOD_INDEX_USED: 0x0010,
  NO_INDEX_USED: 0x0020,
  CURSOR_EXISTS: 0x0040,
  LAST_ROW_SENT: 0x0080,
  DB_DROPPED: 0x0100,
  NO_BACKSLASH_ESCAPES: 0x0200,
  METADATA_CHANGED: 0x0400,
  QUERY_WAS_SLOW: 0x0800,
  PS_OUT_PARAMS: 0x1000,
  IN_TRANS_READONLY: 0x2000,
  SESSION_STATE_CHANGED: 0x4000,
} as const;

/** Column types (`MYSQL_TYPE_*`) of column definitions and binary rows. */
export const ColumnType = {
  DECIMAL: 0x00,
  TINY: 0x01,
  SHORT: 0x02,
  LONG: 0x03,
  FLOAT: 0x04,
  DOUBLE: 0x05,
  NULL: 0x06,
  TIMESTAMP: 0x07,
  LONGLONG: 0x08,
  INT24: 0x09,
  DATE: 0x0a,
  TIME: 0x0b,
  DATETIME: 0x0c,
  YEAR: 0x0d,
  NEWDATE: 0x0e,
  VARCHAR: 0x0f,
  BIT: 0x10,
  TIMESTAMP2: 0x11,
  DATETIME2: 0x12,
  TIME2: 0x13,
  JSON: 0xf5,
  NEWDECIMAL: 0xf6,
  ENUM: 0xf7,
  SET: 0xf8,
  TINY_BLOB: 0xf9,
  MEDIUM_BLOB: 0xfa,
  LONG_BLOB: 0xfb,
  BLOB: 0xfc,
  VAR_STRING: 0xfd,
  STRING: 0xfe,
  GEOMETRY: 0xff,
} as const;

/** Column definition flags. */
export const ColumnFlag = {
  NOT_NULL: 0x0001,
  PRI_KEY: 0x0002,
  BLOB: 0x0010,
  UNSIGNED: 0x0020,
  BINARY: 0x0080,
} as const;

/** Session state change types in an OK packet's session-state info (CLIENT_SESSION_TRACK). */
export const SessionTrack = {
  SYSTEM_VARIABLES: 0x00,
  SCHEMA: 0x01,
  STATE_CHANGE: 0x02,
  GTIDS: 0x03,
  TRANSACTION_CHARACTERISTICS: 0x04,
  TRANSACTION_STATE: 0x05,
} as const;

/** The collation the gateway pins every session to: utf8mb4_general_ci, known to MySQL and MariaDB. */
export const UTF8MB4_GENERAL_CI = 45;

/** Binary collation number: a column of this character set holds bytes, not text. */
export const BINARY_CHARSET = 63;

/** The largest payload one physical packet carries; a longer one continues in the next. */
export const MAX_PAYLOAD = 0xffffff;
