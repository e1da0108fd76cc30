import { Command } from './codes.js';
import { MysqlProtocolError } from './errors.js';
import { Reader } from './reader.js';
import { Writer } from './writer.js';

/**
 * The client's commands, as the gateway reads them
 * (https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_command_phase.html).
 * SQL text is kept as bytes: the gateway decodes it as UTF-8 and refuses it
 * when it is not (the session is pinned to utf8mb4).
 */
export type ClientCommand =
  | { command: 'quit' }
  | { command: 'ping' }
  | { command: 'query'; sql: Buffer }
  | { command: 'init-db'; database: string }
  | { command: 'field-list'; table: string; wildcard: string }
  | { command: 'prepare'; sql: Buffer }
  | { command: 'execute'; statementId: number; flags: number; params: Buffer }
  | { command: 'send-long-data'; statementId: number; param: number; data: Buffer }
  | { command: 'close'; statementId: number }
  | { command: 'reset'; statementId: number }
  | { command: 'fetch'; statementId: number; rows: number }
  | { command: 'set-option'; option: number }
  | { command: 'change-user'; user: string; database?: string }
  | { command: 'reset-connection' }
  | { command: 'statistics' }
  | { command: 'debug' }
  | { command: 'other'; code: number };

/** The MySQL name of a command byte, for messages. */
export function commandName(code: number): string {
  for (const [name, value] of Object.entries(Command)) if (value === code) return `COM_${name}`;
  return `command 0x${code.toString(16)}`;
}

export function parseCommand(payload: Buffer): ClientCommand {
  const r = new Reader(payload);
  const code = r.int1('command');
  switch (code) {
    case Command.QUIT:
      return { command: 'quit' };
    case Command.PING:
      return { command: 'ping' };
    case Command.QUERY:
      return { command: 'query', sql: r.rest() };
    case Command.INIT_DB:
      return { command: 'init-db', database: r.rest().toString('utf8') };
    case Command.FIELD_LIST: {
      const table = r.cstring('table');
      return { command: 'field-list', table, wildcard: r.rest().toString('utf8') };
    }
    case Command.STMT_PREPARE:
      return { command: 'prepare', sql: r.rest() };
    case Command.STMT_EXECUTE: {
      const statementId = r.int4('statement id');
      const flags = r.int1('flags');
      r.skip(4, 'iteration count');
      return { command: 'execute', statementId, flags, params: r.rest() };
    }
    case Command.STMT_SEND_LONG_DATA: {
      const statementId = r.int4('statement id');
      const param = r.int2('parameter');
      return { command: 'send-long-data', statementId, param, data: r.rest() };
    }
    case Command.STMT_CLOSE:
      return { command: 'close', statementId: r.int4('statement id') };
    case Command.STMT_RESET:
      return { command: 'reset', statementId: r.int4('statement id') };
    case Command.STMT_FETCH: {
      const statementId = r.int4('statement id');
      return { command: 'fetch', statementId, rows: r.int4('rows') };
    }
    case Command.SET_OPTION:
      return { command: 'set-option', option: r.int2('option') };
    case Command.CHANGE_USER: {
      // string<NUL> user, int<1> length + auth response (SECURE_CONNECTION, which every 4.1 client sets), string<NUL> database, …
      const user = r.cstring('user');
      if (r.remaining === 0) return { command: 'change-user', user };
      r.skip(r.int1('auth response length'), 'auth response');
      const database = r.remaining > 0 ? r.cstring('database') : '';
      return { command: 'change-user', user, ...(database ? { database } : {}) };
    }
    case Command.RESET_CONNECTION:
      return { command: 'reset-connection' };
    case Command.STATISTICS:
      return { command: 'statistics' };
    case Command.DEBUG:
      return { command: 'debug' };
    default:
      return { command: 'other', code };
  }
}

/** COM_QUERY with its SQL text. */
export function buildQuery(sql: string | Buffer): Buffer {
  const w = new Writer();
  w.start(0).int1(Command.QUERY);
  if (typeof sql === 'string') w.string(sql);
  else w.bytes(sql);
  w.end();
  return w.flush();
}

/** A command made of its byte and a payload (COM_STMT_PREPARE, COM_INIT_DB, COM_PING …). */
export function buildCommand(code: number, body: Uint8Array = Buffer.alloc(0)): Buffer {
  const w = new Writer();
  w.start(0).int1(code).bytes(body).end();
  return w.flush();
}

/**
 * COM_STMT_PREPARE_OK: int<1> 0x00, int<4> statement id, int<2> columns,
 * int<2> parameters, int<1> filler, int<2> warnings.
 */
export interface PrepareOk {
  statementId: number;
  columns: number;
  params: number;
  warnings: number;
}

export function parsePrepareOk(payload: Buffer): PrepareOk {
  const r = new Reader(payload);
  if (r.int1('header') !== 0) {
    throw new MysqlProtocolError('MYSQL_BAD_VALUE', 'not a COM_STMT_PREPARE_OK');
  }
  const statementId = r.int4('statement id');
  const columns = r.int2('column count');
  const params = r.int2('parameter count');
  let warnings = 0;
  if (r.remaining >= 3) {
    r.skip(1);
    warnings = r.int2('warnings');
  }
  return { statementId, columns, params, warnings };
}

export function buildPrepareOk(ok: PrepareOk, sequenceId: number): Buffer {
  const w = new Writer();
  w.start(sequenceId)
    .int1(0)
    .int4(ok.statementId)
    .int2(ok.columns)
    .int2(ok.params)
    .int1(0)
    .int2(ok.warnings)
    .end();
  return w.flush();
}
