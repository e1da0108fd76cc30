/**
 * Decoders for messages a server sends. Each `parseX(reader)` reads one body;
 * `parseBackend(frame)` dispatches on the type byte.
 * https://www.postgresql.org/docs/current/protocol-message-formats.html
 */
import { AuthCode, BackendCode, ErrorField, type ErrorFieldName } from './codes.js';
import { PgProtocolError } from './errors.js';
import type { Frame } from './framer.js';
import { Reader } from './reader.js';

export type BackendMessage =
  | Authentication
  | BackendKeyData
  | ParameterStatus
  | ReadyForQuery
  | RowDescription
  | DataRow
  | CommandComplete
  | ErrorResponse
  | NoticeResponse
  | { type: 'parseComplete' }
  | { type: 'bindComplete' }
  | { type: 'closeComplete' }
  | { type: 'noData' }
  | { type: 'portalSuspended' }
  | { type: 'emptyQueryResponse' }
  | { type: 'copyDone' }
  | ParameterDescription
  | CopyResponse
  | CopyData
  | NotificationResponse
  | NegotiateProtocolVersion
  | FunctionCallResponse;

export type Authentication =
  | { type: 'authenticationOk' }
  | { type: 'authenticationCleartextPassword' }
  | { type: 'authenticationMD5Password'; salt: Buffer }
  | { type: 'authenticationSASL'; mechanisms: string[] }
  | { type: 'authenticationSASLContinue'; data: Buffer }
  | { type: 'authenticationSASLFinal'; data: Buffer }
  /** Kerberos, GSSAPI, SSPI: the gateway does not speak them. */
  | { type: 'authenticationOther'; method: number; data: Buffer };

export interface BackendKeyData {
  type: 'backendKeyData';
  processId: number;
  /** 4 bytes in protocol 3.0, up to 256 in 3.2. */
  secretKey: Buffer;
}
export interface ParameterStatus {
  type: 'parameterStatus';
  name: string;
  value: string;
}
export interface ReadyForQuery {
  type: 'readyForQuery';
  status: 'I' | 'T' | 'E';
}
export interface FieldDescription {
  name: string;
  tableOid: number;
  columnAttr: number;
  typeOid: number;
  typeSize: number;
  typeModifier: number;
  /** 0 text, 1 binary. */
  format: number;
}
export interface RowDescription {
  type: 'rowDescription';
  fields: FieldDescription[];
}
export interface DataRow {
  type: 'dataRow';
  /** Views of the message; null for SQL NULL. */
  values: (Buffer | null)[];
}
export interface CommandComplete {
  type: 'commandComplete';
  /** e.g. `SELECT 1`, `INSERT 0 5`. */
  tag: string;
}
/** ErrorResponse / NoticeResponse fields by name; unknown field types are skipped (as the spec asks). */
export type NoticeFields = Partial<Record<ErrorFieldName, string>>;
export interface ErrorResponse {
  type: 'errorResponse';
  fields: NoticeFields;
}
export interface NoticeResponse {
  type: 'noticeResponse';
  fields: NoticeFields;
}
export interface ParameterDescription {
  type: 'parameterDescription';
  typeOids: number[];
}
export interface CopyResponse {
  type: 'copyInResponse' | 'copyOutResponse' | 'copyBothResponse';
  /** 0 text, 1 binary. */
  format: number;
  columnFormats: number[];
}
export interface CopyData {
  type: 'copyData';
  data: Buffer;
}
export interface NotificationResponse {
  type: 'notificationResponse';
  processId: number;
  channel: string;
  payload: string;
}
export interface NegotiateProtocolVersion {
  type: 'negotiateProtocolVersion';
  newestMinorVersion: number;
  unrecognizedOptions: string[];
}
export interface FunctionCallResponse {
  type: 'functionCallResponse';
  value: Buffer | null;
}

const PARSE_COMPLETE = { type: 'parseComplete' } as const;
const BIND_COMPLETE = { type: 'bindComplete' } as const;
const CLOSE_COMPLETE = { type: 'closeComplete' } as const;
const NO_DATA = { type: 'noData' } as const;
const PORTAL_SUSPENDED = { type: 'portalSuspended' } as const;
const EMPTY_QUERY = { type: 'emptyQueryResponse' } as const;
const COPY_DONE = { type: 'copyDone' } as const;

/** Decodes a server message located by the framer. */
export function parseBackend(frame: Frame): BackendMessage {
  const r = new Reader(frame.buffer, frame.bodyStart, frame.end);
  switch (frame.code) {
    case BackendCode.DataRow:
      return parseDataRow(r);
    case BackendCode.Authentication:
      return parseAuthentication(r);
    case BackendCode.BackendKeyData:
      return parseBackendKeyData(r);
    case BackendCode.ParameterStatus:
      return parseParameterStatus(r);
    case BackendCode.ReadyForQuery:
      return parseReadyForQuery(r);
    case BackendCode.RowDescription:
      return parseRowDescription(r);
    case BackendCode.CommandComplete:
      return parseCommandComplete(r);
    case BackendCode.ErrorResponse:
      return { type: 'errorResponse', fields: parseNoticeFields(r) };
    case BackendCode.NoticeResponse:
      return { type: 'noticeResponse', fields: parseNoticeFields(r) };
    case BackendCode.ParseComplete:
      return empty(r, PARSE_COMPLETE);
    case BackendCode.BindComplete:
      return empty(r, BIND_COMPLETE);
    case BackendCode.CloseComplete:
      return empty(r, CLOSE_COMPLETE);
    case BackendCode.NoData:
      return empty(r, NO_DATA);
    case BackendCode.PortalSuspended:
      return empty(r, PORTAL_SUSPENDED);
    case BackendCode.EmptyQueryResponse:
      return empty(r, EMPTY_QUERY);
    case BackendCode.CopyDone:
      return empty(r, COPY_DONE);
    case BackendCode.ParameterDescription:
      return parseParameterDescription(r);
    case BackendCode.CopyInResponse:
      return parseCopyResponse(r, 'copyInResponse');
    case BackendCode.CopyOutResponse:
      return parseCopyResponse(r, 'copyOutResponse');
    case BackendCode.CopyBothResponse:
      return parseCopyResponse(r, 'copyBothResponse');
    case BackendCode.CopyData:
      return { type: 'copyData', data: r.rest() };
    case BackendCode.NotificationResponse:
      return parseNotificationResponse(r);
    case BackendCode.NegotiateProtocolVersion:
      return parseNegotiateProtocolVersion(r);
    case BackendCode.FunctionCallResponse:
      return parseFunctionCallResponse(r);
    default:
      throw new PgProtocolError(
        'PG_UNKNOWN_MESSAGE',
        `unknown backend message type 0x${frame.code.toString(16)}`,
      );
  }
}

function empty<T extends { type: string }>(r: Reader, message: T): T {
  r.done(message.type);
  return message;
}

/*
 * Authentication*: Byte1('R'), Int32 len, Int32 request code, then
 *   0 Ok, 3 CleartextPassword: nothing
 *   5 MD5Password: Byte4 salt
 *   10 SASL: String mechanism names, terminated by an empty string
 *   11 SASLContinue, 12 SASLFinal: Byte(n) SASL data
 */
export function parseAuthentication(r: Reader): Authentication {
  const method = r.int32('authentication code');
  switch (method) {
    case AuthCode.Ok:
      return empty(r, { type: 'authenticationOk' });
    case AuthCode.CleartextPassword:
      return empty(r, { type: 'authenticationCleartextPassword' });
    case AuthCode.MD5Password: {
      const salt = r.bytes(4, 'salt');
      r.done('AuthenticationMD5Password');
      return { type: 'authenticationMD5Password', salt };
    }
    case AuthCode.SASL: {
      const mechanisms: string[] = [];
      for (;;) {
        const name = r.cstring('SASL mechanism');
        if (name === '') break;
        mechanisms.push(name);
      }
      r.done('AuthenticationSASL');
      return { type: 'authenticationSASL', mechanisms };
    }
    case AuthCode.SASLContinue:
      return { type: 'authenticationSASLContinue', data: r.rest() };
    case AuthCode.SASLFinal:
      return { type: 'authenticationSASLFinal', data: r.rest() };
    default:
      return { type: 'authenticationOther', method, data: r.rest() };
  }
}

/* BackendKeyData: Byte1('K'), Int32 len, Int32 process ID, Byte(n) secret key (n = 4 in 3.0). */
export function parseBackendKeyData(r: Reader): BackendKeyData {
  const processId = r.int32('process ID');
  const secretKey = r.rest();
  if (secretKey.length < 4 || secretKey.length > 256) {
    throw new PgProtocolError('PG_BAD_VALUE', `secret key of ${secretKey.length} bytes`);
  }
  return { type: 'backendKeyData', processId, secretKey };
}

/* ParameterStatus: Byte1('S'), Int32 len, String name, String value. */
export function parseParameterStatus(r: Reader): ParameterStatus {
  const name = r.cstring('parameter name');
  const value = r.cstring('parameter value');
  r.done('ParameterStatus');
  return { type: 'parameterStatus', name, value };
}

/* ReadyForQuery: Byte1('Z'), Int32 5, Byte1 status: 'I' idle, 'T' in transaction, 'E' failed transaction. */
export function parseReadyForQuery(r: Reader): ReadyForQuery {
  const b = r.byte('transaction status');
  r.done('ReadyForQuery');
  if (b !== 0x49 && b !== 0x54 && b !== 0x45) {
    throw new PgProtocolError('PG_BAD_VALUE', `transaction status 0x${b.toString(16)}`);
  }
  return { type: 'readyForQuery', status: String.fromCharCode(b) as 'I' | 'T' | 'E' };
}

/*
 * RowDescription: Byte1('T'), Int32 len, Int16 field count, then per field:
 *   String name, Int32 table OID (0 if none), Int16 column attribute number (0 if none),
 *   Int32 type OID, Int16 type size (negative: variable), Int32 type modifier,
 *   Int16 format code (0 text, 1 binary).
 */
export function parseRowDescription(r: Reader): RowDescription {
  const n = r.count('field');
  const fields = new Array<FieldDescription>(n);
  for (let i = 0; i < n; i++) {
    fields[i] = {
      name: r.cstring('field name'),
      tableOid: r.uint32('table OID'),
      columnAttr: r.int16('column attribute'),
      typeOid: r.uint32('type OID'),
      typeSize: r.int16('type size'),
      typeModifier: r.int32('type modifier'),
      format: r.int16('format code'),
    };
  }
  r.done('RowDescription');
  return { type: 'rowDescription', fields };
}

/*
 * DataRow: Byte1('D'), Int32 len, Int16 column count, then per column:
 *   Int32 length (-1 = NULL, no bytes follow), Byte(n) value.
 */
export function parseDataRow(r: Reader): DataRow {
  const n = r.count('column');
  const values = new Array<Buffer | null>(n);
  for (let i = 0; i < n; i++) values[i] = r.nullableBytes('column');
  r.done('DataRow');
  return { type: 'dataRow', values };
}

/**
 * Locates the columns of a DataRow frame without allocating: writes the
 * start and end offsets (into `frame.buffer`) of column i to `out[2i]` and
 * `out[2i + 1]`, both -1 for NULL, and returns the column count. `out` must
 * hold 2 × count entries (count ≤ 32767), so one array serves every row.
 */
export function dataRowOffsets(frame: Frame, out: Int32Array): number {
  const buf = frame.buffer;
  const end = frame.end;
  let pos = frame.bodyStart;
  if (end - pos < 2) throw new PgProtocolError('PG_TRUNCATED', 'DataRow ends before its count');
  const n = buf.readInt16BE(pos);
  pos += 2;
  if (n < 0) throw new PgProtocolError('PG_BAD_VALUE', `negative column count ${n}`);
  if (out.length < 2 * n) throw new RangeError(`out holds ${out.length / 2} columns, row has ${n}`);
  for (let i = 0; i < n; i++) {
    if (end - pos < 4) throw new PgProtocolError('PG_TRUNCATED', 'DataRow ends before a length');
    const len = buf.readInt32BE(pos);
    pos += 4;
    if (len === -1) {
      out[2 * i] = -1;
      out[2 * i + 1] = -1;
      continue;
    }
    if (len < 0 || end - pos < len) {
      throw new PgProtocolError('PG_TRUNCATED', `DataRow column ${i} of ${len} bytes overruns`);
    }
    out[2 * i] = pos;
    out[2 * i + 1] = pos + len;
    pos += len;
  }
  if (pos !== end) throw new PgProtocolError('PG_TRAILING_BYTES', 'bytes after the last column');
  return n;
}

/** One column of a DataRow frame as a view (null for NULL), skipping the others unread. */
export function dataRowField(frame: Frame, index: number): Buffer | null {
  const buf = frame.buffer;
  const end = frame.end;
  let pos = frame.bodyStart;
  if (end - pos < 2) throw new PgProtocolError('PG_TRUNCATED', 'DataRow ends before its count');
  const n = buf.readInt16BE(pos);
  pos += 2;
  if (index < 0 || index >= n) throw new RangeError(`column ${index} of a ${n}-column row`);
  for (let i = 0; ; i++) {
    if (end - pos < 4) throw new PgProtocolError('PG_TRUNCATED', 'DataRow ends before a length');
    const len = buf.readInt32BE(pos);
    pos += 4;
    if (len < -1 || (len > 0 && end - pos < len)) {
      throw new PgProtocolError('PG_TRUNCATED', `DataRow column ${i} of ${len} bytes overruns`);
    }
    if (i === index) return len === -1 ? null : buf.subarray(pos, pos + len);
    if (len > 0) pos += len;
  }
}

/* CommandComplete: Byte1('C'), Int32 len, String command tag. */
export function parseCommandComplete(r: Reader): CommandComplete {
  const tag = r.cstring('command tag');
  r.done('CommandComplete');
  return { type: 'commandComplete', tag };
}

/*
 * ErrorResponse / NoticeResponse: Byte1('E' | 'N'), Int32 len, then fields:
 *   Byte1 field type (S V C M D H P p q W s t c d n F L R), String value;
 *   a zero byte ends the list.
 */
export function parseNoticeFields(r: Reader): NoticeFields {
  const fields: NoticeFields = {};
  for (;;) {
    const code = r.byte('field type');
    if (code === 0) break;
    const value = r.cstring('field value');
    const name = (ErrorField as Record<string, ErrorFieldName | undefined>)[
      String.fromCharCode(code)
    ];
    if (name !== undefined) fields[name] = value;
  }
  r.done('ErrorResponse');
  return fields;
}

/* ParameterDescription: Byte1('t'), Int32 len, Int16 count, Int32[count] type OIDs. */
export function parseParameterDescription(r: Reader): ParameterDescription {
  const n = r.count('parameter');
  const typeOids = new Array<number>(n);
  for (let i = 0; i < n; i++) typeOids[i] = r.uint32('parameter type');
  r.done('ParameterDescription');
  return { type: 'parameterDescription', typeOids };
}

/*
 * CopyInResponse / CopyOutResponse / CopyBothResponse: Byte1('G' | 'H' | 'W'), Int32 len,
 *   Int8 overall format (0 text, 1 binary), Int16 column count, Int16[count] formats.
 */
export function parseCopyResponse(r: Reader, type: CopyResponse['type']): CopyResponse {
  const format = r.byte('copy format');
  const n = r.count('column');
  const columnFormats = new Array<number>(n);
  for (let i = 0; i < n; i++) columnFormats[i] = r.int16('column format');
  r.done(type);
  return { type, format, columnFormats };
}

/* NotificationResponse: Byte1('A'), Int32 len, Int32 process ID, String channel, String payload. */
export function parseNotificationResponse(r: Reader): NotificationResponse {
  const processId = r.int32('process ID');
  const channel = r.cstring('channel');
  const payload = r.cstring('payload');
  r.done('NotificationResponse');
  return { type: 'notificationResponse', processId, channel, payload };
}

/*
 * NegotiateProtocolVersion: Byte1('v'), Int32 len, Int32 newest supported minor version,
 *   Int32 count of unrecognized options, String[count] option names.
 */
export function parseNegotiateProtocolVersion(r: Reader): NegotiateProtocolVersion {
  const newestMinorVersion = r.int32('minor version');
  const n = r.int32('option count');
  if (n < 0) throw new PgProtocolError('PG_BAD_VALUE', `negative option count ${n}`);
  const unrecognizedOptions: string[] = [];
  for (let i = 0; i < n; i++) unrecognizedOptions.push(r.cstring('option name'));
  r.done('NegotiateProtocolVersion');
  return { type: 'negotiateProtocolVersion', newestMinorVersion, unrecognizedOptions };
}

/* FunctionCallResponse: Byte1('V'), Int32 len, Int32 length (-1 = NULL), Byte(n) value. */
export function parseFunctionCallResponse(r: Reader): FunctionCallResponse {
  const value = r.nullableBytes('result');
  r.done('FunctionCallResponse');
  return { type: 'functionCallResponse', value };
}
