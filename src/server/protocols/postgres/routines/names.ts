/**
 * Names as the classifier writes them (`qualifiedName` in `sql/ast.ts`:
 * parts joined by dots, a part holding a dot or a quote double-quoted) and
 * which catalog objects each may mean. The session's `search_path` is not
 * known here and can change at run time (SET, set_config, a function's SET
 * clause, dynamic SQL), so a bare name means that name in every schema, and
 * a qualified one that name in its schema only.
 */

/** Schemas whose objects are the server's own: trusted, never read (see `index.ts`). */
export const BUILT_IN_SCHEMAS: readonly string[] = ['pg_catalog', 'information_schema'];

/** What a name written in SQL may resolve to. */
export interface NamePattern {
  /** Absent for a bare name: any schema. `pg_temp` means any session's temporary schema. */
  schema?: string;
  name: string;
}

/** The parts of a name as `qualifiedName` joined them. */
export function splitName(written: string): string[] {
  const parts: string[] = [];
  let i = 0;
  while (i <= written.length) {
    if (written[i] === '"') {
      let part = '';
      i++;
      while (i < written.length) {
        if (written[i] === '"') {
          if (written[i + 1] !== '"') break;
          i++;
        }
        part += written[i];
        i++;
      }
      parts.push(part);
      i += 2; // the closing quote and the dot
    } else {
      const dot = written.indexOf('.', i);
      const end = dot === -1 ? written.length : dot;
      parts.push(written.slice(i, end));
      i = end + 1;
    }
  }
  return parts;
}

/**
 * The schema and name a written name stands for. A three-part name's first
 * part is the database, which can only be the current one (PostgreSQL
 * refuses cross-database references), so it is dropped.
 */
export function namePattern(written: string): NamePattern {
  const parts = splitName(written);
  const name = parts.at(-1) ?? '';
  return parts.length >= 2 ? { schema: parts.at(-2)!, name } : { name };
}

/** `schema.name`, quoted like the classifier quotes (so rules match it the same way). */
export function qualified(schema: string, name: string): string {
  return [schema, name].map((p) => (/[."]/.test(p) ? `"${p.replaceAll('"', '""')}"` : p)).join('.');
}

const TEMP_SCHEMA = /^pg_temp_[0-9]+$/;

/**
 * Whether an object in `schema` may be what `pattern` names: `pg_temp` is
 * the calling session's own temporary schema, which on the gateway's catalog
 * connection is some other `pg_temp_N`, so it matches all of them.
 */
export function schemaMatches(pattern: NamePattern, schema: string): boolean {
  if (pattern.schema === undefined) return true;
  if (pattern.schema === 'pg_temp') return TEMP_SCHEMA.test(schema);
  return pattern.schema === schema;
}

/** A qualified name in a built-in schema: resolves only to the server's own objects. */
export function namesBuiltIn(pattern: NamePattern): boolean {
  return pattern.schema !== undefined && BUILT_IN_SCHEMAS.includes(pattern.schema);
}
