import type { ExecResult } from './postgres.js';
import { pgTypeName } from './pg-types.js';

/*
 * `hoop exec --output json` (or `--json`): one stable shape, described by
 * schema/exec-output.schema.json and the README ("hoop exec --output json").
 * Rows are arrays in column order, always, so a result whose columns share a
 * name (`select 1, 2`) has the same shape as any other.
 */

/** A value as JSON holds it: see {@link jsonValue} for which types become what. */
export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface JsonColumn {
  name: string;
  /** `pg_type.typname` of a built-in type (`int4`, `text`, `_int4` for int4[]); null for a type the database defined (an enum, an extension's). */
  type: string | null;
  /** The type's OID, as RowDescription gives it (23 for int4). */
  dataTypeID: number;
}

export interface JsonResult {
  /** The command tag without its counts: `SELECT`, `INSERT`, `CREATE TABLE`. */
  command: string;
  /** The whole command tag as the server sent it: `SELECT 2`, `INSERT 0 1`, `CREATE TABLE`. */
  tag: string;
  /** Rows returned or affected; null for commands that count nothing (CREATE TABLE). */
  rowCount: number | null;
  columns: JsonColumn[];
  /** Each row's values in `columns` order. */
  rows: JsonValue[][];
}

export interface JsonOutput {
  /** One entry per statement of the request that returned a result, in order. */
  results: JsonResult[];
}

/** One statement's result in the documented JSON shape. */
export function jsonResult(result: ExecResult): JsonResult {
  const oids = result.columns.map((column) => column.dataTypeID);
  return {
    command: result.command,
    tag: result.tag,
    rowCount: result.rowCount,
    columns: result.columns.map((column) => ({
      name: column.name,
      type: pgTypeName(column.dataTypeID),
      dataTypeID: column.dataTypeID,
    })),
    rows: result.rows.map((row) => row.map((value, i) => jsonValue(value, oids[i] ?? 0))),
  };
}

/** Types whose every value is an integer that a double holds exactly: int2, int4, oid. */
const SMALL_INTEGERS = new Set([21, 23, 26]);
const INT8 = 20;
const FLOATS = new Set([700, 701]);
const BOOL = 16;
/** json and jsonb. */
const JSON_TYPES = new Set([114, 3802]);

/**
 * A value in the text format the server sent, as JSON holds it without
 * losing anything a script relies on:
 *
 * - NULL: null.
 * - bool: true or false.
 * - int2, int4, oid: a number. int8: a number when it is a safe integer
 *   (|n| ≤ 2^53 − 1, which a double holds exactly), else its text, a string.
 * - float4, float8: a number; NaN, Infinity and -Infinity, which JSON has no
 *   number for, as their text.
 * - numeric and money: always their text, a string, to keep every digit
 *   (`sum()` of integers is numeric too).
 * - json, jsonb: the JSON value itself, parsed (as node-postgres does);
 *   numbers inside it beyond a double's precision lose digits, as with any
 *   JSON parser: select `col::text` to get the exact text.
 * - every other type (text, dates and times, uuid, bytea as `\x…`, arrays as
 *   `{…}`, ranges, intervals …): the server's text, a string.
 */
export function jsonValue(text: string | null, oid: number): JsonValue {
  if (text === null) return null;
  if (oid === BOOL) return text === 't';
  if (SMALL_INTEGERS.has(oid)) return Number(text);
  if (oid === INT8) {
    const value = Number(text);
    return Number.isSafeInteger(value) ? value : text;
  }
  if (FLOATS.has(oid)) {
    const value = Number(text);
    return Number.isFinite(value) ? value : text;
  }
  if (JSON_TYPES.has(oid)) {
    try {
      return JSON.parse(text) as JsonValue;
    } catch {
      // The server sends valid JSON; should it ever not, keep the text rather than fail the output.
      return text;
    }
  }
  return text;
}
