import type { StatementKind } from './types.js';

/**
 * Built-in functions classified by what they do, not only by their name: a
 * call adds these kinds (and relations) to its statement, so that
 * `select lo_unlink(42)` is a `delete` and `select pg_notify('c', 'x')` a
 * `notify` to rules on statement kinds, as the statements that do the same
 * are.
 *
 * Large objects live in the catalog table `pg_largeobject` (lo-interfaces.html,
 * lo-funcs.html): creating or writing one is an `insert` or `update` of it,
 * `lo_unlink` a `delete`, reading one a `select`, so a rule on
 * `pg_catalog.pg_largeobject` sees them. `lo_import` also reads and
 * `lo_export` writes a server file (groups `@server-files`, `@large-objects`).
 *
 * Matched on the function's own name whatever its schema, like the groups.
 */
export interface FunctionEffect {
  kinds: readonly StatementKind[];
  tables?: readonly string[];
}

const LARGE_OBJECTS = ['pg_catalog.pg_largeobject'] as const;

const reads: FunctionEffect = { kinds: ['select'], tables: LARGE_OBJECTS };
const creates: FunctionEffect = { kinds: ['insert'], tables: LARGE_OBJECTS };
const writes: FunctionEffect = { kinds: ['update'], tables: LARGE_OBJECTS };
const deletes: FunctionEffect = { kinds: ['delete'], tables: LARGE_OBJECTS };

const EFFECTS: ReadonlyMap<string, FunctionEffect> = new Map<string, FunctionEffect>([
  ['lo_import', creates],
  ['lo_from_bytea', creates],
  ['lo_create', creates],
  ['lo_creat', creates],
  ['lo_put', writes],
  ['lowrite', writes],
  ['lo_truncate', writes],
  ['lo_truncate64', writes],
  ['lo_unlink', deletes],
  ['lo_get', reads],
  ['loread', reads],
  ['lo_export', reads],
  // lo_open gives a descriptor; what is done with it is a loread or lowrite call of its own.
  ['lo_open', reads],
  // pg_notify(channel, payload) is NOTIFY (functions-info.html, sql-notify.html).
  ['pg_notify', { kinds: ['notify'] }],
  // set_config(name, value, is_local) is SET (functions-admin.html, "Configuration Settings").
  ['set_config', { kinds: ['set'] }],
]);

/** What a call of the function (by its own, last name) does beyond running it; undefined for most. */
export function functionEffect(ownName: string): FunctionEffect | undefined {
  return EFFECTS.get(ownName);
}
