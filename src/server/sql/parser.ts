import { HoopError } from '../../lib/errors.js';
import type { SqlLimitCode } from './limits.js';
import { WasmParser, type WasmResult } from './wasm-parser.js';

/** One statement as libpg_query returns it. */
export interface RawStatement {
  /** `{ "SelectStmt": {...} }`: one key, the node type. */
  stmt: Record<string, unknown>;
  /** The statement's own text, trimmed. */
  text: string;
}

/** Why a text was not parsed. */
export type ParseFailure =
  | {
      ok: false;
      /** PostgreSQL's grammar refuses the text; message and 1-based position are the parser's. */
      reason: 'syntax';
      message: string;
      position?: number;
    }
  | {
      ok: false;
      /** The parser ran out of stack on it (`HOOP_SQL_TOO_DEEP`). */
      reason: 'limit';
      code: SqlLimitCode;
      message: string;
    };

export type ParseOutcome = { ok: true; statements: RawStatement[] } | ParseFailure;

/** A PL/pgSQL compile: `{ plpgsql_funcs: [...] }`, one per CREATE FUNCTION or DO. */
export type PlpgsqlOutcome = { ok: true; functions: unknown[] } | ParseFailure;

/*
 * Two instances: the one in use and a spare. A statement nested deeply
 * enough exhausts the JavaScript stack inside WebAssembly (the C code that
 * writes the tree out recurses per level); the instance it trapped in is
 * dropped, the spare takes over at once, and a new spare loads in the
 * background. Only a second trap within those few milliseconds leaves no
 * parser, and then statements are refused (fail closed) until it has loaded.
 */
let current: WasmParser | undefined;
let spare: WasmParser | undefined;
let loading: Promise<void> | undefined;
let replacing: Promise<void> | undefined;

/** Loads the parser's WebAssembly instances; later calls share the first load. */
export function initSqlParser(): Promise<void> {
  loading ??= Promise.all([WasmParser.load(), WasmParser.load()]).then(
    ([first, second]) => {
      current = first;
      spare = second;
    },
    (err: unknown) => {
      loading = undefined; // let a later call try again
      throw err;
    },
  );
  return loading;
}

const TRAPPED: ParseFailure = {
  ok: false,
  reason: 'limit',
  code: 'HOOP_SQL_TOO_DEEP',
  message: 'the statement is nested too deeply for the SQL parser',
};

const UNAVAILABLE: ParseFailure = {
  ok: false,
  reason: 'limit',
  code: 'HOOP_SQL_TOO_DEEP',
  message: 'the SQL parser is restarting after a statement nested too deeply; try again',
};

function ensureInitialised(): void {
  if (loading === undefined) {
    throw new HoopError('HOOP_INTERNAL', 'SQL parser used before initSqlParser() finished');
  }
}

/** Runs one call on the current instance, replacing the instance when the call traps. */
function call(run: (parser: WasmParser) => WasmResult): WasmResult | ParseFailure {
  ensureInitialised();
  const parser = current;
  if (parser === undefined) return UNAVAILABLE;
  try {
    return run(parser);
  } catch {
    // A trap (stack exhausted, or anything the C code did not expect): never use this instance again.
    current = spare;
    spare = undefined;
    replacing ??= replaceSpare();
    return TRAPPED;
  }
}

async function replaceSpare(): Promise<void> {
  try {
    const fresh = await WasmParser.load();
    if (current === undefined) current = fresh;
    else spare = fresh;
  } catch {
    // The next trap tries again; until then the current instance serves.
  } finally {
    replacing = undefined;
  }
}

/** Resolves once no replacement instance is loading (for tests of trap recovery). */
export async function parserSettled(): Promise<void> {
  await replacing;
}

/**
 * Splits and parses a query string with PostgreSQL's own grammar (raw parse:
 * no catalog lookups, so names are as written).
 *
 * @throws HoopError `HOOP_INTERNAL` when the parser has not been initialised.
 */
export function parseSql(sql: string): ParseOutcome {
  ensureInitialised();
  // The server reads a query string up to its NUL; the parser here would too.
  // Refuse rather than classify a prefix of what was sent.
  const nul = sql.indexOf('\0');
  if (nul !== -1) {
    return { ok: false, reason: 'syntax', message: 'query contains a NUL byte', position: nul + 1 };
  }
  // libpg_query refuses an empty string; PostgreSQL answers it with EmptyQueryResponse.
  if (sql.trim() === '') return { ok: true, statements: [] };
  const result = call((parser) => parser.parse(sql));
  if (!result.ok) return failure(result);
  const tree = decode(result.json);
  if (tree === undefined) return TRAPPED;
  return { ok: true, statements: statements(sql, tree) };
}

/**
 * Compiles the PL/pgSQL of one `CREATE FUNCTION … LANGUAGE plpgsql` or `DO`
 * statement's text, with PostgreSQL's PL/pgSQL grammar (pl_gram.y), which
 * also refuses assignments to undeclared variables as PostgreSQL does.
 */
export function parsePlpgsql(statementText: string): PlpgsqlOutcome {
  const result = call((parser) => parser.plpgsql(statementText));
  if (!result.ok) return failure(result);
  const tree = decode(result.json);
  const functions: unknown = isRecord(tree) ? tree.plpgsql_funcs : undefined;
  return Array.isArray(functions) ? { ok: true, functions: functions as unknown[] } : TRAPPED;
}

function failure(result: Extract<WasmResult, { ok: false }> | ParseFailure): ParseFailure {
  if ('reason' in result) return result;
  return result.cursor === undefined
    ? { ok: false, reason: 'syntax', message: result.message }
    : { ok: false, reason: 'syntax', message: result.message, position: result.cursor };
}

/** The JSON text as a value; undefined when it nests deeper than `JSON.parse` can follow. */
function decode(json: string): unknown {
  try {
    return JSON.parse(json) as unknown;
  } catch (err) {
    if (err instanceof RangeError) return undefined;
    throw err;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The statements of a parse result (`ParseResult.stmts`, each a RawStmt), each with its own text. */
function statements(sql: string, tree: unknown): RawStatement[] {
  const stmts: unknown = isRecord(tree) ? tree.stmts : undefined;
  if (!Array.isArray(stmts)) return [];
  // stmt_location and stmt_len count UTF-8 bytes; a missing stmt_len means "to the end".
  const bytes = Buffer.from(sql, 'utf8');
  const ascii = bytes.length === sql.length;
  return (stmts as unknown[]).filter(isRecord).map((raw) => {
    const stmt = isRecord(raw.stmt) ? raw.stmt : {};
    const location = typeof raw.stmt_location === 'number' ? raw.stmt_location : 0;
    const length = typeof raw.stmt_len === 'number' ? raw.stmt_len : 0;
    const end = length > 0 ? location + length : bytes.length;
    const text = ascii ? sql.slice(location, end) : bytes.subarray(location, end).toString('utf8');
    return { stmt, text: text.trim() };
  });
}
