/**
 * A small scanner after PostgreSQL's own (src/backend/parser/scan.l), for
 * what must be known of a string without parsing it: how many tokens it
 * holds (the `maxTokens` limit, checked before the parser spends time on
 * it), where a PL/pgSQL assignment's target ends, and where numeric
 * constants are (`literal-shape.ts`). Comments (nested block comments too),
 * string constants in every prefix form, dollar-quoted strings and quoted
 * identifiers are single tokens; a run of operator characters is one
 * operator. It assumes `standard_conforming_strings` is on (backslashes
 * escape only in E'…'), as the parser does.
 *
 * Nothing here decides what a statement does: the parser does. An error
 * here only shifts a count.
 */

export type TokenKind =
  | 'word'
  | 'number'
  | 'string'
  | 'identifier'
  | 'parameter'
  | 'operator'
  | 'punctuation'
  | 'unterminated';

/** Called for each token with its span; return `false` to stop. */
export type TokenVisitor = (start: number, end: number, kind: TokenKind) => boolean | void;

/** Visits the tokens of `sql` (comments and blanks skipped); returns how many were visited. */
export function forEachToken(sql: string, visit?: TokenVisitor): number {
  let count = 0;
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
      i = blockCommentEnd(sql, i) ?? n;
      continue;
    }
    const start = i;
    let kind: TokenKind;
    if (c === 0x2e /* . */ && sql.charCodeAt(i + 1) === 0x2e) {
      // scan.l's dot_dot, PL/pgSQL's FOR range.
      i += 2;
      kind = 'punctuation';
    } else if (isDigit(c) || (c === 0x2e /* . */ && isDigit(sql.charCodeAt(i + 1)))) {
      i++;
      while (i < n && (isIdentCont(sql.charCodeAt(i)) || sql.charCodeAt(i) === 0x2e)) {
        // `1..10` in a PL/pgSQL FOR is two numbers around `..`.
        if (sql.charCodeAt(i) === 0x2e && sql.charCodeAt(i + 1) === 0x2e) break;
        i++;
      }
      kind = 'number';
    } else if (c === 0x27 /* ' */ || c === 0x22 /* " */) {
      const end = quotedEnd(sql, i + 1, c, false);
      i = end ?? n;
      kind = end === undefined ? 'unterminated' : c === 0x27 ? 'string' : 'identifier';
    } else if (c === 0x24 /* $ */) {
      const end = dollarEnd(sql, i);
      if (end === undefined) {
        i++;
        kind = 'operator';
      } else {
        i = end;
        kind = isDigit(sql.charCodeAt(start + 1)) ? 'parameter' : 'string';
      }
    } else if (isIdentStart(c)) {
      const prefixed = prefixedStringEnd(sql, i);
      if (prefixed !== undefined) {
        i = prefixed ?? n;
        kind = 'string';
      } else {
        i++;
        while (i < n && isIdentCont(sql.charCodeAt(i))) i++;
        kind = 'word';
      }
    } else if (isOperatorChar(c)) {
      i = operatorEnd(sql, i);
      kind = 'operator';
    } else if (c === 0x3a /* : */) {
      // `::` (cast) and `:=` (PL/pgSQL assignment) are single tokens.
      const next = sql.charCodeAt(i + 1);
      i += next === 0x3a || next === 0x3d ? 2 : 1;
      kind = next === 0x3d ? 'operator' : 'punctuation';
    } else {
      i++;
      kind = 'punctuation';
    }
    count++;
    if (visit !== undefined && visit(start, i, kind) === false) break;
  }
  return count;
}

/** Counts tokens, stopping once the count passes `max` (the caller refuses then). */
export function countTokens(sql: string, max: number): number {
  let count = 0;
  forEachToken(sql, () => ++count <= max);
  return count;
}

/**
 * A string constant with a prefix (E'…', B'…', X'…', N'…', U&'…' and U&"…"
 * identifiers) at `i`: the index after it, `null` when unterminated, or
 * undefined when `i` starts no such constant.
 */
function prefixedStringEnd(sql: string, i: number): number | null | undefined {
  const c = sql.charCodeAt(i);
  const next = sql.charCodeAt(i + 1);
  if (next === 0x27) {
    const lower = c | 0x20;
    if (lower !== 0x65 && lower !== 0x62 && lower !== 0x78 && lower !== 0x6e) return undefined;
    return quotedEnd(sql, i + 2, 0x27, lower === 0x65 /* e */) ?? null;
  }
  if ((c | 0x20) === 0x75 /* u */ && next === 0x26 /* & */) {
    const quote = sql.charCodeAt(i + 2);
    if (quote === 0x27 || quote === 0x22) return quotedEnd(sql, i + 3, quote, false) ?? null;
  }
  return undefined;
}

/** The index after the closing quote; a doubled quote is part of the text; `backslash` for E'…'. */
export function quotedEnd(
  sql: string,
  from: number,
  quote: number,
  backslash: boolean,
): number | undefined {
  let i = from;
  for (;;) {
    if (i >= sql.length) return undefined;
    const c = sql.charCodeAt(i);
    if (backslash && c === 0x5c /* \ */) {
      i += 2;
      continue;
    }
    if (c === quote) {
      if (sql.charCodeAt(i + 1) === quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i++;
  }
}

/** `$tag$…$tag$`: the index after the closing delimiter; a parameter `$1` ends after its digits. */
export function dollarEnd(sql: string, start: number): number | undefined {
  let i = start + 1;
  if (isDigit(sql.charCodeAt(i))) {
    while (isDigit(sql.charCodeAt(i))) i++;
    return isIdentCont(sql.charCodeAt(i)) ? undefined : i;
  }
  if (i < sql.length && isIdentStart(sql.charCodeAt(i))) {
    i++;
    while (i < sql.length && isDollarTagCont(sql.charCodeAt(i))) i++;
  }
  if (sql.charCodeAt(i) !== 0x24) return undefined;
  const tag = sql.slice(start, i + 1);
  const close = sql.indexOf(tag, i + 1);
  return close === -1 ? undefined : close + tag.length;
}

export function blockCommentEnd(sql: string, start: number): number | undefined {
  let depth = 0;
  let i = start;
  while (i < sql.length) {
    if (sql.charCodeAt(i) === 0x2f && sql.charCodeAt(i + 1) === 0x2a) {
      depth++;
      i += 2;
    } else if (sql.charCodeAt(i) === 0x2a && sql.charCodeAt(i + 1) === 0x2f) {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else i++;
  }
  return undefined;
}

export function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

export function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** scan.l's ident_start: letters, `_` and any byte of a multi-byte character. */
export function isIdentStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c >= 0x80;
}

function isDollarTagCont(c: number): boolean {
  return isIdentStart(c) || isDigit(c);
}

export function isIdentCont(c: number): boolean {
  return isDollarTagCont(c) || c === 0x24;
}

/**
 * The end of the operator at `start` as scan.l's `{operator}` rule reads
 * it: a run of op_chars that stops before a comment, and that cannot end in
 * `+` or `-` unless it holds one of ~ ! @ # % ^ & | ` ? (so `x=-1` is `=`
 * then `-`).
 */
function operatorEnd(sql: string, start: number): number {
  let i = start + 1;
  while (i < sql.length && isOperatorChar(sql.charCodeAt(i))) {
    const d = sql.charCodeAt(i);
    const e = sql.charCodeAt(i + 1);
    if ((d === 0x2d && e === 0x2d) || (d === 0x2f && e === 0x2a)) break;
    i++;
  }
  if (i - start > 1 && !/[~!@#%^&|`?]/.test(sql.slice(start, i))) {
    while (i - start > 1 && (sql.charCodeAt(i - 1) === 0x2b || sql.charCodeAt(i - 1) === 0x2d)) i--;
  }
  return i;
}

/** scan.l's op_chars. */
function isOperatorChar(c: number): boolean {
  switch (c) {
    case 0x7e: // ~
    case 0x21: // !
    case 0x40: // @
    case 0x23: // #
    case 0x5e: // ^
    case 0x26: // &
    case 0x7c: // |
    case 0x60: // `
    case 0x3f: // ?
    case 0x2b: // +
    case 0x2d: // -
    case 0x2a: // *
    case 0x2f: // /
    case 0x25: // %
    case 0x3c: // <
    case 0x3e: // >
    case 0x3d: // =
      return true;
    default:
      return false;
  }
}
