/**
 * Encoders for the messages the gateway sends: to clients (as a server) and
 * to targets (as a client). Each returns one Buffer holding one whole message.
 * https://www.postgresql.org/docs/current/protocol-message-formats.html
 */
import { AuthCode, BackendCode, ErrorField, FrontendCode, StartupCode } from './codes.js';
import type { FieldDescription, NoticeFields } from './backend.js';
import { PgProtocolError } from './errors.js';
import type { Frame } from './framer.js';
import { Writer } from './writer.js';

/** Messages with a body of nothing but the header. */
function headerOnly(code: number): Buffer {
  const b = Buffer.allocUnsafe(5);
  b[0] = code;
  b.writeInt32BE(4, 1);
  return b;
}

function secretKeyBytes(key: Uint8Array | number): Uint8Array {
  if (typeof key !== 'number') return key;
  const b = Buffer.allocUnsafe(4);
  b.writeInt32BE(key | 0, 0);
  return b;
}

// ---- to clients (gateway as server) ----

/** Byte1('R'), Int32 8, Int32 0. */
export function buildAuthenticationOk(): Buffer {
  return new Writer(9)
    .startMessage(BackendCode.Authentication)
    .int32(AuthCode.Ok)
    .endMessage()
    .flush();
}

/** Byte1('R'), Int32 8, Int32 3. */
export function buildAuthenticationCleartextPassword(): Buffer {
  return new Writer(9)
    .startMessage(BackendCode.Authentication)
    .int32(AuthCode.CleartextPassword)
    .endMessage()
    .flush();
}

/** Byte1('S'), Int32 len, String name, String value. */
export function buildParameterStatus(name: string, value: string): Buffer {
  return new Writer()
    .startMessage(BackendCode.ParameterStatus)
    .cstring(name)
    .cstring(value)
    .endMessage()
    .flush();
}

/** Byte1('A'), Int32 len, Int32 process ID, String channel, String payload. */
export function buildNotificationResponse(
  processId: number,
  channel: string,
  payload: string,
): Buffer {
  return new Writer()
    .startMessage(BackendCode.NotificationResponse)
    .int32(processId)
    .cstring(channel)
    .cstring(payload)
    .endMessage()
    .flush();
}

/** Byte1('K'), Int32 len, Int32 process ID, Byte(n) secret key (an Int32 in 3.0). */
export function buildBackendKeyData(processId: number, secretKey: Uint8Array | number): Buffer {
  return new Writer()
    .startMessage(BackendCode.BackendKeyData)
    .int32(processId)
    .bytes(secretKeyBytes(secretKey))
    .endMessage()
    .flush();
}

/** Byte1('Z'), Int32 5, Byte1 status. */
export function buildReadyForQuery(status: 'I' | 'T' | 'E' = 'I'): Buffer {
  const b = Buffer.allocUnsafe(6);
  b[0] = BackendCode.ReadyForQuery;
  b.writeInt32BE(5, 1);
  b[5] = status.charCodeAt(0);
  return b;
}

const FIELD_LETTERS = Object.entries(ErrorField) as [string, keyof NoticeFields][];

/** What an ErrorResponse or NoticeResponse says; severity, code and message are required. */
export type NoticeInput = NoticeFields & { severity: string; code: string; message: string };

function noticeMessage(typeCode: number, fields: NoticeInput): Buffer {
  const w = new Writer().startMessage(typeCode);
  // S first, then V (the non-localized severity PostgreSQL 9.6+ always sends), then the rest.
  w.byte(0x53).cstring(fields.severity);
  w.byte(0x56).cstring(fields.severityNonLocalized ?? fields.severity);
  for (const [letter, name] of FIELD_LETTERS) {
    if (name === 'severity' || name === 'severityNonLocalized') continue;
    const value = fields[name];
    if (value !== undefined) w.byte(letter.charCodeAt(0)).cstring(value);
  }
  return w.byte(0).endMessage().flush();
}

/** Byte1('E'), Int32 len, (Byte1 field type, String value)*, Byte1 0. */
export function buildErrorResponse(fields: NoticeInput): Buffer {
  if (!/^[0-9A-Z]{5}$/.test(fields.code)) {
    throw new PgProtocolError(
      'PG_BAD_VALUE',
      `SQLSTATE ${JSON.stringify(fields.code)} is not 5 characters`,
    );
  }
  return noticeMessage(BackendCode.ErrorResponse, fields);
}

/** Byte1('N'), same layout as ErrorResponse. */
export function buildNoticeResponse(fields: NoticeInput): Buffer {
  return noticeMessage(BackendCode.NoticeResponse, fields);
}

/** Byte1('T'), Int32 len, Int16 count, then per field: String, Int32, Int16, Int32, Int16, Int32, Int16. */
export function buildRowDescription(fields: readonly FieldDescription[]): Buffer {
  const w = new Writer(7 + fields.length * 40)
    .startMessage(BackendCode.RowDescription)
    .int16(fields.length);
  for (const f of fields) {
    w.cstring(f.name)
      .uint32(f.tableOid)
      .int16(f.columnAttr)
      .uint32(f.typeOid)
      .int16(f.typeSize)
      .int32(f.typeModifier)
      .int16(f.format);
  }
  return w.endMessage().flush();
}

/**
 * Byte1('D'), Int32 len, Int16 count, then per column Int32 length (-1 NULL), Byte(n).
 * Strings are written as UTF-8. The size is computed first so the row is one allocation.
 */
export function buildDataRow(values: readonly (Uint8Array | string | null)[]): Buffer {
  let size = 7;
  for (const v of values) {
    size += 4;
    if (v !== null) size += typeof v === 'string' ? Buffer.byteLength(v, 'utf8') : v.byteLength;
  }
  const b = Buffer.allocUnsafe(size);
  b[0] = BackendCode.DataRow;
  b.writeInt32BE(size - 1, 1);
  b.writeInt16BE(values.length, 5);
  let pos = 7;
  for (const v of values) {
    if (v === null) {
      b.writeInt32BE(-1, pos);
      pos += 4;
    } else if (typeof v === 'string') {
      const n = b.write(v, pos + 4, 'utf8');
      b.writeInt32BE(n, pos);
      pos += 4 + n;
    } else {
      b.writeInt32BE(v.byteLength, pos);
      b.set(v, pos + 4);
      pos += 4 + v.byteLength;
    }
  }
  return b;
}

/**
 * A DataRow frame with some of its fields replaced, for masking: field
 * `indices[k]` (ascending, each a non-NULL field of the original) becomes
 * `values[k]` (null for NULL), for k < `changed`. `offsets` are the frame's
 * field offsets from `dataRowOffsets`. The new size is computed first and the
 * unchanged spans between replaced fields are copied as they are, so the row
 * is one allocation.
 */
export function patchDataRow(
  frame: Frame,
  offsets: Int32Array,
  indices: ArrayLike<number>,
  values: ArrayLike<Uint8Array | null>,
  changed: number,
): Buffer {
  const src = frame.buffer;
  let size = frame.end - frame.start;
  for (let k = 0; k < changed; k++) {
    const i = indices[k]!;
    const start = offsets[2 * i]!;
    if (start < 0 || (k > 0 && i <= indices[k - 1]!)) {
      throw new RangeError('patchDataRow replaces non-NULL fields in ascending order');
    }
    size += (values[k]?.byteLength ?? 0) - (offsets[2 * i + 1]! - start);
  }
  const out = Buffer.allocUnsafe(size);
  out[0] = BackendCode.DataRow;
  writeInt32(out, 1, size - 1);
  let pos = 5;
  let from = frame.bodyStart;
  for (let k = 0; k < changed; k++) {
    const i = indices[k]!;
    const lengthAt = offsets[2 * i]! - 4;
    pos = copySpan(src, from, lengthAt, out, pos);
    const value = values[k]!;
    if (value === null) {
      writeInt32(out, pos, -1);
      pos += 4;
    } else {
      writeInt32(out, pos, value.byteLength);
      pos = copySpan(value, 0, value.byteLength, out, pos + 4);
    }
    from = offsets[2 * i + 1]!;
  }
  copySpan(src, from, frame.end, out, pos);
  return out;
}

/** Copies `src[from, to)` to `out` at `pos`; returns the position after it. */
function copySpan(src: Uint8Array, from: number, to: number, out: Buffer, pos: number): number {
  // A DataRow's fields are mostly short: a loop beats the fixed cost of a native copy.
  if (to - from > 64) {
    out.set(src.subarray(from, to), pos);
    return pos + to - from;
  }
  for (let i = from; i < to; i++) out[pos++] = src[i]!;
  return pos;
}

function writeInt32(out: Buffer, pos: number, value: number): void {
  out[pos] = value >>> 24;
  out[pos + 1] = value >>> 16;
  out[pos + 2] = value >>> 8;
  out[pos + 3] = value;
}

/** Byte1('C'), Int32 len, String tag. */
export function buildCommandComplete(tag: string): Buffer {
  return new Writer().startMessage(BackendCode.CommandComplete).cstring(tag).endMessage().flush();
}

/** Byte1('I'), Int32 4. */
export function buildEmptyQueryResponse(): Buffer {
  return headerOnly(BackendCode.EmptyQueryResponse);
}

/** The single byte answering an SSLRequest or GSSENCRequest: 'N' (not supported) or 'S'/'G'. */
export function buildEncryptionResponse(answer: 'N' | 'S' | 'G' = 'N'): Buffer {
  return Buffer.from(answer, 'latin1');
}

// ---- to targets (gateway as client) ----

/**
 * Int32 len, Int32 196608, (String name, String value)*, Byte1 0.
 * `user` is required by the server; `database` defaults to it.
 */
export function buildStartupMessage(
  parameters: Readonly<Record<string, string>> | ReadonlyMap<string, string>,
): Buffer {
  const w = new Writer().startMessage().int32(StartupCode.ProtocolV3);
  const entries = parameters instanceof Map ? parameters.entries() : Object.entries(parameters);
  for (const [name, value] of entries) {
    if (name === '') throw new PgProtocolError('PG_BAD_STRING', 'empty start-up parameter name');
    w.cstring(name).cstring(value);
  }
  return w.byte(0).endMessage().flush();
}

/** Int32 8, Int32 80877103. */
export function buildSSLRequest(): Buffer {
  return new Writer(8).startMessage().int32(StartupCode.SSLRequest).endMessage().flush();
}

/** Int32 16, Int32 80877102, Int32 process ID, Byte(n) secret key. */
export function buildCancelRequest(processId: number, secretKey: Uint8Array | number): Buffer {
  return new Writer(16)
    .startMessage()
    .int32(StartupCode.CancelRequest)
    .int32(processId)
    .bytes(secretKeyBytes(secretKey))
    .endMessage()
    .flush();
}

/** Byte1('p'), Int32 len, String password (cleartext or the md5 hash). */
export function buildPasswordMessage(password: string): Buffer {
  return new Writer().startMessage(FrontendCode.Password).cstring(password).endMessage().flush();
}

/** Byte1('p'), Int32 len, String mechanism, Int32 length, Byte(n) initial response. */
export function buildSASLInitialResponse(mechanism: string, data: Uint8Array | string): Buffer {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return new Writer()
    .startMessage(FrontendCode.Password)
    .cstring(mechanism)
    .nullableBytes(bytes)
    .endMessage()
    .flush();
}

/** Byte1('p'), Int32 len, Byte(n) SASL data. */
export function buildSASLResponse(data: Uint8Array | string): Buffer {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return new Writer().startMessage(FrontendCode.Password).bytes(bytes).endMessage().flush();
}

/** Byte1('Q'), Int32 len, String query. */
export function buildQuery(sql: string): Buffer {
  return new Writer(Buffer.byteLength(sql) + 6)
    .startMessage(FrontendCode.Query)
    .cstring(sql)
    .endMessage()
    .flush();
}

/** Byte1('P'), Int32 len, String name, String query, Int16 n, Int32[n] parameter type OIDs. */
export function buildParse(name: string, sql: string, paramTypes: readonly number[]): Buffer {
  const w = new Writer()
    .startMessage(FrontendCode.Parse)
    .cstring(name)
    .cstring(sql)
    .int16(paramTypes.length);
  for (const oid of paramTypes) w.int32(oid);
  return w.endMessage().flush();
}

/** Byte1('S'), Int32 4. */
export function buildSync(): Buffer {
  return headerOnly(FrontendCode.Sync);
}

/** Byte1('X'), Int32 4. */
export function buildTerminate(): Buffer {
  return headerOnly(FrontendCode.Terminate);
}

/**
 * Byte1('B'), Int32 len, String portal, String statement, Int16 n, Int16[n]
 * parameter format codes, Int16 n, then per parameter Int32 length (-1 for
 * NULL) and Byte(n), Int16 n, Int16[n] result format codes.
 */
export function buildBind(
  portal: string,
  statement: string,
  params: readonly (Uint8Array | string | null)[] = [],
  resultFormats: readonly number[] = [],
): Buffer {
  const w = new Writer()
    .startMessage(FrontendCode.Bind)
    .cstring(portal)
    .cstring(statement)
    .int16(0)
    .int16(params.length);
  for (const param of params) {
    w.nullableBytes(typeof param === 'string' ? Buffer.from(param, 'utf8') : param);
  }
  w.int16(resultFormats.length);
  for (const format of resultFormats) w.int16(format);
  return w.endMessage().flush();
}

/** Byte1('D'), Int32 len, Byte1 'S' (statement) or 'P' (portal), String name. */
export function buildDescribe(target: 'S' | 'P', name: string): Buffer {
  return new Writer()
    .startMessage(FrontendCode.Describe)
    .byte(target.charCodeAt(0))
    .cstring(name)
    .endMessage()
    .flush();
}

/** Byte1('E'), Int32 len, String portal, Int32 most rows to return (0: all). */
export function buildExecute(portal: string, maxRows = 0): Buffer {
  return new Writer()
    .startMessage(FrontendCode.Execute)
    .cstring(portal)
    .int32(maxRows)
    .endMessage()
    .flush();
}

/** Byte1('C'), Int32 len, Byte1 'S' (statement) or 'P' (portal), String name. */
export function buildClose(target: 'S' | 'P', name: string): Buffer {
  return new Writer()
    .startMessage(FrontendCode.Close)
    .byte(target.charCodeAt(0))
    .cstring(name)
    .endMessage()
    .flush();
}

/** Byte1('H'), Int32 4. */
export function buildFlush(): Buffer {
  return headerOnly(FrontendCode.Flush);
}
