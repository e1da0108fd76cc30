/**
 * PostgreSQL wire protocol v3 codec: framing, decoding and encoding, no I/O.
 * https://www.postgresql.org/docs/current/protocol.html
 */
export { AuthCode, BackendCode, ErrorField, FrontendCode, StartupCode } from './codes.js';
export { PG_PROTOCOL_ERRORS, PgProtocolError, type PgProtocolErrorCode } from './errors.js';
export { Framer, frameBody, frameBytes, type Frame, type FramerOptions } from './framer.js';
export { Reader } from './reader.js';
export { Writer } from './writer.js';
export {
  parseFrontend,
  type FrontendMessage,
  type ParseFrontendOptions,
  type PasswordContext,
} from './frontend.js';
export {
  dataRowField,
  dataRowOffsets,
  parseBackend,
  type BackendMessage,
  type FieldDescription,
  type NoticeFields,
} from './backend.js';
export * from './build.js';
export { md5Password, SCRAM_SHA_256, ScramClient, type ScramOptions } from './scram.js';
