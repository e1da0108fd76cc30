/**
 * Function groups a policy can name in `match.functions` (`"@server-files"`):
 * the functions that reach outside the database's data, by what they reach.
 * Most need superuser or a predefined role (pg_read_server_files,
 * pg_signal_backend…), but a gateway often connects as a powerful role, so
 * they are flagged whatever the caller's rights. See the PostgreSQL manual,
 * "System Administration Functions" (functions-admin.html), "Large Objects"
 * (lo-funcs.html), "XML Functions" (functions-xml.html) and dblink.
 *
 * Members are matched on a function's own name whatever its schema
 * (`pg_catalog.x`, `public.x`): a same-named function elsewhere is flagged
 * too, which errs on the side of holding a statement. A member ending in `*`
 * matches every name with that prefix. Members with a space are
 * pseudo-entries for operations that are statements, not calls; the
 * classifier adds them to a statement's `functions`.
 */

/** Pseudo-entries for operations that are statements, not function calls. */
export const DANGEROUS_OPERATIONS = {
  copyProgram: 'copy program',
  copyFile: 'copy file',
  load: 'load',
  alterSystem: 'alter system',
  createExtension: 'create extension',
  createLanguage: 'create language',
  languageC: 'language c',
  /** CREATE TABLESPACE: makes directories and files on the server at a path the statement names. */
  createTablespace: 'create tablespace',
  /** INSERT, UPDATE, DELETE or MERGE on a system catalog: can redefine functions, roles, anything. */
  catalogWrite: 'catalog write',
} as const;

// prettier-ignore
export const FUNCTION_GROUPS = {
  /** Read, list or write files on the database server. */
  '@server-files': [
    'pg_read_file', 'pg_read_binary_file', 'pg_stat_file', 'pg_ls_dir', 'pg_ls_logdir',
    'pg_ls_waldir', 'pg_ls_tmpdir', 'pg_ls_archive_statusdir', 'pg_ls_logicalmapdir',
    'pg_ls_logicalsnapdir', 'pg_ls_replslotdir', 'pg_current_logfile', 'lo_import', 'lo_export',
    // adminpack (PostgreSQL 16 and earlier)
    'pg_file_write', 'pg_file_rename', 'pg_file_unlink', 'pg_file_sync', 'pg_logdir_ls',
    DANGEROUS_OPERATIONS.copyFile, DANGEROUS_OPERATIONS.createTablespace,
  ],
  /** Run a program on the database server's host. */
  '@program-execution': [DANGEROUS_OPERATIONS.copyProgram],
  /** Signal other backends: cancel, terminate, make them log. */
  '@signal-backends': [
    'pg_terminate_backend', 'pg_cancel_backend', 'pg_log_backend_memory_contexts',
  ],
  /** Change the server's or the session's configuration. */
  '@configuration': [
    'set_config', 'pg_reload_conf', 'pg_rotate_logfile', DANGEROUS_OPERATIONS.alterSystem,
  ],
  /** WAL, backups, recovery, replication slots and origins (a logical slot reads every change). */
  '@replication': [
    'pg_switch_wal', 'pg_promote', 'pg_create_restore_point', 'pg_backup_start', 'pg_backup_stop',
    'pg_start_backup', 'pg_stop_backup', 'pg_wal_replay_pause', 'pg_wal_replay_resume',
    'pg_create_physical_replication_slot', 'pg_create_logical_replication_slot',
    'pg_drop_replication_slot', 'pg_copy_physical_replication_slot',
    'pg_copy_logical_replication_slot', 'pg_replication_slot_advance',
    'pg_logical_slot_get_changes', 'pg_logical_slot_peek_changes',
    'pg_logical_slot_get_binary_changes', 'pg_logical_slot_peek_binary_changes',
    'pg_logical_emit_message', 'pg_sync_replication_slots', 'pg_replication_origin_create',
    'pg_replication_origin_drop', 'pg_replication_origin_session_setup',
    'pg_replication_origin_advance',
  ],
  /** Queries and commands on other servers (which may be this one again). */
  '@remote-servers': [
    'dblink*', 'postgres_fdw_get_connections', 'postgres_fdw_disconnect',
    'postgres_fdw_disconnect_all',
  ],
  /** Large objects: data outside any table (`pg_largeobject`), some to and from server files. */
  '@large-objects': [
    'lo_import', 'lo_export', 'lo_from_bytea', 'lo_put', 'lo_get', 'lo_create', 'lo_creat',
    'lo_unlink', 'lo_open', 'lo_close', 'loread', 'lowrite', 'lo_lseek', 'lo_lseek64', 'lo_tell',
    'lo_tell64', 'lo_truncate', 'lo_truncate64',
  ],
  /** Run SQL that is not in the statement: built from a string, a cursor or a table name. */
  '@dynamic-sql': [
    'query_to_xml', 'query_to_xmlschema', 'query_to_xml_and_xmlschema', 'cursor_to_xml',
    'cursor_to_xmlschema', 'table_to_xml', 'table_to_xmlschema', 'table_to_xml_and_xmlschema',
    'schema_to_xml', 'schema_to_xmlschema', 'schema_to_xml_and_xmlschema', 'database_to_xml',
    'database_to_xmlschema', 'database_to_xml_and_xmlschema', 'ts_stat', 'ts_rewrite',
    // tablefunc and xml2: a query given as text, or SQL built from a "relation" and fields.
    'crosstab*', 'connectby', 'xpath_table',
  ],
  /** Load native code into the server: shared libraries, extensions' scripts, C functions. */
  '@code-loading': [
    DANGEROUS_OPERATIONS.load, DANGEROUS_OPERATIONS.createExtension,
    DANGEROUS_OPERATIONS.createLanguage, DANGEROUS_OPERATIONS.languageC,
    DANGEROUS_OPERATIONS.catalogWrite,
  ],
} as const satisfies Record<`@${string}`, readonly string[]>;

export type FunctionGroup = keyof typeof FUNCTION_GROUPS;

export const FUNCTION_GROUP_NAMES = Object.keys(FUNCTION_GROUPS) as FunctionGroup[];

/** Every function name that is in a group (without the prefix entries and pseudo-entries). */
export const DANGEROUS_FUNCTIONS: ReadonlySet<string> = new Set(
  Object.values(FUNCTION_GROUPS)
    .flat()
    .filter((name) => !name.includes(' ') && !name.endsWith('*')),
);

/** Groups by exact member, and the prefix members, built once. */
const BY_NAME = new Map<string, FunctionGroup[]>();
const PREFIXES: { prefix: string; group: FunctionGroup }[] = [];
for (const group of FUNCTION_GROUP_NAMES) {
  for (const member of FUNCTION_GROUPS[group] as readonly string[]) {
    if (member.endsWith('*')) PREFIXES.push({ prefix: member.slice(0, -1), group });
    else BY_NAME.set(member, [...(BY_NAME.get(member) ?? []), group]);
  }
}

/**
 * The groups a function (by its own, last name) or a pseudo-entry belongs
 * to; empty for most functions.
 */
export function groupsOf(ownName: string): readonly FunctionGroup[] {
  const exact = BY_NAME.get(ownName);
  const prefixed = PREFIXES.filter((p) => ownName.startsWith(p.prefix)).map((p) => p.group);
  if (prefixed.length === 0) return exact ?? [];
  return [...new Set([...(exact ?? []), ...prefixed])];
}

/** Whether a function, by its own (last) name, is in any group. */
export function isDangerousFunction(name: string): boolean {
  return groupsOf(name).length > 0;
}
