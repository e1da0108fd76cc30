import { setTimeout as sleep } from 'node:timers/promises';
import mysql from 'mysql2/promise';
import { HoopError } from '../../lib/errors.js';
import { TunnelClosedError } from '../../tunnel/index.js';
import { SqlError, type ExecResult } from './postgres.js';
import type { PgTunnelSocket } from './tunnel-socket.js';

export interface MysqlQueryOptions {
  socket: PgTunnelSocket;
  database: string | undefined;
  sql: string;
}

const END_TIMEOUT_MS = 5_000;

/**
 * MySQL column types as the PostgreSQL types of the same values, so `hoop
 * exec --output json` keeps one contract whatever the database (README:
 * "hoop exec"): integers, numerics, floats, dates, JSON and text.
 * https://dev.mysql.com/doc/dev/mysql-server/latest/field__types_8h.html
 */
const TYPE_OIDS: Record<number, number> = {
  1: 21, // TINY → int2
  2: 21, // SHORT → int2
  3: 23, // LONG → int4
  9: 23, // INT24 → int4
  8: 20, // LONGLONG → int8
  13: 21, // YEAR → int2
  0: 1700, // DECIMAL → numeric
  246: 1700, // NEWDECIMAL → numeric
  4: 700, // FLOAT → float4
  5: 701, // DOUBLE → float8
  10: 1082, // DATE → date
  14: 1082, // NEWDATE → date
  11: 1083, // TIME → time
  7: 1114, // TIMESTAMP → timestamp
  12: 1114, // DATETIME → timestamp
  245: 114, // JSON → json
  16: 1560, // BIT → bit
};

/**
 * Runs `sql` as one COM_QUERY (multi-statements on, so the gateway decides
 * each statement) over an open tunnel with mysql2; every value is kept as
 * the text the server sent. No password: the tunnel carries the identity.
 *
 * @throws SqlError for an ERR packet (the gateway's refusals in MySQL's
 *   words become the SQLSTATE the CLI's exit codes read); HoopError when
 *   the tunnel breaks.
 */
export async function queryMysqlOverTunnel(options: MysqlQueryOptions): Promise<ExecResult[]> {
  let connection: mysql.Connection | undefined;
  try {
    connection = await mysql.createConnection({
      stream: options.socket,
      user: 'hoop',
      ...(options.database ? { database: options.database } : {}),
      multipleStatements: true,
      rowsAsArray: true,
      typeCast: (field, next) => (field.type === 'GEOMETRY' ? next() : field.string()),
      dateStrings: true,
      supportBigNumbers: true,
      bigNumberStrings: true,
    });
    connection.on('error', () => {});
    const [raw, fields] = await connection.query({ sql: options.sql, rowsAsArray: true });
    const multi = Array.isArray(fields) && fields.length > 0 && Array.isArray(fields[0]);
    const results = multi ? (raw as unknown[]) : [raw];
    const allFields = (multi ? fields : [fields]) as (mysql.FieldPacket[] | undefined)[];
    return results.map((result, i) => toResult(result, allFields[i], options.sql));
  } catch (error) {
    throw translate(error);
  } finally {
    if (connection) {
      await Promise.race([
        connection.end().catch(() => {}),
        sleep(END_TIMEOUT_MS, undefined, { ref: false }),
      ]);
    }
  }
}

function toResult(
  result: unknown,
  fields: mysql.FieldPacket[] | undefined,
  sql: string,
): ExecResult {
  if (Array.isArray(result)) {
    const rows = result as (string | null)[][];
    return {
      command: 'SELECT',
      tag: `SELECT ${rows.length}`,
      rowCount: rows.length,
      columns: (fields ?? []).map((field) => ({
        name: field.name,
        dataTypeID: TYPE_OIDS[field.columnType ?? -1] ?? 25,
      })),
      rows,
    };
  }
  const header = result as mysql.ResultSetHeader;
  const command = (/^\s*(\w+)/.exec(sql)?.[1] ?? 'OK').toUpperCase();
  return {
    command,
    tag: `${command} ${header.affectedRows}`,
    rowCount: header.affectedRows,
    columns: [],
    rows: [],
  };
}

function translate(error: unknown): Error {
  const e = error as { errno?: number; sqlState?: string; sqlMessage?: string; message?: string };
  if (typeof e.errno === 'number' && typeof e.sqlState === 'string') {
    const message = e.sqlMessage ?? e.message ?? '';
    // The gateway's refusals (ERR 1142 starting `hoop:`) read as PostgreSQL's 42501 does for the exit code.
    const code = e.errno === 1142 && message.startsWith('hoop:') ? '42501' : e.sqlState;
    return new SqlError(code, message);
  }
  if (error instanceof TunnelClosedError) {
    return new HoopError(
      error.reason.startsWith('target_') ? 'HOOP_TARGET_UNREACHABLE' : 'HOOP_GATEWAY_UNREACHABLE',
      `the tunnel closed: ${error.message}`,
      { cause: error },
    );
  }
  return error instanceof Error ? error : new Error(String(error));
}
