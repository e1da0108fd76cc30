import { Capability, Reply, SessionTrack, Status } from './codes.js';
import { MysqlProtocolError } from './errors.js';
import { Reader } from './reader.js';
import { Writer } from './writer.js';

/**
 * OK_Packet (https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_ok_packet.html):
 *
 *     int<1> 0x00 (0xfe when it ends a result set with DEPRECATE_EOF),
 *     int<lenenc> affected rows, int<lenenc> last insert id,
 *     int<2> status, int<2> warnings,
 *     SESSION_TRACK: string<lenenc> info, and if SESSION_STATE_CHANGED
 *     string<lenenc> session state changes; otherwise string<EOF> info
 */
export interface OkPacket {
  header: number;
  affectedRows: number;
  lastInsertId: number;
  status: number;
  warnings: number;
  info: string;
  /** System variables the server says changed (SESSION_TRACK), by name. */
  variables: Map<string, string>;
  /** The new default database, when the server says it changed. */
  schema?: string;
}

export function parseOk(payload: Buffer, capabilities: number): OkPacket {
  const r = new Reader(payload);
  const header = r.int1('header');
  if (header !== Reply.OK && header !== Reply.EOF) {
    throw new MysqlProtocolError('MYSQL_BAD_VALUE', `0x${header.toString(16)} is not an OK`);
  }
  const ok: OkPacket = {
    header,
    affectedRows: r.lenenc('affected rows'),
    lastInsertId: r.lenenc('last insert id'),
    status: r.int2('status'),
    warnings: r.int2('warnings'),
    info: '',
    variables: new Map(),
  };
  if (capabilities & Capability.SESSION_TRACK) {
    if (r.remaining > 0) ok.info = r.lenencString('info');
    if (ok.status & Status.SESSION_STATE_CHANGED && r.remaining > 0) {
      readSessionState(new Reader(r.lenencBytes('session state')), ok);
    }
  } else {
    ok.info = r.rest().toString('utf8');
  }
  return ok;
}

/** Session state changes: entries of int<1> type, string<lenenc> data. */
function readSessionState(r: Reader, ok: OkPacket): void {
  while (r.remaining > 0) {
    const type = r.int1('state change type');
    const data = new Reader(r.lenencBytes('state change'));
    if (type === SessionTrack.SYSTEM_VARIABLES) {
      const name = data.lenencString('variable name');
      ok.variables.set(name.toLowerCase(), data.lenencString('variable value'));
    } else if (type === SessionTrack.SCHEMA) {
      ok.schema = data.lenencString('schema');
    }
  }
}

export interface OkFields {
  affectedRows?: number;
  lastInsertId?: number;
  status: number;
  warnings?: number;
  info?: string;
  /** 0xfe for the OK that ends a result set under DEPRECATE_EOF. */
  header?: number;
}

/** An OK packet without session state (what the gateway itself says). */
export function buildOk(fields: OkFields, sequenceId: number, capabilities: number): Buffer {
  const w = new Writer();
  w.start(sequenceId)
    .int1(fields.header ?? Reply.OK)
    .lenenc(fields.affectedRows ?? 0)
    .lenenc(fields.lastInsertId ?? 0)
    .int2(fields.status & ~Status.SESSION_STATE_CHANGED)
    .int2(fields.warnings ?? 0);
  const info = fields.info ?? '';
  if (capabilities & Capability.SESSION_TRACK) {
    if (info) w.lenencString(info);
  } else {
    w.string(info);
  }
  w.end();
  return w.flush();
}

/**
 * ERR_Packet (https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_err_packet.html):
 * int<1> 0xff, int<2> error code, string[1] '#', string[5] SQLSTATE, string<EOF> message.
 */
export interface ErrPacket {
  errno: number;
  sqlState: string;
  message: string;
}

export function parseErr(payload: Buffer): ErrPacket {
  const r = new Reader(payload);
  if (r.int1('header') !== Reply.ERR) {
    throw new MysqlProtocolError('MYSQL_BAD_VALUE', 'not an ERR packet');
  }
  const errno = r.int2('error code');
  let sqlState = 'HY000';
  if (r.remaining > 0 && r.peek() === 0x23 /* # */) {
    r.skip(1);
    sqlState = r.bytes(5, 'SQLSTATE').toString('latin1');
  }
  return { errno, sqlState, message: r.rest().toString('utf8') };
}

export function buildErr(err: ErrPacket, sequenceId: number): Buffer {
  const w = new Writer();
  w.start(sequenceId)
    .int1(Reply.ERR)
    .int2(err.errno)
    .string('#')
    .string(err.sqlState.padEnd(5, '0').slice(0, 5))
    .string(err.message)
    .end();
  return w.flush();
}

/** EOF_Packet: int<1> 0xfe, int<2> warnings, int<2> status (payload under 9 bytes). */
export interface EofPacket {
  warnings: number;
  status: number;
}

/** An EOF packet is 0xfe with a payload under 9 bytes; a longer 0xfe packet is an OK (or a row). */
export function isEof(payload: Buffer): boolean {
  return payload[0] === Reply.EOF && payload.length < 9;
}

export function parseEof(payload: Buffer): EofPacket {
  const r = new Reader(payload);
  if (r.int1('header') !== Reply.EOF) throw new MysqlProtocolError('MYSQL_BAD_VALUE', 'not EOF');
  if (r.remaining === 0) return { warnings: 0, status: 0 };
  return { warnings: r.int2('warnings'), status: r.int2('status') };
}

export function buildEof(eof: EofPacket, sequenceId: number): Buffer {
  const w = new Writer();
  w.start(sequenceId).int1(Reply.EOF).int2(eof.warnings).int2(eof.status).end();
  return w.flush();
}
