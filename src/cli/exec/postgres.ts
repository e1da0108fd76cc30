import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { ERROR_CODES, HoopError, isErrorCode } from '../../lib/errors.js';
import { TunnelClosedError } from '../../tunnel/index.js';
import type { PgTunnelSocket } from './tunnel-socket.js';

/** A column of a statement's result, as the server described it (RowDescription). */
export interface ExecColumn {
  name: string;
  /** The type's OID in pg_type (25 text, 23 int4, …). */
  dataTypeID: number;
}

/** What one statement of the request returned. */
export interface ExecResult {
  /** The command tag without its counts: SELECT, INSERT, CREATE TABLE, … */
  command: string;
  /** The whole command tag: `SELECT 2`, `INSERT 0 1`, `CREATE TABLE`. */
  tag: string;
  /** Rows returned or affected; null for commands that count nothing (CREATE TABLE). */
  rowCount: number | null;
  columns: ExecColumn[];
  /** Each row's values in column order, as the text the server sent; NULL is null. */
  rows: (string | null)[][];
}

/** An ErrorResponse from the other end: the target's own, or the gateway's in the target's words. */
export class SqlError extends Error {
  override readonly name = 'SqlError';

  constructor(
    /** The SQLSTATE (`42P01`, `42501` …). */
    readonly code: string,
    message: string,
    readonly detail?: string,
    readonly hint?: string,
  ) {
    super(message);
  }

  /**
   * DESIGN.md's exit code: 3 for a refusal by policy (the gateway answers
   * 42501 with a message starting `hoop:`; a 42501 from the target itself is
   * the target's error), the code's own for the gateway's limits on input
   * (54000 naming a `HOOP_SQL_…` code), 6 when the target cannot be reached
   * (class 08, connection exception, and 57P0x, the server going away), 1
   * otherwise (a syntax error, 42601, included).
   */
  get exitCode(): number {
    if (this.code === '54000' && this.message.startsWith('hoop:')) {
      const code = /\((HOOP_[A-Z_]+)\)/.exec(this.message)?.[1];
      if (isErrorCode(code)) return ERROR_CODES[code].exit;
    }
    if (this.code === '42501' && this.message.startsWith('hoop:')) {
      // The gateway's review answers: waiting for one (4), or a review that cannot be used (its code's).
      if (this.message.startsWith('hoop: waiting for review ')) return 4;
      const code = /\((HOOP_[A-Z_]+)\)/.exec(this.message)?.[1];
      if (isErrorCode(code)) return ERROR_CODES[code].exit;
      return 3;
    }
    if (this.code.startsWith('08') || /^57P0[1-3]$/.test(this.code)) return 6;
    return 1;
  }
}

export interface QueryOptions {
  socket: PgTunnelSocket;
  /** The database named in the start-up message; the gateway's connection decides which it reaches. */
  database: string;
  sql: string;
  /** NoticeResponse messages (RAISE NOTICE, warnings), as they arrive. */
  onNotice?: (severity: string, message: string) => void;
}

/** How long to wait for the tunnel's clean close after Terminate. */
const END_TIMEOUT_MS = 5_000;

/** Every value as the text the server sent: nothing is reinterpreted (dates, bigints, JSON). */
const TEXT_AS_IS = {
  getTypeParser: () => (value: string) => value,
} as unknown as pg.CustomTypesConfig;

/**
 * Runs `sql` as ONE simple Query (protocol §55.2.2) over an open tunnel with
 * the pg driver, so the string may hold several statements and the gateway
 * decides each. The tunnel carries the identity, so the start-up message
 * sends no password, and SSL is never requested (the gateway would answer
 * 'N'; the WebSocket is the encrypted leg).
 *
 * @throws SqlError for an ErrorResponse; HoopError when the tunnel breaks.
 */
export async function queryOverTunnel(options: QueryOptions): Promise<ExecResult[]> {
  const client = new pg.Client({
    stream: () => options.socket,
    user: 'hoop',
    database: options.database,
    password: '',
    ssl: false,
    application_name: 'hoop exec',
    types: TEXT_AS_IS,
  });
  // An error while no query is pending (the tunnel closing) must not crash the process;
  // a pending connect() or query() rejects with it anyway.
  client.on('error', () => {});
  client.on('notice', (notice) =>
    options.onNotice?.(notice.severity ?? 'NOTICE', notice.message ?? ''),
  );
  // pg keeps only the tag's first word (CREATE for CREATE TABLE): keep the whole tags, in order.
  const tags: string[] = [];
  client.connection.on('commandComplete', (message: { text?: string }) =>
    tags.push(message.text ?? ''),
  );
  try {
    await client.connect();
    const raw = (await client.query({ text: options.sql, rowMode: 'array' })) as unknown as
      pg.QueryArrayResult | pg.QueryArrayResult[];
    return (Array.isArray(raw) ? raw : [raw]).flatMap((result) => toResult(result, tags));
  } catch (error) {
    throw translate(error);
  } finally {
    // Terminate, then wait for the gateway's close, but not forever: the result is in hand.
    await Promise.race([
      client.end().catch(() => {}),
      sleep(END_TIMEOUT_MS, undefined, { ref: false }),
    ]);
  }
}

/** One statement's result; `tags` are the CommandComplete texts not yet matched to a result. */
function toResult(result: pg.QueryArrayResult, tags: string[]): ExecResult[] {
  // An empty statement (`;;`, a comment alone) gets EmptyQueryResponse: no tag, nothing to show.
  if (!result.command && result.fields.length === 0) return [];
  const tag = tags.shift() ?? result.command ?? '';
  return [
    {
      command: tag.replace(/( \d+)+$/, ''),
      tag,
      rowCount: result.rowCount,
      columns: result.fields.map((field) => ({ name: field.name, dataTypeID: field.dataTypeID })),
      rows: result.rows as (string | null)[][],
    },
  ];
}

/** pg's errors, in what the CLI reports: SQL errors keep their SQLSTATE, a broken tunnel its reason. */
function translate(error: unknown): Error {
  if (error instanceof pg.DatabaseError && error.code) {
    return new SqlError(error.code, error.message, error.detail, error.hint);
  }
  if (error instanceof TunnelClosedError) {
    const code =
      error.reason === 'unauthorized'
        ? 'HOOP_AUTH_REVOKED'
        : error.reason === 'store_unavailable'
          ? 'HOOP_STORE_UNAVAILABLE'
          : error.reason === 'gateway_shutdown'
            ? 'HOOP_SHUTTING_DOWN'
            : error.reason.startsWith('target_')
              ? 'HOOP_TARGET_UNREACHABLE'
              : 'HOOP_GATEWAY_UNREACHABLE';
    return new HoopError(code, `the tunnel closed: ${error.message}`, { cause: error });
  }
  // pg's "Connection terminated unexpectedly": the tunnel ended cleanly but too soon.
  if (error instanceof Error && error.message.startsWith('Connection terminated')) {
    return new HoopError(
      'HOOP_GATEWAY_UNREACHABLE',
      `the gateway ended the session: ${error.message}`,
      { cause: error },
    );
  }
  return error instanceof Error ? error : new Error(String(error));
}
