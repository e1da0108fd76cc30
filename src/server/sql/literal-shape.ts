/**
 * The shape of a query string with its numeric literals taken out:
 * `select * from t where id = 42` and `… id = 7` share one shape. Statements
 * of one shape parse to the same tree but for the values of those constants,
 * which is what lets a classification be reused across them
 * (`classification-cache.ts`).
 *
 * A scanner after PostgreSQL's own (`scan.l`, helpers in `lexer.ts`): comments (nested block
 * comments too), string constants in every prefix form, dollar-quoted
 * strings, quoted identifiers, identifiers and parameters are skipped; the
 * numbers left are plain decimal integers, decimals and reals. Anything the
 * scanner is not sure of gives no shape (hex, octal and binary integers,
 * digit separators, trailing junk, non-ASCII text), and the caller classifies
 * such a string by parsing it, as always.
 */

import {
  blockCommentEnd,
  dollarEnd,
  isDigit,
  isIdentCont,
  isIdentStart,
  isSpace,
  quotedEnd,
} from './lexer.js';

/** One numeric constant in the text. */
export interface NumberSpan {
  start: number;
  end: number;
  /**
   * Where a `-` right before it stands (only blanks and comments between):
   * the parser folds `-5` into one constant located at the sign.
   */
  minus?: number;
}

export interface LiteralShape {
  /** The text with each number replaced by a NUL and its kind (`i` fits PostgreSQL's int4, `f` does not or is a decimal). */
  key: string;
  spans: NumberSpan[];
}

const INT4_MAX = 2147483647;

/** The parser counts positions in UTF-8 bytes; in printable ASCII they are the string's indexes. */
const NOT_ASCII = /[^\t\n\r\f\v\x20-\x7e]/;

export function literalShape(sql: string): LiteralShape | undefined {
  if (NOT_ASCII.test(sql)) return undefined;
  const spans: NumberSpan[] = [];
  let key = '';
  let copied = 0;
  /** Index of the last `-` operator character, if nothing but blanks and comments followed it. */
  let minus: number | undefined;
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (c === 0x2d /* - */ && sql.charCodeAt(i + 1) === 0x2d) {
      const eol = sql.indexOf('\n', i);
      i = eol === -1 ? n : eol + 1;
      continue;
    }
    if (c === 0x2f /* / */ && sql.charCodeAt(i + 1) === 0x2a /* * */) {
      const end = blockCommentEnd(sql, i);
      if (end === undefined) return undefined;
      i = end;
      continue;
    }
    const sign = minus;
    minus = undefined;
    if (isDigit(c) || (c === 0x2e /* . */ && isDigit(sql.charCodeAt(i + 1)))) {
      const number = scanNumber(sql, i);
      if (number === undefined) return undefined;
      spans.push(
        sign === undefined
          ? { start: i, end: number.end }
          : { start: i, end: number.end, minus: sign },
      );
      key += sql.slice(copied, i) + (number.integer && number.value <= INT4_MAX ? '\0i' : '\0f');
      copied = number.end;
      i = number.end;
      continue;
    }
    if (c === 0x27 /* ' */) {
      const end = quotedEnd(sql, i + 1, 0x27, false);
      if (end === undefined) return undefined;
      i = end;
      continue;
    }
    if (c === 0x22 /* " */) {
      const end = quotedEnd(sql, i + 1, 0x22, false);
      if (end === undefined) return undefined;
      i = end;
      continue;
    }
    if (c === 0x24 /* $ */) {
      const end = dollarEnd(sql, i);
      if (end === undefined) return undefined;
      i = end;
      continue;
    }
    if (isIdentStart(c)) {
      // A string constant with a prefix: E'…' (backslash escapes), B'…', X'…', N'…', U&'…'.
      const next = sql.charCodeAt(i + 1);
      if (next === 0x27) {
        const lower = c | 0x20;
        const end = quotedEnd(sql, i + 2, 0x27, lower === 0x65 /* e */);
        if (end === undefined) return undefined;
        i = end;
        continue;
      }
      if ((c | 0x20) === 0x75 /* u */ && next === 0x26 /* & */) {
        const quote = sql.charCodeAt(i + 2);
        if (quote === 0x27 || quote === 0x22) {
          const end = quotedEnd(sql, i + 3, quote, false);
          if (end === undefined) return undefined;
          i = end;
          continue;
        }
      }
      i++;
      while (i < n && isIdentCont(sql.charCodeAt(i))) i++;
      continue;
    }
    if (c === 0x2d) minus = i;
    i++;
  }
  if (spans.length === 0) return undefined;
  return { key: key + sql.slice(copied), spans };
}

/** A decimal integer, decimal or real starting at `start`; undefined for any other numeric form. */
function scanNumber(
  sql: string,
  start: number,
): { end: number; integer: boolean; value: number } | undefined {
  let i = start;
  while (isDigit(sql.charCodeAt(i))) i++;
  let integer = true;
  if (sql.charCodeAt(i) === 0x2e /* . */) {
    // `1..2` is PostgreSQL's numericfail, and a second `.` is trailing junk: leave both to the parser.
    if (sql.charCodeAt(i + 1) === 0x2e) return undefined;
    integer = false;
    i++;
    while (isDigit(sql.charCodeAt(i))) i++;
  }
  const e = sql.charCodeAt(i) | 0x20;
  if (e === 0x65 /* e */) {
    integer = false;
    i++;
    const s = sql.charCodeAt(i);
    if (s === 0x2b || s === 0x2d) i++;
    if (!isDigit(sql.charCodeAt(i))) return undefined;
    while (isDigit(sql.charCodeAt(i))) i++;
  }
  const after = sql.charCodeAt(i);
  // 0x1f, 1_000, 12abc, 1.2.3: other numeric forms or trailing junk.
  if (isIdentCont(after) || after === 0x2e) return undefined;
  const text = sql.slice(start, i);
  return { end: i, integer, value: integer ? Number(text) : NaN };
}
