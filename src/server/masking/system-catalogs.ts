/**
 * PostgreSQL's system catalogs as a statement names them: only a name
 * qualified with `pg_catalog` or `information_schema` counts. A bare
 * `pg_class` is resolved by the session's `search_path`, which may put a
 * schema of the user's before `pg_catalog` (fail closed: it counts as a
 * user table). psql qualifies every catalog name it sends for that reason.
 */
export function isSystemCatalog(table: string): boolean {
  const dot = table.indexOf('.');
  if (dot < 0) return false;
  const schema = table.slice(0, dot);
  return schema === 'pg_catalog' || schema === 'information_schema';
}
