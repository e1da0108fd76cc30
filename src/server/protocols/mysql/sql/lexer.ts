/**
 * Splits SQL text into tokens exactly where MySQL's and MariaDB's lexer
 * (sql/sql_lex.cc) would, for the session's settings: what is a string, an
 * identifier, a comment, and which comments are code. The gateway decides
 * on these tokens, so any text it cannot lex the way the server will is
 * refused rather than guessed (`LexError`).
 *
 * - `#` and `-- ` (two dashes then whitespace, a control character or the
 *   end) comment to the end of the line; `/* … *\/` is a comment, except
 *   `/*! … *\/` and `/*!NNNNN … *\/` (MySQL and MariaDB) and `/*M! … *\/`,
 *   `/*M!NNNNNN … *\/` (MariaDB only), whose content is code when the
 *   server's version is at least NNNNN.
 * - `'…'` strings; `"…"` strings unless ANSI_QUOTES makes them identifiers;
 *   a backslash escapes the next character unless NO_BACKSLASH_ESCAPES;
 *   a doubled quote is a quote.
 * - The text is UTF-8 (the session is pinned to utf8mb4), so no byte of a
 *   multibyte character can be read as a quote or a backslash.
 */

export type TokenType =
  | 'word'
  | 'quoted'
  | 'string'
  | 'number'
  | 'variable'
  | 'system-variable'
  | 'param'
  | 'op'
  | 'semicolon';

export interface Token {
  type: TokenType;
  /** Words upper-cased; identifiers and strings as the server reads them (quotes and escapes removed). */
  value: string;
  /** Offset of the token's first character in the text. */
  start: number;
  end: number;
  /** For words: as written (the parser keeps the case of aliases). */
  raw?: string;
}

/** How the session lexes: the parts of sql_mode that change it, and the server's version for executable comments. */
export interface LexSettings {
  ansiQuotes: boolean;
  noBackslashEscapes: boolean;
  /** MYSQL_VERSION_ID of the target (MariaDB 10.11.19 is 101119). */
  versionId: number;
  mariadb: boolean;
}

export class LexError extends Error {
  constructor(
    message: string,
    /** 0-based character offset. */
    readonly position: number,
  ) {
    super(message);
    this.name = 'LexError';
  }
}

/** Bytes MySQL counts as space in utf8mb4 (my_isspace): tab, newline, vertical tab, form feed, carriage return, space. */
function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

/** Characters of unquoted identifiers: ASCII letters, digits, `_`, `$`, and any non-ASCII character. */
function isWordChar(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x39) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    c === 0x5f ||
    c === 0x24 ||
    c >= 0x80
  );
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** Operators of more than one character, longest first. */
const OPERATORS = ['<=>', '->>', '<<', '>>', '<=', '>=', '<>', '!=', ':=', '||', '&&', '->'];

export function lex(text: string, settings: LexSettings): Token[] {
  const tokens: Token[] = [];
  const n = text.length;
  let i = 0;
  /** Inside an executable comment: its `*\/` ends it. */
  let inCode = false;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0) throw new LexError('a NUL character in SQL text', i);
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (inCode && c === 0x2a /* * */ && text.charCodeAt(i + 1) === 0x2f /* / */) {
      inCode = false;
      i += 2;
      continue;
    }
    if (c === 0x23 /* # */) {
      i = lineEnd(text, i);
      continue;
    }
    if (c === 0x2d /* - */ && text.charCodeAt(i + 1) === 0x2d) {
      const after = text.charCodeAt(i + 2);
      if (i + 2 >= n || isSpace(after) || after < 0x20) {
        i = lineEnd(text, i);
        continue;
      }
    }
    if (c === 0x2f /* / */ && text.charCodeAt(i + 1) === 0x2a /* * */) {
      if (inCode) throw new LexError('a comment inside an executable comment', i);
      const comment = commentAt(text, i, settings);
      inCode = comment.code;
      i = comment.next;
      continue;
    }
    const start = i;
    if (c === 0x27 /* ' */ || (c === 0x22 /* " */ && !settings.ansiQuotes)) {
      const [value, end] = readString(text, i, settings);
      tokens.push({ type: 'string', value, start, end });
      i = end;
      continue;
    }
    if (c === 0x60 /* ` */ || c === 0x22) {
      const [value, end] = readQuotedIdentifier(text, i);
      tokens.push({ type: 'quoted', value, start, end });
      i = end;
      continue;
    }
    // N'…', X'…', B'…': a string with a prefix.
    const next = text.charCodeAt(i + 1);
    if (next === 0x27 && /[nNxXbB]/.test(text[i]!)) {
      const [value, end] = readString(text, i + 1, {
        ...settings,
        noBackslashEscapes: !/[nN]/.test(text[i]!) || settings.noBackslashEscapes,
      });
      tokens.push({ type: /[nN]/.test(text[i]!) ? 'string' : 'number', value, start, end });
      i = end;
      continue;
    }
    if (c === 0x40 /* @ */) {
      i = readVariable(text, i, settings, tokens);
      continue;
    }
    if (isDigit(c) || (c === 0x2e && isDigit(next))) {
      NUMBER.lastIndex = i;
      const match = NUMBER.exec(text)!;
      let j = i + match[0].length;
      if (j < n && isWordChar(text.charCodeAt(j)) && isDigit(c)) {
        // An identifier may begin with digits (`1abc`).
        while (j < n && isWordChar(text.charCodeAt(j))) j++;
        const raw = text.slice(i, j);
        tokens.push({ type: 'word', value: raw.toUpperCase(), start, end: j, raw });
      } else {
        tokens.push({ type: 'number', value: match[0], start, end: j });
      }
      i = j;
      continue;
    }
    if (isWordChar(c)) {
      let j = i + 1;
      while (j < n && isWordChar(text.charCodeAt(j))) j++;
      const raw = text.slice(i, j);
      tokens.push({ type: 'word', value: raw.toUpperCase(), start, end: j, raw });
      i = j;
      continue;
    }
    if (c === 0x3b /* ; */) {
      tokens.push({ type: 'semicolon', value: ';', start, end: i + 1 });
      i++;
      continue;
    }
    if (c === 0x3f /* ? */) {
      tokens.push({ type: 'param', value: '?', start, end: i + 1 });
      i++;
      continue;
    }
    const op = OPERATORS.find((o) => text.startsWith(o, i)) ?? String.fromCharCode(c);
    // Surrogate pairs are word characters (handled above); anything else is one operator character.
    tokens.push({ type: 'op', value: op, start, end: i + op.length });
    i += op.length;
  }
  if (inCode) throw new LexError('an unterminated executable comment', n);
  return tokens;
}

const NUMBER = /0x[0-9a-f]+|0b[01]+|(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?/iy;

function lineEnd(text: string, i: number): number {
  const nl = text.indexOf('\n', i);
  return nl === -1 ? text.length : nl + 1;
}

/**
 * The comment starting at `i`: whether its content is code (an executable
 * comment the server runs) and where to go on (after the comment, or at
 * the start of its code).
 */
function commentAt(
  text: string,
  i: number,
  settings: LexSettings,
): { code: boolean; next: number } {
  const skip = () => {
    const close = text.indexOf('*/', i + 2);
    if (close === -1) throw new LexError('an unterminated comment', i);
    return { code: false, next: close + 2 };
  };
  let j = i + 2;
  let mariadbOnly = false;
  if (text[j] === 'M' && text[j + 1] === '!') {
    mariadbOnly = true;
    j += 2;
  } else if (text[j] === '!') {
    j += 1;
  } else {
    return skip();
  }
  let digits = 0;
  while (isDigit(text.charCodeAt(j + digits))) digits++;
  // MySQL reads five digits of version and MariaDB five or six; servers have
  // differed on longer runs, so only the forms every one reads alike pass.
  const allowed = mariadbOnly ? [0, 5, 6] : [0, 5];
  if (!allowed.includes(digits)) {
    throw new LexError(
      `an executable comment with a ${digits}-digit version, which servers read differently`,
      i,
    );
  }
  if (mariadbOnly && !settings.mariadb) return skip();
  const version = digits === 0 ? 0 : Number(text.slice(j, j + digits));
  if (version > settings.versionId) return skip();
  return { code: true, next: j + digits };
}

function readString(text: string, i: number, settings: LexSettings): [string, number] {
  const quote = text[i]!;
  let value = '';
  let j = i + 1;
  for (;;) {
    if (j >= text.length) throw new LexError('an unterminated string', i);
    const ch = text[j]!;
    if (ch === '\\' && !settings.noBackslashEscapes) {
      if (j + 1 >= text.length) throw new LexError('an unterminated string', i);
      const cp = text.codePointAt(j + 1)!;
      value += unescape(String.fromCodePoint(cp));
      j += cp > 0xffff ? 3 : 2;
      continue;
    }
    if (ch === quote) {
      if (text[j + 1] === quote) {
        value += quote;
        j += 2;
        continue;
      }
      return [value, j + 1];
    }
    value += ch;
    j++;
  }
}

/** MySQL's string escapes (\0 \' \" \b \n \r \t \Z \\ \% \_); any other escaped character is itself. */
function unescape(ch: string): string {
  switch (ch) {
    case '0':
      return '\0';
    case 'b':
      return '\b';
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 't':
      return '\t';
    case 'Z':
      return '\x1a';
    case '%':
      return '\\%';
    case '_':
      return '\\_';
    default:
      return ch;
  }
}

function readQuotedIdentifier(text: string, i: number): [string, number] {
  const quote = text[i]!;
  let value = '';
  let j = i + 1;
  for (;;) {
    const close = text.indexOf(quote, j);
    if (close === -1) throw new LexError('an unterminated quoted identifier', i);
    value += text.slice(j, close);
    if (text[close + 1] === quote) {
      value += quote;
      j = close + 2;
      continue;
    }
    return [value, close + 1];
  }
}

/** `@name`, `@'name'`, `` @`name` ``, `@"name"`, `@@name`, `@@session.name`. */
function readVariable(text: string, i: number, settings: LexSettings, tokens: Token[]): number {
  const system = text[i + 1] === '@';
  let j = i + (system ? 2 : 1);
  const c = text.charCodeAt(j);
  let name: string;
  if (!system && (c === 0x27 || c === 0x22 || c === 0x60)) {
    const [value, end] =
      c === 0x60 || (c === 0x22 && settings.ansiQuotes)
        ? readQuotedIdentifier(text, j)
        : readString(text, j, settings);
    name = value;
    j = end;
  } else {
    const start = j;
    while (j < text.length && (isWordChar(text.charCodeAt(j)) || text[j] === '.')) j++;
    name = text.slice(start, j);
    if (system && c === 0x60) {
      const [value, end] = readQuotedIdentifier(text, j);
      name = value;
      j = end;
    }
  }
  tokens.push({
    type: system ? 'system-variable' : 'variable',
    value: system ? name.toLowerCase() : name,
    start: i,
    end: j,
  });
  return j;
}
