/**
 * Decoders for messages a client sends. Each `parseX(reader)` reads one body;
 * `parseFrontend(frame)` dispatches on the type byte.
 * https://www.postgresql.org/docs/current/protocol-message-formats.html
 */
import { FrontendCode, StartupCode } from './codes.js';
import { PgProtocolError } from './errors.js';
import type { Frame } from './framer.js';
import { Reader } from './reader.js';

export type FrontendMessage =
  | StartupMessage
  | SSLRequest
  | GSSENCRequest
  | CancelRequest
  | Query
  | Parse
  | Bind
  | Describe
  | Execute
  | Close
  | Sync
  | Flush
  | Terminate
  | CopyData
  | CopyDone
  | CopyFail
  | PasswordMessage
  | SASLInitialResponse
  | SASLResponse
  | FunctionCall;

export interface StartupMessage {
  type: 'startup';
  majorVersion: number;
  minorVersion: number;
  /** user, database, options, application_name, … and `_pq_.` protocol extensions. */
  parameters: Map<string, string>;
}
export interface SSLRequest {
  type: 'sslRequest';
}
export interface GSSENCRequest {
  type: 'gssEncRequest';
}
export interface CancelRequest {
  type: 'cancelRequest';
  processId: number;
  /** 4 bytes in protocol 3.0, up to 256 in 3.2. */
  secretKey: Buffer;
}
export interface Query {
  type: 'query';
  sql: string;
  /** The text's bytes are not valid UTF-8 (`sql` has U+FFFD in their place). */
  invalidUtf8?: true;
}
export interface Parse {
  type: 'parse';
  name: string;
  sql: string;
  paramTypes: number[];
  /** The text's bytes are not valid UTF-8 (`sql` has U+FFFD in their place). */
  invalidUtf8?: true;
}
export interface Bind {
  type: 'bind';
  portal: string;
  statement: string;
  /** Empty: all text; one: applies to all; else one per parameter (0 text, 1 binary). */
  paramFormats: number[];
  /** Views of the message; null for SQL NULL. */
  params: (Buffer | null)[];
  resultFormats: number[];
}
export interface Describe {
  type: 'describe';
  /** 'S' prepared statement, 'P' portal. */
  target: 'S' | 'P';
  name: string;
}
export interface Execute {
  type: 'execute';
  portal: string;
  /** 0 means no limit. */
  maxRows: number;
}
export interface Close {
  type: 'close';
  target: 'S' | 'P';
  name: string;
}
export interface Sync {
  type: 'sync';
}
export interface Flush {
  type: 'flush';
}
export interface Terminate {
  type: 'terminate';
}
export interface CopyData {
  type: 'copyData';
  data: Buffer;
}
export interface CopyDone {
  type: 'copyDone';
}
export interface CopyFail {
  type: 'copyFail';
  message: string;
}
export interface PasswordMessage {
  type: 'password';
  password: string;
}
export interface SASLInitialResponse {
  type: 'saslInitialResponse';
  mechanism: string;
  /** null when the client sent length -1 (no initial response). */
  data: Buffer | null;
}
export interface SASLResponse {
  type: 'saslResponse';
  data: Buffer;
}
export interface FunctionCall {
  type: 'functionCall';
  functionOid: number;
  argFormats: number[];
  args: (Buffer | null)[];
  resultFormat: number;
}

/** What the server last asked for, which decides how a 'p' message reads. */
export type PasswordContext = 'password' | 'saslInitial' | 'sasl';

export interface ParseFrontendOptions {
  /** Default 'password'. */
  passwordContext?: PasswordContext;
}

/** Decodes a client message located by the framer. */
export function parseFrontend(frame: Frame, options: ParseFrontendOptions = {}): FrontendMessage {
  const r = new Reader(frame.buffer, frame.bodyStart, frame.end);
  if (frame.bodyStart - frame.start === 4) return parseStartupPacket(r);
  switch (frame.code) {
    case FrontendCode.Query:
      return parseQuery(r);
    case FrontendCode.Parse:
      return parseParse(r);
    case FrontendCode.Bind:
      return parseBind(r);
    case FrontendCode.Describe:
      return { type: 'describe', ...parseTarget(r, 'Describe') };
    case FrontendCode.Execute:
      return parseExecute(r);
    case FrontendCode.Close:
      return { type: 'close', ...parseTarget(r, 'Close') };
    case FrontendCode.Sync:
      return empty(r, { type: 'sync' }, 'Sync');
    case FrontendCode.Flush:
      return empty(r, { type: 'flush' }, 'Flush');
    case FrontendCode.Terminate:
      return empty(r, { type: 'terminate' }, 'Terminate');
    case FrontendCode.CopyData:
      return { type: 'copyData', data: r.rest() };
    case FrontendCode.CopyDone:
      return empty(r, { type: 'copyDone' }, 'CopyDone');
    case FrontendCode.CopyFail:
      return parseCopyFail(r);
    case FrontendCode.Password:
      switch (options.passwordContext ?? 'password') {
        case 'saslInitial':
          return parseSASLInitialResponse(r);
        case 'sasl':
          return { type: 'saslResponse', data: r.rest() };
        default:
          return parsePasswordMessage(r);
      }
    case FrontendCode.FunctionCall:
      return parseFunctionCall(r);
    default:
      throw new PgProtocolError(
        'PG_UNKNOWN_MESSAGE',
        `unknown frontend message type 0x${frame.code.toString(16)}`,
      );
  }
}

function empty<T>(r: Reader, message: T, what: string): T {
  r.done(what);
  return message;
}

/*
 * StartupMessage:  Int32 len, Int32 196608 (3.0), then String name, String value
 *                  pairs, then a terminating zero byte.
 * CancelRequest:   Int32 len, Int32 80877102, Int32 process ID, Byte(n) secret key.
 * SSLRequest:      Int32 8, Int32 80877103.
 * GSSENCRequest:   Int32 8, Int32 80877104.
 */
export function parseStartupPacket(
  r: Reader,
): StartupMessage | SSLRequest | GSSENCRequest | CancelRequest {
  const code = r.int32('protocol version');
  switch (code) {
    case StartupCode.SSLRequest:
      return empty(r, { type: 'sslRequest' }, 'SSLRequest');
    case StartupCode.GSSENCRequest:
      return empty(r, { type: 'gssEncRequest' }, 'GSSENCRequest');
    case StartupCode.CancelRequest: {
      const processId = r.int32('process ID');
      const secretKey = r.rest();
      if (secretKey.length < 4 || secretKey.length > 256) {
        throw new PgProtocolError('PG_BAD_VALUE', `cancel key of ${secretKey.length} bytes`);
      }
      return { type: 'cancelRequest', processId, secretKey };
    }
  }
  const majorVersion = code >>> 16;
  const minorVersion = code & 0xffff;
  if (majorVersion !== 3) {
    throw new PgProtocolError(
      'PG_UNSUPPORTED_PROTOCOL',
      `unsupported frontend protocol ${majorVersion}.${minorVersion}`,
    );
  }
  const parameters = new Map<string, string>();
  for (;;) {
    const name = r.cstring('parameter name');
    if (name === '') break;
    parameters.set(name, r.cstring('parameter value'));
  }
  r.done('StartupMessage');
  return { type: 'startup', majorVersion, minorVersion, parameters };
}

/* Query: Byte1('Q'), Int32 len, String query. */
export function parseQuery(r: Reader): Query {
  const { text: sql, valid } = r.cstringUtf8('query');
  r.done('Query');
  return valid ? { type: 'query', sql } : { type: 'query', sql, invalidUtf8: true };
}

/*
 * Parse: Byte1('P'), Int32 len, String statement name, String query,
 *        Int16 parameter type count, Int32[count] parameter type OIDs (0 = unspecified).
 */
export function parseParse(r: Reader): Parse {
  const name = r.cstring('statement name');
  const { text: sql, valid } = r.cstringUtf8('query');
  const n = r.count('parameter type');
  const paramTypes = new Array<number>(n);
  for (let i = 0; i < n; i++) paramTypes[i] = r.uint32('parameter type');
  r.done('Parse');
  return valid
    ? { type: 'parse', name, sql, paramTypes }
    : { type: 'parse', name, sql, paramTypes, invalidUtf8: true };
}

/*
 * Bind: Byte1('B'), Int32 len, String portal, String statement,
 *       Int16 C, Int16[C] parameter format codes,
 *       Int16 N, then N × (Int32 length (-1 = NULL), Byte(length) value),
 *       Int16 R, Int16[R] result format codes.
 */
export function parseBind(r: Reader): Bind {
  const portal = r.cstring('portal name');
  const statement = r.cstring('statement name');
  const paramFormats = formatCodes(r, 'parameter format');
  const n = r.count('parameter');
  const params = new Array<Buffer | null>(n);
  for (let i = 0; i < n; i++) params[i] = r.nullableBytes('parameter');
  const resultFormats = formatCodes(r, 'result format');
  r.done('Bind');
  return { type: 'bind', portal, statement, paramFormats, params, resultFormats };
}

function formatCodes(r: Reader, what: string): number[] {
  const n = r.count(what);
  const codes = new Array<number>(n);
  for (let i = 0; i < n; i++) codes[i] = r.int16(what);
  return codes;
}

/* Describe / Close: Byte1('D' | 'C'), Int32 len, Byte1 'S' or 'P', String name. */
function parseTarget(r: Reader, what: string): { target: 'S' | 'P'; name: string } {
  const b = r.byte(`${what} target`);
  if (b !== 0x53 && b !== 0x50) {
    throw new PgProtocolError('PG_BAD_VALUE', `${what} target 0x${b.toString(16)} is not S or P`);
  }
  const name = r.cstring('name');
  r.done(what);
  return { target: b === 0x53 ? 'S' : 'P', name };
}

export function parseDescribe(r: Reader): Describe {
  return { type: 'describe', ...parseTarget(r, 'Describe') };
}

export function parseClose(r: Reader): Close {
  return { type: 'close', ...parseTarget(r, 'Close') };
}

/* Execute: Byte1('E'), Int32 len, String portal, Int32 max rows (0 = no limit). */
export function parseExecute(r: Reader): Execute {
  const portal = r.cstring('portal name');
  const maxRows = r.int32('max rows');
  r.done('Execute');
  return { type: 'execute', portal, maxRows };
}

/* CopyFail: Byte1('f'), Int32 len, String error message. */
export function parseCopyFail(r: Reader): CopyFail {
  const message = r.cstring('error message');
  r.done('CopyFail');
  return { type: 'copyFail', message };
}

/* PasswordMessage: Byte1('p'), Int32 len, String password (cleartext or md5-hashed). */
export function parsePasswordMessage(r: Reader): PasswordMessage {
  const password = r.cstring('password');
  r.done('PasswordMessage');
  return { type: 'password', password };
}

/*
 * SASLInitialResponse: Byte1('p'), Int32 len, String mechanism,
 *                      Int32 length of the initial response (-1 = none), Byte(n) response.
 */
export function parseSASLInitialResponse(r: Reader): SASLInitialResponse {
  const mechanism = r.cstring('SASL mechanism');
  const data = r.nullableBytes('SASL initial response');
  r.done('SASLInitialResponse');
  return { type: 'saslInitialResponse', mechanism, data };
}

/* SASLResponse: Byte1('p'), Int32 len, Byte(n) SASL data. */
export function parseSASLResponse(r: Reader): SASLResponse {
  return { type: 'saslResponse', data: r.rest() };
}

/*
 * FunctionCall: Byte1('F'), Int32 len, Int32 function OID, Int16 C, Int16[C] argument
 *               formats, Int16 N, N × (Int32 length (-1 = NULL), Byte(n) value),
 *               Int16 result format.
 */
export function parseFunctionCall(r: Reader): FunctionCall {
  const functionOid = r.uint32('function OID');
  const argFormats = formatCodes(r, 'argument format');
  const n = r.count('argument');
  const args = new Array<Buffer | null>(n);
  for (let i = 0; i < n; i++) args[i] = r.nullableBytes('argument');
  const resultFormat = r.int16('result format');
  r.done('FunctionCall');
  return { type: 'functionCall', functionOid, argFormats, args, resultFormat };
}
