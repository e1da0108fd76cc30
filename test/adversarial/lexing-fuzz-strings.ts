import type { Random } from './harness/seeded-random.js';

/*
 * SQL byte strings that hide a canary-destroying statement behind a lexing
 * trick: read with the defaults (standard_conforming_strings on, UTF-8), as
 * the gateway reads them, the statement is inside a string, a comment or a
 * quoted identifier; read under the setting the trick is built for, the
 * server runs it. PostgreSQL's lexer is src/backend/parser/scan.l; the
 * manual's "Lexical Structure" chapter describes it.
 *
 * A carrier is built from parts: a pivot (a string constant the two readers
 * end in different places), for some pivots an opener (what the reader still
 * in code opens, holding the other reader's closing quote), the payload (code
 * only the server reads), a resync (what brings both readers back into code
 * together) and a tail. The rest of the generator mutates carriers and mixes
 * lexical fragments at random, for what no recipe foresaw.
 */

/** Client encodings PostgreSQL accepts only on the client side; some put a backslash or quote in a character's second byte. */
export const CLIENT_ONLY_ENCODINGS = [
  'SJIS',
  'SHIFT_JIS_2004',
  'BIG5',
  'GBK',
  'GB18030',
  'UHC',
  'JOHAB',
] as const;
export type ClientOnlyEncoding = (typeof CLIENT_ONLY_ENCODINGS)[number];

/** How the server would read SQL text if a session reached the state it tried for. */
export interface LexAim {
  /** standard_conforming_strings off: a backslash escapes in '…' too. */
  backslashes: boolean;
  /** A client-only client_encoding the server converts from before lexing (not in a SQL_ASCII database, which refuses their bytes). */
  encoding?: ClientOnlyEncoding;
  /** The client encoding is client-only, usable or not: \' is then refused unless backslash_quote is on. */
  clientOnly: boolean;
  /** The server takes the bytes as they are (client SQL_ASCII in a SQL_ASCII database): invalid UTF-8 is not rejected. */
  rawBytes: boolean;
  /** backslash_quote: \' is accepted always (`on`), never (`off`), or unless the client encoding is client-only. */
  backslashQuote: 'on' | 'safe_encoding' | 'off';
}

export const DEFAULT_AIM: LexAim = {
  backslashes: false,
  clientOnly: false,
  rawBytes: false,
  backslashQuote: 'safe_encoding',
};

/**
 * Per encoding, the lead bytes L for which `L 0x5C` is one character the
 * server converts to UTF-8 (measured on the target at start): a lead byte
 * that eats the backslash after it. UHC and JOHAB have none.
 */
export type LeadTable = ReadonlyMap<ClientOnlyEncoding, readonly number[]>;

export type PayloadKind = 'drop' | 'truncate' | 'kill';

export interface GeneratedSql {
  bytes: Buffer;
  /** How the string was made, for the failure report and the summary. */
  recipe: string;
  /** The trick family (`backslash`, `encoding`, `collapse`, `mutation`, `soup`). */
  trick: string;
  payload: PayloadKind;
  /**
   * Built to run its payload when the session is in `aim`: straight against
   * PostgreSQL in that state it must destroy the canary or a victim.
   */
  sure: boolean;
}

/** Statements only the server should read; no quote, backslash, dollar, comment mark or newline in them. */
const STATEMENT_PAYLOADS: readonly (readonly [PayloadKind, string])[] = [
  ['drop', 'drop table canary'],
  ['drop', 'DROP TABLE public.canary'],
  ['drop', 'drop table if exists canary cascade'],
  ['truncate', 'truncate canary'],
  ['truncate', 'TRUNCATE TABLE only canary restart identity'],
  [
    'kill',
    'select pg_terminate_backend(pid) from pg_stat_activity where usename::text ^@ chr(118)',
  ],
  [
    'kill',
    'select pg_catalog.pg_terminate_backend(pid) from pg_stat_activity where usename::text ^@ chr(118)',
  ],
];

/** Expressions for a single statement (a Parse carries one): kill the victims (role names starting with v). */
const EXPRESSION_PAYLOADS: readonly string[] = [
  '(select bool_or(pg_terminate_backend(pid)) from pg_stat_activity where usename::text ^@ chr(118))',
  'pg_terminate_backend((select min(pid) from pg_stat_activity where usename::text ^@ chr(118)))',
];

/**
 * Invalid UTF-8, each decoded by Node (the gateway's `Buffer#toString`) to one
 * U+FFFD when followed by `$`: a lone continuation byte, bytes never valid,
 * truncated sequences.
 */
const ONE_REPLACEMENT: readonly number[][] = [
  [0x80],
  [0xbf],
  [0xc0],
  [0xfe],
  [0xff],
  [0xc3],
  [0xe3, 0x81],
  [0xf0, 0x9f, 0x98],
  [0xf5],
];

/** Invalid or unusual UTF-8 for the mixes: overlong forms of ' \ / and NUL, surrogates, beyond U+10FFFF. */
const ODD_UTF8: readonly number[][] = [
  ...ONE_REPLACEMENT,
  [0xc0, 0xa7],
  [0xc1, 0x9c],
  [0xc0, 0xaf],
  [0xc0, 0x80],
  [0xe0, 0x80, 0xa7],
  [0xf0, 0x80, 0x80, 0xa7],
  [0xed, 0xa0, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0xef, 0xbb, 0xbf],
];

const b = (text: string): Buffer => Buffer.from(text, 'latin1');
const u = (text: string): Buffer => Buffer.from(text, 'utf8');

/** Whitespace PostgreSQL skips (scan.l `space`). */
function blank(random: Random): string {
  return random.weighted([
    [8, ' '],
    [1, '  '],
    [1, '\t'],
    [1, '\n'],
    [1, '\r\n'],
    [1, '\f'],
  ]);
}

/** Harmless text inside a string constant, the same under every aim. */
function innocent(random: Random): string {
  return random.pick(['a', 'x y', 'it', '', 'note', 'Z9', ' ', 'ab_c']);
}

/**
 * An expression or comment that both readers read alike whatever the aim,
 * and that never fails (an error rolls back the payload's implicit transaction):
 * ASCII only, no backslash in a standard string, no U& constant (an error
 * with standard_conforming_strings off), no \' (an error in client-only
 * encodings).
 */
function neutral(random: Random, aim: LexAim): string {
  const items = [
    '1',
    "'plain'",
    "'it''s'",
    "E'tab\\there'",
    "e'\\\\ \\x41\\101 \\u0041 it''s'",
    "B'0101'",
    "X'1F'",
    "N'nat'",
    "'1'::int",
    "int '2'",
    '$$dollar \' " \\ -- /* $$',
    "$a_1$ x ' $$ $a_1$",
    "$Q$'$Q$",
    '1 as "quoted ""id"" \'"',
    '/* c /* nested \' */ " */ 3',
    '-- line \' " \\\n 4',
    "'line one'\n'continued'",
  ];
  if (!aim.backslashes) items.push("U&'d\\0061t\\+000061'", "U&'d!0061t' uescape '!'");
  if (!aim.encoding) items.push("'é ü'", '$é$ é $é$', '2 as "Ωmega"');
  return random.pick(items);
}

/** A carrier as built, with whether it must work under the aim it was built for. */
type Carrier = Omit<GeneratedSql, 'trick'> & { trick: Trick };
type Trick = 'backslash' | 'encoding' | 'collapse';

/**
 * One carrier: `[prefix] select <pivot> [opener] <payload> <resync> [tail]`.
 * `single`: one statement (for Parse), the payload an expression.
 */
function carrier(
  random: Random,
  trick: Trick,
  aim: LexAim,
  leads: LeadTable,
  single: boolean,
): Carrier {
  const parts: Buffer[] = [];
  const recipe: string[] = [trick];
  if (!single && random.chance(0.3))
    parts.push(u(`select ${neutral(random, aim)};${blank(random)}`));
  if (random.chance(0.2)) parts.push(u(`/* before */${blank(random)}`));
  parts.push(u(random.pick(['select ', 'SELECT ', 'select all ', 'select\n'])));
  if (random.chance(0.3)) parts.push(u(`${neutral(random, aim)},${blank(random)}`));

  // After the pivot one reader is in code and the other is not: `gateway`
  // says which; `closer` is what ends the server's constant when the gateway is in code.
  let gateway: 'string' | 'code';
  let closer = b("'");
  let sure = false;
  const odd = '\\'.repeat(2 * random.between(0, 2) + 1);
  const text = innocent(random);
  if (trick === 'backslash') {
    // Standard strings: a backslash is a character and '' a quote. Off: \' and \\ escape.
    // Both pivots hold \', which backslash_quote may refuse.
    sure = aim.backslashes && quoteAccepted(aim);
    if (random.chance(0.5)) {
      parts.push(b(`'${text}${odd}''`)); // gateway: still in; server: ended
      gateway = 'string';
      recipe.push(`pivot '…${odd}''`);
    } else {
      parts.push(b(`'${text}${odd}'`)); // gateway: ended; server: still in
      gateway = 'code';
      recipe.push(`pivot '…${odd}'`);
    }
  } else if (trick === 'encoding') {
    const encoding = aim.encoding ?? random.pick(CLIENT_ONLY_ENCODINGS);
    const known = leads.get(encoding) ?? [];
    const lead =
      known.length > 0 && random.chance(0.9) ? random.pick(known) : random.between(0x81, 0xfe);
    sure = aim.encoding === encoding && known.includes(lead);
    const prefix = random.pick(["E'", "e'"]);
    if (random.chance(0.5)) {
      // Gateway: U+FFFD, then \' escapes: still in. Server: <lead \> is one character, ' ends.
      parts.push(b(`${prefix}${text}`), Buffer.from([lead]), b(`${odd}'`));
      gateway = 'string';
      recipe.push(`pivot E'<${hex(lead)}>${odd}' (${encoding})`);
    } else {
      // Gateway: \\ pairs, ' ends. Server: <lead \>, then an odd run ending in \' (backslash_quote on): still in.
      parts.push(b(`${prefix}${text}`), Buffer.from([lead]), b(`${odd}\\'`));
      gateway = 'code';
      sure &&= quoteAccepted(aim);
      recipe.push(`pivot E'<${hex(lead)}>${odd}\\' (${encoding})`);
    }
  } else {
    // Dollar tags of distinct invalid bytes: the gateway decodes both to
    // U+FFFD and sees them match; a server taking raw bytes does not.
    const first = random.pick(ONE_REPLACEMENT);
    let second = random.pick(ONE_REPLACEMENT);
    while (first.join() === second.join()) second = random.pick(ONE_REPLACEMENT);
    const letter = random.pick(['', 'x', '_']);
    const tag = (bytes: number[]): Buffer =>
      Buffer.concat([b(`$${letter}`), Buffer.from(bytes), b('$')]);
    parts.push(tag(first), b(text), tag(second));
    closer = tag(first);
    gateway = 'code';
    sure = aim.rawBytes;
    recipe.push(
      `pivot $${letter}<${first.map(hex).join(' ')}>$…$${letter}<${second.map(hex).join(' ')}>$`,
    );
  }

  // What the gateway is inside while the server reads the payload.
  let inside: 'quote' | 'comment' | 'dollar' | 'identifier' | 'line' = 'quote';
  let dollarTag = '$$';
  if (gateway === 'code') {
    const opener = random.weighted<
      'quote' | 'escape' | 'unicode' | 'bits' | 'comment' | 'dollar' | 'identifier' | 'line'
    >([
      [3, 'quote'],
      [1, 'escape'],
      [trick === 'backslash' ? 1 : 0, 'unicode'],
      [1, 'bits'],
      [2, 'comment'],
      [2, 'dollar'],
      [2, 'identifier'],
      [2, 'line'],
    ]);
    recipe.push(`opener ${opener}`);
    // The server's closer, inside what the gateway opens.
    const spaced = closer.equals(b("'")) ? closer : Buffer.concat([b(' '), closer]);
    const quoted = closer.equals(b("'")) ? closer : Buffer.concat([b("' "), closer]);
    switch (opener) {
      case 'quote':
        parts.push(b(' || '), quoted);
        break;
      case 'escape':
        parts.push(b(' || E'), quoted);
        break;
      case 'unicode':
        parts.push(b(' || U&'), quoted);
        break;
      case 'bits':
        parts.push(b(` || ${random.pick(['B', 'X', 'b', 'x'])}`), quoted);
        break;
      case 'comment':
        parts.push(b(' /*'), spaced);
        inside = 'comment';
        break;
      case 'dollar':
        dollarTag = random.pick(['$$', '$q$', '$_$', '$Tag_9$', aim.encoding ? '$q$' : '$é$']);
        parts.push(u(`, ${dollarTag}`), spaced);
        inside = 'dollar';
        break;
      case 'identifier':
        parts.push(b(' as "x'), closer);
        inside = 'identifier';
        break;
      case 'line':
        parts.push(b(' --'), spaced);
        inside = 'line';
        break;
    }
  }

  // The payload, read by the server only (on one line: a line comment ends at \n or \r).
  let payload: PayloadKind;
  if (single) {
    parts.push(b(`${random.pick([' ', '\t', ''])}, ${random.pick(EXPRESSION_PAYLOADS)}`));
    payload = 'kill';
  } else {
    const [kind, statement] = random.pick(STATEMENT_PAYLOADS);
    const spaced = random.chance(0.3) ? statement.replaceAll(' ', '\t') : statement;
    parts.push(b(random.pick([` ; ${spaced} ;`, `;${spaced};`, ` ;\t${spaced}`])));
    payload = kind;
  }
  recipe.push(`payload ${payload}`);

  // Back into code for both: at the end of the input, or before a tail on the next line.
  const closing: Record<typeof inside, string[]> = {
    quote: [" -- '", " /* ' -- */"],
    comment: [' -- */'],
    dollar: [` -- ${dollarTag}`],
    identifier: [' -- "'],
    line: [''],
  };
  const resync = random.pick(closing[inside]);
  parts.push(u(resync));
  recipe.push(`resync ${JSON.stringify(resync)}`);
  // After an alias (the identifier opener) a single statement can only go on with FROM.
  let tail = random.pick(
    !single
      ? ['', `\n; select ${neutral(random, aim)}`, '\n;', '\n; select 2 -- end']
      : inside === 'identifier'
        ? ['', '\n from (select 1) s']
        : ['', '\n as c', '\n from (select 1) s', '\n::text'],
  );
  if (tail === '' && inside === 'quote' && resync === " -- '" && random.chance(0.4)) {
    // The gateway is back in code, the server still in its comment: more for the gateway alone.
    tail = random.pick([' :: text', " || 'more'", ' collate "C"']);
    if (recipe.includes('opener unicode') && random.chance(0.5)) tail = " uescape '!'";
  }
  parts.push(u(tail));
  return { bytes: Buffer.concat(parts), recipe: recipe.join(', '), trick, payload, sure };
}

/** Whether the server accepts \' in a string constant (scan.l, the `{xeescape}` rule). */
function quoteAccepted(aim: LexAim): boolean {
  return aim.backslashQuote === 'on' || (aim.backslashQuote === 'safe_encoding' && !aim.clientOnly);
}

/** Fragments for mutations and mixes: every quoting and comment form, lead bytes, odd UTF-8, NUL. */
function fragment(random: Random): Buffer {
  const kind = random.weighted<'lex' | 'lead' | 'utf8' | 'payload' | 'nul'>([
    [12, 'lex'],
    [4, 'lead'],
    [3, 'utf8'],
    [2, 'payload'],
    [0.15, 'nul'],
  ]);
  switch (kind) {
    case 'lex':
      return b(
        random.pick([
          "'",
          "''",
          '\\',
          '\\\\',
          "\\'",
          "E'",
          "e'",
          "U&'",
          "u&'",
          " uescape '!' ",
          " UESCAPE '''' ",
          "B'",
          "X'",
          "N'",
          '$$',
          '$a$',
          '$_$',
          '$1',
          '$',
          '"',
          '""',
          'U&"',
          '--',
          '\n',
          '\r',
          '/*',
          '*/',
          ';',
          ',',
          '||',
          ' ',
          'select ',
          '1',
          '::text',
          '(',
          ')',
          'x',
        ]),
      );
    case 'lead': {
      const lead = random.between(0x81, 0xfe);
      return Buffer.concat([
        Buffer.from([lead]),
        b(random.pick(['\\', "'", "\\'", '\\\\', '$', '"', '', 'A'])),
      ]);
    }
    case 'utf8':
      return Buffer.from(random.pick(ODD_UTF8));
    case 'payload':
      return b(
        random.chance(0.5)
          ? ` ; ${random.pick(STATEMENT_PAYLOADS)[1]} ;`
          : `, ${random.pick(EXPRESSION_PAYLOADS)}`,
      );
    case 'nul':
      return Buffer.from([0]);
  }
}

/** A carrier with a few bytes inserted, deleted or replaced by fragments. */
function mutate(random: Random, base: Buffer): Buffer {
  let bytes = base;
  for (let n = random.between(1, 3); n > 0; n--) {
    const at = random.int(bytes.length + 1);
    const action = random.pick(['insert', 'delete', 'replace', 'duplicate'] as const);
    if (action === 'insert') {
      bytes = Buffer.concat([bytes.subarray(0, at), fragment(random), bytes.subarray(at)]);
    } else if (action === 'delete') {
      bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + random.between(1, 3))]);
    } else if (action === 'replace') {
      const end = at + random.between(1, 2);
      bytes = Buffer.concat([bytes.subarray(0, at), fragment(random), bytes.subarray(end)]);
    } else {
      const end = Math.min(bytes.length, at + random.between(1, 8));
      bytes = Buffer.concat([bytes.subarray(0, end), bytes.subarray(at, end), bytes.subarray(end)]);
    }
  }
  return bytes;
}

/** Which tricks `aim` makes work, by name. */
export function tricksFor(aim: LexAim): Trick[] {
  const tricks: Trick[] = [];
  if (aim.backslashes) tricks.push('backslash');
  if (aim.encoding) tricks.push('encoding');
  if (aim.rawBytes) tricks.push('collapse');
  return tricks;
}

/**
 * A SQL string for a session that tried to reach `aim`. `single`: it goes
 * in a Parse (one statement). Mostly a carrier built for one of the aim's
 * tricks; also carriers for other tricks (harmless under the aim, to check
 * both readers agree), mutated carriers and random mixes.
 */
export function generateSql(
  random: Random,
  aim: LexAim,
  leads: LeadTable,
  options: { single: boolean },
): GeneratedSql {
  const aimed = tricksFor(aim);
  const all = ['backslash', 'encoding', 'collapse'] as const;
  const how = random.weighted<'aimed' | 'other' | 'mutation' | 'soup'>([
    [aimed.length > 0 ? 55 : 0, 'aimed'],
    [aimed.length > 0 ? 15 : 65, 'other'],
    [20, 'mutation'],
    [10, 'soup'],
  ]);
  if (how === 'aimed' || how === 'other') {
    return carrier(
      random,
      how === 'aimed' ? random.pick(aimed) : random.pick(all),
      aim,
      leads,
      options.single,
    );
  }
  if (how === 'mutation') {
    const made = carrier(random, random.pick(all), aim, leads, options.single);
    return {
      bytes: mutate(random, made.bytes),
      recipe: `mutation of (${made.recipe})`,
      trick: 'mutation',
      payload: made.payload,
      sure: false,
    };
  }
  const parts: Buffer[] = [b('select ')];
  for (let n = random.between(3, 24); n > 0; n--) parts.push(fragment(random));
  const [payload] = random.pick(STATEMENT_PAYLOADS);
  return { bytes: Buffer.concat(parts), recipe: 'soup', trick: 'soup', payload, sure: false };
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}

/** Bytes as a JavaScript-style literal: printable ASCII as is, the rest \xNN (for failure reports). */
export function showBytes(bytes: Buffer): string {
  let out = '';
  for (const byte of bytes) {
    if (byte === 0x5c) out += '\\\\';
    else if (byte === 0x22) out += '\\"';
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else if (byte === 0x0a) out += '\\n';
    else if (byte === 0x09) out += '\\t';
    else out += `\\x${hex(byte)}`;
  }
  return `"${out}"`;
}
