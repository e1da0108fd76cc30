import { type AstObject, asArray, stringParts, unwrap } from './ast.js';
import { variableSetChanges } from './settings.js';
import type { SettingChange } from './types.js';

/**
 * The code a DO block or a CREATE FUNCTION/PROCEDURE carries
 * (sql-do.html, sql-createfunction.html): its language, its source when it
 * is given as a string, and the settings the function runs with.
 *
 * The gateway analyses two languages: `sql` (the string is parsed as SQL;
 * a BEGIN ATOMIC or RETURN body is already part of the parse tree) and
 * `plpgsql` (compiled with PostgreSQL's PL/pgSQL grammar, every embedded
 * statement and expression then classified). A body in any other language
 * (C, internal, plpython3u, plperl, plv8, pltcl…) runs code it cannot see,
 * and makes the statement unknowable.
 *
 * A language is named as the server looks it up: `LANGUAGE PLPGSQL` reaches
 * the parser lower-cased, `LANGUAGE 'PLPGSQL'` does not, and the server
 * finds no such language; either way only the exact names above are
 * analysed.
 */
export interface CarriedCode {
  /** `DO` runs now; a function runs when called (or when what binds it fires). */
  kind: 'do' | 'function';
  language: string;
  /** The body given as a string (`AS '…'`, `DO '…'`); for C, the object file. */
  source: string | undefined;
  /** SET clauses of CREATE FUNCTION: in force while it runs. */
  settings: SettingChange[];
}

export const ANALYSED_LANGUAGES: ReadonlySet<string> = new Set(['sql', 'plpgsql']);

/** The code of a DoStmt or CreateFunctionStmt; undefined for other statements. */
export function carriedCode(tag: string, node: AstObject): CarriedCode | undefined {
  if (tag === 'DoStmt') {
    // DO's language defaults to plpgsql (sql-do.html); the body is one String.
    let language = 'plpgsql';
    let source: string | undefined;
    for (const arg of asArray(node.args)) {
      const def = unwrap(arg, 'DefElem');
      const value = unwrap(def?.arg, 'String')?.sval;
      if (def?.defname === 'language' && typeof value === 'string') language = value;
      if (def?.defname === 'as') source = typeof value === 'string' ? value : '';
    }
    return { kind: 'do', language, source, settings: [] };
  }
  if (tag !== 'CreateFunctionStmt') return undefined;
  // Without LANGUAGE a function is SQL (sql-createfunction.html: "The default is sql if
  // sql_body is specified"; with AS and no language the server refuses it).
  let language = 'sql';
  let source: string | undefined;
  const settings: SettingChange[] = [];
  for (const option of asArray(node.options)) {
    const def = unwrap(option, 'DefElem');
    if (def?.defname === 'language') {
      const value = unwrap(def.arg, 'String')?.sval;
      if (typeof value === 'string') language = value;
    } else if (def?.defname === 'as') {
      // AS 'definition', or AS 'obj_file', 'link_symbol' for C.
      source = stringParts(unwrap(def.arg, 'List')?.items)[0] ?? '';
    } else if (def?.defname === 'set') {
      const set = unwrap(def.arg, 'VariableSetStmt');
      if (set) settings.push(...variableSetChanges(set, 'function'));
    }
  }
  return { kind: 'function', language, source, settings };
}

/**
 * The settings among a function's SET clauses that change how its body is
 * lexed when it runs. `client_encoding` is not among them: a body is stored
 * in the server's encoding, and the client's only governs what the client
 * sends (which is the relay's to watch, from `settings`).
 */
export function lexerSettingsOf(code: CarriedCode): string[] {
  return code.settings
    .filter((setting) => BODY_LEXER_SETTINGS.has(setting.name) && !isDefaultLexing(setting))
    .map((setting) => setting.name);
}

const BODY_LEXER_SETTINGS: ReadonlySet<string> = new Set([
  'standard_conforming_strings',
  'backslash_quote',
]);

/**
 * A SET that leaves lexing as the gateway parses it: standard_conforming_strings
 * on, or backslash_quote at its default (`safe_encoding`, which only matters
 * when standard_conforming_strings is off).
 */
function isDefaultLexing(setting: SettingChange): boolean {
  const value = setting.value?.toLowerCase();
  if (setting.name === 'standard_conforming_strings') return value === 'on' || value === 'true';
  return setting.name === 'backslash_quote' && value === 'safe_encoding';
}
