import { loadModule, parseSync } from 'libpg-query';
import { HoopError } from '../../lib/errors.js';

/** One statement as libpg_query returns it. */
export interface RawStatement {
  /** `{ "SelectStmt": {...} }`: one key, the node type. */
  stmt: Record<string, unknown>;
  /** The statement's own text, trimmed. */
  text: string;
}

export type ParseOutcome =
  { ok: true; statements: RawStatement[] } | { ok: false; message: string; position?: number };

let loading: Promise<void> | undefined;
let ready = false;

/** Loads the parser's WebAssembly module; later calls share the first load. */
export function initSqlParser(): Promise<void> {
  loading ??= loadModule().then(
    () => {
      ready = true;
    },
    (err: unknown) => {
      loading = undefined; // let a later call try again
      throw err;
    },
  );
  return loading;
}

/**
 * Splits and parses a query string with PostgreSQL's own grammar (raw parse:
 * no catalog lookups, so names are as written).
 */
export function parseSql(sql: string): ParseOutcome {
  if (!ready) {
    throw new HoopError('HOOP_INTERNAL', 'SQL parser used before initSqlParser() finished');
  }
  // The server reads a query string up to its NUL; the parser here would too.
  // Refuse rather than classify a prefix of what was sent.
  const nul = sql.indexOf('\0');
  if (nul !== -1) return { ok: false, message: 'query contains a NUL byte', position: nul + 1 };
  // libpg_query refuses an empty string; PostgreSQL answers it with EmptyQueryResponse.
  if (sql.trim() === '') return { ok: true, statements: [] };

  let result: {
    stmts?: { stmt: Record<string, unknown>; stmt_location?: number; stmt_len?: number }[];
  };
  try {
    result = parseSync(sql);
  } catch (err) {
    const details = (err as { sqlDetails?: { cursorPosition?: number } }).sqlDetails;
    const cursor = details?.cursorPosition;
    return {
      ok: false,
      message: err instanceof Error ? err.message : String(err),
      // libpg-query gives a 0-based character offset; PostgreSQL's `P` field is 1-based.
      ...(typeof cursor === 'number' && cursor >= 0 ? { position: cursor + 1 } : {}),
    };
  }

  // stmt_location and stmt_len count UTF-8 bytes; a missing stmt_len means "to the end".
  const bytes = Buffer.from(sql, 'utf8');
  const ascii = bytes.length === sql.length;
  const statements = (result.stmts ?? []).map(({ stmt, stmt_location = 0, stmt_len }) => {
    const end = stmt_len ? stmt_location + stmt_len : bytes.length;
    const text = ascii
      ? sql.slice(stmt_location, end)
      : bytes.subarray(stmt_location, end).toString('utf8');
    return { stmt, text: text.trim() };
  });
  return { ok: true, statements };
}
