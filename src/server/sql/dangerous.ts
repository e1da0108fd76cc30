/**
 * Functions that reach outside the database's data: the server's files and
 * processes, its configuration, replication and WAL, other servers, or that
 * run SQL given as a string. Most need superuser or a predefined role
 * (pg_read_server_files, pg_signal_backend…), but a gateway often connects
 * as a powerful role, so the list is flagged whatever the caller's rights.
 *
 * Matched on the function's own name whatever its schema (`pg_catalog.x`,
 * `public.x`): a same-named function elsewhere is flagged too, which errs on
 * the side of holding a statement. See the PostgreSQL manual, "System
 * Administration Functions" (functions-admin.html).
 */
export const DANGEROUS_FUNCTIONS: ReadonlySet<string> = new Set([
  // Signals to other backends.
  'pg_terminate_backend',
  'pg_cancel_backend',
  'pg_log_backend_memory_contexts',
  // Server files.
  'pg_read_file',
  'pg_read_binary_file',
  'pg_stat_file',
  'pg_ls_dir',
  'pg_ls_logdir',
  'pg_ls_waldir',
  'pg_ls_tmpdir',
  'pg_ls_archive_statusdir',
  'pg_ls_logicalmapdir',
  'pg_ls_logicalsnapdir',
  'pg_ls_replslotdir',
  'lo_import',
  'lo_export',
  // adminpack
  'pg_file_write',
  'pg_file_rename',
  'pg_file_unlink',
  'pg_file_sync',
  'pg_logdir_ls',
  // Configuration.
  'set_config',
  'pg_reload_conf',
  'pg_rotate_logfile',
  // WAL, backup, recovery and replication.
  'pg_switch_wal',
  'pg_promote',
  'pg_create_restore_point',
  'pg_backup_start',
  'pg_backup_stop',
  'pg_wal_replay_pause',
  'pg_wal_replay_resume',
  'pg_create_physical_replication_slot',
  'pg_create_logical_replication_slot',
  'pg_drop_replication_slot',
  'pg_replication_origin_create',
  'pg_replication_origin_drop',
  // Run SQL given as a string, so what they do is not in the parse tree.
  'query_to_xml',
  'query_to_xmlschema',
  'query_to_xml_and_xmlschema',
]);

/** dblink (every dblink_* function): queries and commands on another server. */
const DANGEROUS_PREFIXES = ['dblink'];

/** Whether a function, by its own (last) name, is on the default dangerous list. */
export function isDangerousFunction(name: string): boolean {
  return DANGEROUS_FUNCTIONS.has(name) || DANGEROUS_PREFIXES.some((p) => name.startsWith(p));
}

/** Pseudo-entries for dangerous operations that are statements, not function calls. */
export const DANGEROUS_OPERATIONS = {
  copyProgram: 'copy program',
  copyFile: 'copy file',
  load: 'load',
  alterSystem: 'alter system',
} as const;
