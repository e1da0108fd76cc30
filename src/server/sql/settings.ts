import { type AstObject, asArray, isObject, unwrap } from './ast.js';
import { constantString } from './sql-functions.js';
import type { SettingChange } from './types.js';

/**
 * Settings that change how the server lexes SQL text (the PostgreSQL manual,
 * "Lexical Structure" and runtime-config-compatible.html): with
 * `standard_conforming_strings` off a backslash escapes inside '…' too, so
 * `'\'; drop table t; --'` is one string to the gateway (which parses with
 * the defaults) and a string followed by a DROP to the server;
 * `backslash_quote` governs `\'` in such strings; `client_encoding` decides
 * which bytes form a character, and in encodings such as SJIS, BIG5, GBK and
 * GB18030 a character's second byte can be a backslash or a quote.
 *
 * `escape_string_warning` is not here: it only decides whether a warning is
 * logged, not how anything is read.
 */
export const LEXER_SETTINGS: ReadonlySet<string> = new Set([
  'standard_conforming_strings',
  'backslash_quote',
  'client_encoding',
]);

/** A change of `name` at `scope`, flagged when it can change lexing. */
function change(name: string, scope: SettingChange['scope'], value?: string): SettingChange {
  const lexer = name === '*' || LEXER_SETTINGS.has(name);
  return value === undefined ? { name, scope, lexer } : { name, scope, value, lexer };
}

/**
 * What one VariableSetStmt changes (SET, SET LOCAL, RESET, RESET ALL, and
 * the SET inside ALTER ROLE/DATABASE/SYSTEM and CREATE/ALTER FUNCTION).
 * `SET NAMES` arrives as `client_encoding` and `SET SCHEMA` as
 * `search_path`: the grammar (gram.y, `set_rest_more`) renames them.
 */
export function variableSetChanges(
  node: AstObject,
  scope: SettingChange['scope'] | undefined,
): SettingChange[] {
  const where = scope ?? (node.is_local === true ? 'transaction' : 'session');
  if (node.kind === 'VAR_RESET_ALL') return [change('*', where)];
  const name = typeof node.name === 'string' ? node.name.toLowerCase() : '*';
  if (node.kind !== 'VAR_SET_VALUE') return [change(name, where)];
  const values = asArray(node.args).map(settingValue);
  return [
    values.every((v): v is string => v !== undefined)
      ? change(name, where, values.join(', '))
      : change(name, where),
  ];
}

/**
 * `set_config(name, value, is_local)`: the setting named by a constant, or
 * `*` when the name is built at run time.
 */
export function setConfigChange(call: AstObject): SettingChange {
  const [name, value, local] = asArray(call.args);
  const local_ = unwrap(local, 'A_Const')?.boolval;
  const scope = isObject(local_) && local_.boolval === true ? 'transaction' : 'session';
  const setting = constantString(name)?.toLowerCase() ?? '*';
  const text = constantString(value);
  return change(setting, scope, text);
}

/** A SET argument as text: a string, a number or a keyword given as a constant. */
function settingValue(arg: unknown): string | undefined {
  const text = constantString(arg);
  if (text !== undefined) return text;
  const constant = unwrap(arg, 'A_Const');
  const integer = constant?.ival;
  // libpg_query leaves out a zero ival: `{ ival: {} }`.
  if (isObject(integer)) return String(typeof integer.ival === 'number' ? integer.ival : 0);
  const float = constant?.fval;
  if (isObject(float) && typeof float.fval === 'string') return float.fval;
  const bool = constant?.boolval;
  if (isObject(bool)) return bool.boolval === true ? 'on' : 'off';
  return undefined;
}

/** Functions whose call changes a setting, by their own name. */
export function isSettingFunction(ownName: string): boolean {
  return ownName === 'set_config';
}
