import { type AstObject, asArray, isObject, unwrap } from './ast.js';
import { constantString } from './sql-functions.js';
import type { SettingChange } from './types.js';

/**
 * The settings the gateway's decisions rest on, in one list for every way a
 * session can set them: a statement (SET, set_config, ALTER … SET, a
 * function's SET clause; `session-pins.ts`, `statement-effects.ts`) and the
 * start-up packet or its `options` (`startup-settings.ts`).
 *
 * - `lexer`: how the server lexes SQL text (the PostgreSQL manual, "Lexical
 *   Structure" and runtime-config-compatible.html). With
 *   `standard_conforming_strings` off a backslash escapes inside '…' too, so
 *   `'\'; drop table t; --'` is one string to the gateway (which parses with
 *   the defaults) and a string followed by a DROP to the server;
 *   `backslash_quote` governs `\'` in such strings; `client_encoding` decides
 *   which bytes form a character, and in encodings such as SJIS, BIG5, GBK
 *   and GB18030 a character's second byte can be a backslash or a quote.
 *   `safe` says which values split text as the gateway does.
 * - `role`: whom the session acts as (`SET ROLE`, `SET SESSION
 *   AUTHORIZATION`); only the values that return to the login role are safe.
 * - `code`: loading a library into the server (runtime-config-client.html,
 *   "Shared Library Preloading"). By statement it counts as LOAD, which the
 *   policy decides; at start-up, where no statement is decided, it is refused.
 *
 * Not here, by decision: `escape_string_warning` (only decides whether a
 * warning is logged); `search_path` (the routine resolver reads a bare name
 * as that name in every schema, `routines/names.ts`, so no value misleads
 * it); `plpgsql.variable_conflict` (the classifier reads an ambiguous name
 * in a body as a column, which is what `use_column` does and more than
 * `use_variable` or the default `error` let run); `default_transaction_read_only`
 * (no policy sets it: the gateway decides every write itself).
 */
export type SettingGuard =
  | { kind: 'lexer'; safe: (value: string) => boolean }
  | { kind: 'role'; safe: (value: string) => boolean }
  | { kind: 'code' };

/** PostgreSQL compares encoding names without case and ignoring what is not a letter or digit (`clean_encoding_name`). */
export function isSafeEncoding(name: string): boolean {
  const clean = name.toLowerCase().replace(/[^a-z0-9]/g, '');
  return clean === 'utf8' || clean === 'unicode' || clean === 'sqlascii';
}

const backToLogin = (value: string): boolean => ['none', 'default'].includes(value.toLowerCase());

/** The guarded settings, by lower-case name. */
export const GUARDED_SETTINGS: ReadonlyMap<string, SettingGuard> = new Map<string, SettingGuard>([
  [
    'standard_conforming_strings',
    { kind: 'lexer', safe: (value) => ['on', 'true', 'yes', '1'].includes(value.toLowerCase()) },
  ],
  // `on` lets \' through in any client encoding; with UTF-8 it is safe_encoding's behaviour, but it
  // is what the setting exists to turn on, so it is not allowed either.
  [
    'backslash_quote',
    {
      kind: 'lexer',
      safe: (value) => ['safe_encoding', 'off', 'false', 'no', '0'].includes(value.toLowerCase()),
    },
  ],
  ['client_encoding', { kind: 'lexer', safe: isSafeEncoding }],
  ['role', { kind: 'role', safe: backToLogin }],
  ['session_authorization', { kind: 'role', safe: backToLogin }],
  ['session_preload_libraries', { kind: 'code' }],
  ['local_preload_libraries', { kind: 'code' }],
  ['shared_preload_libraries', { kind: 'code' }],
  ['dynamic_library_path', { kind: 'code' }],
  ['jit_provider', { kind: 'code' }],
]);

/** The guarded settings of one kind. */
function guardedOfKind(kind: SettingGuard['kind']): ReadonlySet<string> {
  return new Set([...GUARDED_SETTINGS].filter(([, g]) => g.kind === kind).map(([name]) => name));
}

/** Settings that change how the server lexes SQL text. */
export const LEXER_SETTINGS: ReadonlySet<string> = guardedOfKind('lexer');

/** Settings that change whom the session acts as. */
export const ROLE_SETTINGS: ReadonlySet<string> = guardedOfKind('role');

/** Settings whose value loads code into the server. */
export const CODE_LOADING_SETTINGS: ReadonlySet<string> = guardedOfKind('code');

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
