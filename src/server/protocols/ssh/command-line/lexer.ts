/**
 * The lexer of the command-line reader: POSIX shell token recognition
 * (IEEE Std 1003.1-2017, XCU 2.3 "Token Recognition", 2.2 "Quoting") with
 * the bash additions a client may send (`&>`, `|&`, `<<<`, `<(…)`, `$'…'`).
 *
 * It is deliberately a subset: what it models it reads exactly as the
 * target's shell would (quote removal, backslash escapes, nested command
 * substitutions), and what it does not model it reports as unknown
 * instead of guessing (see {@link Unknown}). It does no I/O.
 */

/** Why a part of the line cannot be known before the target's shell runs it. */
export interface Unknown {
  reason: string;
  /** Completes "the command line …". */
  message: string;
}

/** One piece of a word: literal text, or something only the shell knows when it runs. */
export type WordPart =
  | { type: 'text'; text: string }
  /** `$NAME`, `${…}`, `$((…))`, `~user`: expanded when the line runs. */
  | { type: 'expansion'; text: string }
  /** `$(…)`, `` `…` ``, `<(…)`, `>(…)`: a nested line whose commands also run. */
  | { type: 'substitution'; line: string }
  /** An unquoted `*`, `?`, `[` or `{a,b}`: the shell expands it against the target's files. */
  | { type: 'pattern'; text: string };

export interface Word {
  type: 'word';
  parts: WordPart[];
  /** The word as written, for messages. */
  raw: string;
}

export type Token =
  | Word
  /** `;` `&` `&&` `||` `|` `|&` newline `(` `)` */
  | { type: 'operator'; op: string }
  /** A redirection operator with its optional file descriptor (`2>`, `>>`, `<&`, `<<<` …). */
  | { type: 'redirect'; op: string };

export type LexResult = { ok: true; tokens: Token[] } | { ok: false; unknown: Unknown };

const OPERATORS = ['&&', '||', '|&', ';;', ';', '&', '|', '(', ')', '\n'];
const REDIRECTS = ['<<<', '<<-', '<<', '&>>', '&>', '>>', '>&', '<&', '<>', '>|', '>', '<'];
const METACHARS = new Set([' ', '\t', '\n', ';', '&', '|', '(', ')', '<', '>']);

/** Reads the whole line into tokens, or says what it cannot know. */
export function lex(line: string): LexResult {
  const tokens: Token[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i] as string;
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '\\' && line[i + 1] === '\n') {
      i += 2;
      continue;
    }
    if (c === '#' && startsWord(tokens, line, i)) {
      // A comment runs to the end of the line.
      while (i < line.length && line[i] !== '\n') i++;
      continue;
    }
    // An IO number: digits right before a redirection (`2>`).
    const io = /^\d+(?=[<>])/.exec(line.slice(i, i + 12));
    if (io) i += io[0].length;
    const redirect = REDIRECTS.find((op) => line.startsWith(op, i));
    // `<(…)` and `>(…)` are process substitutions, read as words below.
    const substitution = (redirect === '<' || redirect === '>') && line[i + 1] === '(' && !io;
    if (redirect !== undefined && !substitution) {
      if (redirect === '<<' || redirect === '<<-') {
        return unknown('here-document', 'feeds a here-document, which the gateway does not read');
      }
      tokens.push({ type: 'redirect', op: redirect });
      i += redirect.length;
      continue;
    }
    const operator = OPERATORS.find((op) => line.startsWith(op, i));
    if (operator !== undefined) {
      if (operator === ';;') return unknown('syntax', 'uses `;;` outside a case statement');
      tokens.push({ type: 'operator', op: operator });
      i += operator.length;
      continue;
    }
    const word = readWord(line, i);
    if (!word.ok) return word;
    tokens.push(word.word);
    i = word.end;
  }
  return { ok: true, tokens };
}

function startsWord(tokens: Token[], line: string, i: number): boolean {
  if (i === 0) return true;
  const before = line[i - 1] as string;
  return METACHARS.has(before) || tokens.length === 0;
}

function unknown(reason: string, message: string): { ok: false; unknown: Unknown } {
  return { ok: false, unknown: { reason, message } };
}

type WordResult = { ok: true; word: Word; end: number } | { ok: false; unknown: Unknown };

/** One word from `start`: quotes removed, escapes applied, expansions and substitutions marked. */
function readWord(line: string, start: number): WordResult {
  const parts: WordPart[] = [];
  let text = '';
  const flush = () => {
    if (text !== '') parts.push({ type: 'text', text });
    text = '';
  };
  let i = start;
  while (i < line.length) {
    const c = line[i] as string;
    if (METACHARS.has(c)) {
      // `<(` and `>(` at the start of a word: process substitution.
      if ((c === '<' || c === '>') && line[i + 1] === '(' && i === start) {
        const inner = balanced(line, i + 1);
        if (inner === undefined) return unknown('syntax', 'has an unterminated `(`');
        flush();
        parts.push({ type: 'substitution', line: line.slice(i + 2, inner) });
        i = inner + 1;
        continue;
      }
      break;
    }
    if (c === '\\') {
      if (i + 1 >= line.length) return unknown('syntax', 'ends with a lone backslash');
      if (line[i + 1] !== '\n') text += line[i + 1];
      i += 2;
      continue;
    }
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) return unknown('syntax', 'has an unterminated single quote');
      text += line.slice(i + 1, end);
      i = end + 1;
      continue;
    }
    if (c === '$' && line[i + 1] === "'") {
      // ANSI-C quoting: escapes such as \x72 can spell anything.
      const end = ansiEnd(line, i + 2);
      if (end < 0) return unknown('syntax', "has an unterminated $'…' quote");
      const decoded = decodeAnsi(line.slice(i + 2, end));
      if (decoded === undefined)
        return unknown('encoding', "uses an escape in $'…' the gateway does not decode");
      text += decoded;
      i = end + 1;
      continue;
    }
    if (c === '"') {
      const quoted = readDoubleQuoted(line, i + 1);
      if (!quoted.ok) return quoted;
      for (const part of quoted.parts) {
        if (part.type === 'text') text += part.text;
        else {
          flush();
          parts.push(part);
        }
      }
      i = quoted.end;
      continue;
    }
    if (c === '$' || c === '`') {
      const dollar = readDollar(line, i);
      if (!dollar.ok) return dollar;
      flush();
      parts.push(dollar.part);
      i = dollar.end;
      continue;
    }
    if (
      c === '*' ||
      c === '?' ||
      c === '[' ||
      (c === '{' && /^\{[^}]*,[^}]*\}/.test(line.slice(i)))
    ) {
      flush();
      parts.push({ type: 'pattern', text: c });
      i++;
      continue;
    }
    if (c === '~' && i === start) {
      flush();
      parts.push({ type: 'expansion', text: '~' });
      i++;
      continue;
    }
    text += c;
    i++;
  }
  flush();
  return { ok: true, word: { type: 'word', parts, raw: line.slice(start, i) }, end: i };
}

type DoubleQuoted = { ok: true; parts: WordPart[]; end: number } | { ok: false; unknown: Unknown };

/** Inside `"…"`: `\` escapes only `$ \` " newline`; `$` and backquotes still expand. */
function readDoubleQuoted(line: string, start: number): DoubleQuoted {
  const parts: WordPart[] = [];
  let text = '';
  let i = start;
  while (i < line.length) {
    const c = line[i] as string;
    if (c === '"') {
      if (text !== '') parts.push({ type: 'text', text });
      return { ok: true, parts, end: i + 1 };
    }
    if (c === '\\' && i + 1 < line.length && '$`"\\\n'.includes(line[i + 1] as string)) {
      if (line[i + 1] !== '\n') text += line[i + 1];
      i += 2;
      continue;
    }
    if (c === '$' || c === '`') {
      const dollar = readDollar(line, i);
      if (!dollar.ok) return dollar;
      if (dollar.part.type === 'text') text += dollar.part.text;
      else {
        if (text !== '') parts.push({ type: 'text', text });
        text = '';
        parts.push(dollar.part);
      }
      i = dollar.end;
      continue;
    }
    text += c;
    i++;
  }
  return unknown('syntax', 'has an unterminated double quote');
}

type DollarResult = { ok: true; part: WordPart; end: number } | { ok: false; unknown: Unknown };

/** `$(…)`, `` `…` ``, `$((…))`, `${…}`, `$NAME`, `$1`, `$?` … or a lone `$`. */
function readDollar(line: string, i: number): DollarResult {
  if (line[i] === '`') {
    let j = i + 1;
    let inner = '';
    while (j < line.length && line[j] !== '`') {
      // Inside backquotes a backslash escapes `$`, `` ` `` and `\` only.
      if (line[j] === '\\' && '$`\\'.includes(line[j + 1] ?? '')) {
        inner += line[j + 1];
        j += 2;
        continue;
      }
      inner += line[j];
      j++;
    }
    if (j >= line.length) return unknown('syntax', 'has an unterminated backquote');
    return { ok: true, part: { type: 'substitution', line: inner }, end: j + 1 };
  }
  const next = line[i + 1];
  if (next === '(' && line[i + 2] === '(') {
    const end = balanced(line, i + 1);
    if (end === undefined) return unknown('syntax', 'has an unterminated `$((`');
    const arithmetic = line.slice(i + 3, end - 1);
    // Arithmetic may hold substitutions of its own: unknown rather than read as arithmetic.
    if (/[`$]/.test(arithmetic)) {
      return unknown('expansion', 'expands variables or substitutions inside $((…))');
    }
    return { ok: true, part: { type: 'expansion', text: line.slice(i, end + 1) }, end: end + 1 };
  }
  if (next === '(') {
    const end = balanced(line, i + 1);
    if (end === undefined) return unknown('syntax', 'has an unterminated `$(`');
    return { ok: true, part: { type: 'substitution', line: line.slice(i + 2, end) }, end: end + 1 };
  }
  if (next === '{') {
    const end = line.indexOf('}', i + 2);
    if (end < 0) return unknown('syntax', 'has an unterminated `${`');
    const inner = line.slice(i + 2, end);
    // `${x:-$(cmd)}` and the like run code; a plain `${name}` does not.
    if (/[`$({]/.test(inner)) {
      return unknown('expansion', 'uses a parameter expansion that may run code');
    }
    return { ok: true, part: { type: 'expansion', text: line.slice(i, end + 1) }, end: end + 1 };
  }
  const name = /^(?:[A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-])/.exec(line.slice(i + 1));
  if (name) {
    return {
      ok: true,
      part: { type: 'expansion', text: `$${name[0]}` },
      end: i + 1 + name[0].length,
    };
  }
  // A `$` followed by nothing it could expand stays a `$`.
  return { ok: true, part: { type: 'text', text: '$' }, end: i + 1 };
}

/**
 * The index of the `)` closing the `(` at `open`, skipping quotes and
 * nested parentheses; undefined when unbalanced.
 */
function balanced(line: string, open: number): number | undefined {
  let depth = 0;
  for (let i = open; i < line.length; i++) {
    const c = line[i];
    if (c === '\\') {
      i++;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) return undefined;
      i = end;
    } else if (c === '"') {
      for (i++; i < line.length && line[i] !== '"'; i++) if (line[i] === '\\') i++;
      if (i >= line.length) return undefined;
    } else if (c === '(') depth++;
    else if (c === ')') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return undefined;
}

function ansiEnd(line: string, start: number): number {
  for (let i = start; i < line.length; i++) {
    if (line[i] === '\\') i++;
    else if (line[i] === "'") return i;
  }
  return -1;
}

const ANSI_SIMPLE: Record<string, string> = {
  a: '\x07',
  b: '\b',
  e: '\x1b',
  E: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '?': '?',
};

/** Decodes bash's `$'…'` escapes (\n, \xHH, \NNN octal, \uHHHH); undefined for one it does not know. */
function decodeAnsi(body: string): string | undefined {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = body[i + 1] ?? '';
    const simple = ANSI_SIMPLE[e];
    if (simple !== undefined) {
      out += simple;
      i++;
      continue;
    }
    const hex = /^x([0-9a-fA-F]{1,2})/.exec(body.slice(i + 1));
    const octal = /^([0-7]{1,3})/.exec(body.slice(i + 1));
    const unicode = /^(?:u([0-9a-fA-F]{1,4})|U([0-9a-fA-F]{1,8}))/.exec(body.slice(i + 1));
    if (hex) {
      out += String.fromCharCode(parseInt(hex[1] as string, 16));
      i += hex[0].length;
    } else if (octal) {
      out += String.fromCharCode(parseInt(octal[1] as string, 8) & 0xff);
      i += octal[0].length;
    } else if (unicode) {
      const code = parseInt((unicode[1] ?? unicode[2]) as string, 16);
      if (code > 0x10ffff) return undefined;
      out += String.fromCodePoint(code);
      i += unicode[0].length;
    } else return undefined;
  }
  return out;
}
