import { createHash } from 'node:crypto';

/** Keys that record where text was, not what it says. */
const POSITION_KEYS = new Set(['location', 'stmt_location', 'stmt_len']);

/**
 * A stable hash of a statement's parse tree with positions dropped and every
 * constant (`A_Const`) replaced by a placeholder, in the spirit of
 * pg_stat_statements' query jumbling: keyword case, whitespace, comments and
 * constant values do not change it; identifiers, operators and structure do.
 * Keys are sorted so the hash does not depend on the JSON's field order.
 */
export function fingerprint(stmt: unknown): string {
  return createHash('sha256').update(canonical(stmt)).digest('hex').slice(0, 32);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value !== 'object' || value === null) return JSON.stringify(value) ?? 'null';
  const object = value as Record<string, unknown>;
  const keys = Object.keys(object)
    .filter((key) => !POSITION_KEYS.has(key))
    .sort();
  const fields = keys.map((key) =>
    key === 'A_Const' ? '"A_Const":"?"' : `${JSON.stringify(key)}:${canonical(object[key])}`,
  );
  return `{${fields.join(',')}}`;
}
