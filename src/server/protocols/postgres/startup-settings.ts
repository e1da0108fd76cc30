import { GUARDED_SETTINGS, isSafeEncoding } from '../../sql/index.js';
import { PostgresSessionError } from './session-error.js';

/**
 * The session settings a client asks for at start-up, read as PostgreSQL
 * reads them, checked against the settings the gateway's decisions rest on
 * (GUARDED_SETTINGS in `sql/settings.ts`, the same list statements are
 * checked against), and passed on to the target.
 *
 * A StartupMessage carries settings two ways (protocol §55.7, StartupMessage;
 * postmaster.c `ProcessStartupPacket`): as parameters of their own name, and
 * inside `options`, a command line the server splits on unescaped white space
 * (`pg_split_opts`: a backslash keeps the next character, space included) and
 * reads with its switches (`process_postgres_switches`). Parameters outrank
 * `options` (`process_startup_options` applies the latter first). The target
 * gets every setting as a parameter of its own, so there is one spelling to
 * check and to key the target pool on. What is read here is bounded by the
 * start-up packet's own limit (the framer's `maxStartupBytes`, 10,000 bytes
 * as in PostgreSQL's MAX_STARTUP_PACKET_LENGTH), which a longer packet
 * meets before any of this runs.
 */

/** Start-up parameters that are not settings: the login itself, or the protocol's. */
const NOT_SETTINGS = new Set(['user', 'database', 'options', 'replication']);

/**
 * The settings of a StartupMessage, lower-case name to value, in the order
 * the target applies them; or a PostgresSessionError (FATAL) naming the
 * setting or switch that is refused.
 */
export function startupSettings(parameters: ReadonlyMap<string, string>): Map<string, string> {
  const settings = new Map<string, string>();
  const options = [...parameters].find(([name]) => name.toLowerCase() === 'options')?.[1];
  if (options !== undefined) {
    for (const [name, value] of optionSettings(options)) settings.set(name, value);
  }
  for (const [name, value] of parameters) {
    const lower = name.toLowerCase();
    if (NOT_SETTINGS.has(lower)) continue;
    // `_pq_.` names ask for protocol extensions (§55.2.2, NegotiateProtocolVersion); none is offered.
    if (lower.startsWith('_pq_.')) continue;
    settings.delete(lower);
    settings.set(lower, value);
  }
  for (const [name, value] of settings) {
    const refusal = refusedSetting(name, value);
    if (refusal) throw new PostgresSessionError('42501', refusal, { refusal: true });
  }
  return settings;
}

/**
 * Why the gateway refuses `name = value` at start-up, or undefined. Names
 * are compared as PostgreSQL does: without case, `-` read as `_`.
 */
export function refusedSetting(name: string, value: string): string | undefined {
  const guard = GUARDED_SETTINGS.get(name);
  if (guard === undefined) return undefined;
  const prefix = `hoop: the start-up setting ${name}=${value} is refused:`;
  switch (guard.kind) {
    case 'lexer':
      if (guard.safe(value)) return undefined;
      return name === 'client_encoding' && !isSafeEncoding(value)
        ? `${prefix} the gateway reads SQL as UTF-8 (or SQL_ASCII), and in other encodings the server could split a string differently; use UTF8`
        : `${prefix} the gateway reads SQL as the server does only with standard_conforming_strings on and backslash_quote safe_encoding`;
    case 'role':
      if (guard.safe(value)) return undefined;
      return `${prefix} a session acts as the role its connection logs in with`;
    case 'code':
      return `${prefix} it loads code into the server`;
  }
}

/**
 * The settings in an `options` string: `-c name=value`, `-cname=value` and
 * `--name=value`, split as `pg_split_opts` splits (white space ends a word
 * unless a backslash escapes it; a backslash keeps the character after it).
 * The server's other switches (`-e`, `-S`, `-B`, `-d` …) each set a setting
 * under another name or are for the server's own command line; they are
 * refused rather than mapped, since `-c` says each of them plainly.
 */
export function optionSettings(options: string): Array<[string, string]> {
  const words = splitOptions(options);
  const settings: Array<[string, string]> = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    let assignment: string;
    if (word === '-c') {
      const next = words[++i];
      if (next === undefined) throw malformed('-c needs name=value after it');
      assignment = next;
    } else if (word.startsWith('-c')) assignment = word.slice(2);
    else if (word.startsWith('--')) assignment = word.slice(2);
    else if (word.startsWith('-'))
      throw malformed(
        `the switch ${word.slice(0, 2)} is not passed on through the gateway; write the setting as -c name=value`,
      );
    else throw malformed(`"${word}" is not a switch; write settings as -c name=value`);
    const equals = assignment.indexOf('=');
    if (equals <= 0) throw malformed(`"${assignment}" needs the form name=value`);
    // ParseLongOption (guc.c): dashes in the name are underscores.
    const name = assignment.slice(0, equals).replace(/-/g, '_').toLowerCase();
    settings.push([name, assignment.slice(equals + 1)]);
  }
  return settings;
}

/** `pg_split_opts` (postinit.c): words split on isspace() unless escaped by a backslash. */
function splitOptions(options: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let escaped = false;
  for (const char of options) {
    if (!escaped && /^[ \t\n\v\f\r]$/.test(char)) {
      if (word !== undefined) words.push(word);
      word = undefined;
      continue;
    }
    if (!escaped && char === '\\') {
      escaped = true;
      word ??= '';
      continue;
    }
    escaped = false;
    word = (word ?? '') + char;
  }
  if (word !== undefined) words.push(word);
  return words;
}

function malformed(why: string): PostgresSessionError {
  return new PostgresSessionError(
    '42601',
    `hoop: the start-up parameter options is refused: ${why}`,
    { refusal: true },
  );
}
