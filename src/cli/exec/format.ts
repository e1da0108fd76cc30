import { jsonResult, type JsonOutput } from './json-output.js';
import type { ExecResult, SqlError } from './postgres.js';

export const OUTPUT_FORMATS = ['table', 'json', 'csv'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Renders the results of one request for stdout, ending with a newline (or empty). */
export function formatResults(results: ExecResult[], format: OutputFormat): string {
  switch (format) {
    case 'json': {
      const output: JsonOutput = { results: results.map(jsonResult) };
      return `${JSON.stringify(output, null, 2)}\n`;
    }
    case 'csv': {
      const blocks = results.filter((r) => r.columns.length > 0).map(csvBlock);
      return blocks.length ? `${blocks.join('\n\n')}\n` : '';
    }
    case 'table':
      return results.length ? `${results.map(tableBlock).join('\n\n')}\n` : '';
  }
}

/** A failed request as `--output json` prints it (schema/exec-output.schema.json, `error`). */
export interface JsonError {
  /** A SQLSTATE (`42501`, `42P01`) when the target or the gateway answered in PostgreSQL's words, else a `HOOP_…` code. */
  code: string;
  message: string;
  /** PostgreSQL's DETAIL. */
  detail?: string;
  /** What to do: the line printed under the error on stderr. */
  hint: string;
  /** The exit code `hoop exec` exits with (DESIGN.md). */
  exitCode: number;
  /** The review the message names: the one the request waits for, or the one that could not be used. */
  review?: string;
}

/** The JSON printed on stdout for a failed request, so that a script parses one shape either way. */
export function formatJsonError(error: JsonError): string {
  const { code, message, detail, hint, exitCode, review } = error;
  const body: JsonError = {
    code,
    message,
    ...(detail === undefined ? {} : { detail }),
    hint,
    exitCode,
    ...(review === undefined ? {} : { review }),
  };
  return `${JSON.stringify({ error: body }, null, 2)}\n`;
}

/**
 * `ERROR: message (SQLSTATE xxxxx)`, psql's DETAIL line, and a HINT line
 * saying what to do (`sqlAdvice`: the server's own hint, else ours), for stderr.
 */
export function formatSqlError(error: SqlError, advice: string): string {
  return [
    `ERROR: ${error.message} (SQLSTATE ${error.code})`,
    ...(error.detail ? [`DETAIL: ${error.detail}`] : []),
    `HINT: ${advice}`,
  ].join('\n');
}

/** RFC 4180 quoting, with psql's conventions: NULL is an empty field, an empty string is `""`, lines end in LF. */
function csvBlock(result: ExecResult): string {
  const field = (value: string | null): string =>
    value === null
      ? ''
      : value === '' || /[",\r\n]/.test(value)
        ? `"${value.replaceAll('"', '""')}"`
        : value;
  return [result.columns.map((column) => column.name), ...result.rows]
    .map((row) => row.map(field).join(','))
    .join('\n');
}

/** Types psql right-aligns: int2, int4, int8, oid, float4, float8, money, numeric. */
const NUMERIC_TYPES = new Set([21, 23, 20, 26, 700, 701, 790, 1700]);

/**
 * psql's default aligned format: a centred header, `-+-` rule, numbers
 * right-aligned, NULL as blank, and a `(N rows)` footer; a command that
 * returns no rows prints its tag (`INSERT 0 1`).
 */
function tableBlock(result: ExecResult): string {
  if (result.columns.length === 0) return commandTag(result);
  const width = (text: string): number => [...text].length;
  const widths = result.columns.map((column, i) =>
    Math.max(width(column.name), ...result.rows.map((row) => width(row[i] ?? ''))),
  );
  const pad = (text: string, i: number, align: 'left' | 'right' | 'center'): string => {
    const space = (widths[i] ?? 0) - width(text);
    if (align === 'right') return ' '.repeat(space) + text;
    if (align === 'left') return text + ' '.repeat(space);
    const left = Math.floor(space / 2);
    return ' '.repeat(left) + text + ' '.repeat(space - left);
  };
  const line = (cells: string[]): string => ` ${cells.join(' | ')} `.trimEnd();
  const rows = result.rows.length;
  return [
    line(result.columns.map((column, i) => pad(column.name, i, 'center'))),
    widths.map((w) => '-'.repeat(w + 2)).join('+'),
    ...result.rows.map((row) =>
      line(
        result.columns.map((column, i) =>
          pad(row[i] ?? '', i, NUMERIC_TYPES.has(column.dataTypeID) ? 'right' : 'left'),
        ),
      ),
    ),
    `(${rows} ${rows === 1 ? 'row' : 'rows'})`,
  ].join('\n');
}

function commandTag(result: ExecResult): string {
  if (result.rowCount === null) return result.command;
  // INSERT's tag carries an OID, always 0 since PostgreSQL 12.
  return result.command === 'INSERT'
    ? `INSERT 0 ${result.rowCount}`
    : `${result.command} ${result.rowCount}`;
}
