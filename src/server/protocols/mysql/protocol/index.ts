/**
 * MySQL client/server protocol codec (MySQL and MariaDB): framing, decoding
 * and encoding, no I/O.
 * https://dev.mysql.com/doc/dev/mysql-server/latest/PAGE_PROTOCOL.html
 */
export * from './codes.js';
export {
  MYSQL_PROTOCOL_ERRORS,
  MysqlProtocolError,
  type MysqlProtocolErrorCode,
} from './errors.js';
export { DEFAULT_MAX_PACKET_BYTES, Framer, type FramerOptions, type Packet } from './framer.js';
export { Reader, lenencSize } from './reader.js';
export { Writer } from './writer.js';
export * from './handshake.js';
export * from './response.js';
export * from './column.js';
export * from './rows.js';
export * from './commands.js';
export * from './auth.js';
