import { createHash } from 'node:crypto';

/** Keys that record where text was, not what it says. */
const POSITION_KEYS = new Set(['location', 'stmt_location', 'stmt_len']);

/**
 * A stable hash of a statement's parse tree with positions dropped and every
 * constant (`A_Const`) replaced by a placeholder, in the spirit of
 * pg_stat_statements' query jumbling: keyword case, whitespace, comments and
 * constant values do not change it; identifiers, operators and structure do.
 * Keys are sorted so the hash does not depend on the JSON's field order.
 *
 * The canonical text is written piece by piece into one list and joined
 * once: building it by nesting strings level by level copied every subtree
 * once per level above it, quadratic in the depth of an operator chain.
 */
export function fingerprint(stmt: unknown): string {
  const out: string[] = [];
  canonical(stmt, out);
  return createHash('sha256').update(out.join('')).digest('hex').slice(0, 32);
}

function canonical(value: unknown, out: string[]): void {
  if (Array.isArray(value)) {
    out.push('[');
    value.forEach((item, i) => {
      if (i > 0) out.push(',');
      canonical(item, out);
    });
    out.push(']');
    return;
  }
  if (typeof value !== 'object' || value === null) {
    out.push(JSON.stringify(value) ?? 'null');
    return;
  }
  const object = value as Record<string, unknown>;
  const keys = Object.keys(object)
    .filter((key) => !POSITION_KEYS.has(key))
    .sort();
  out.push('{');
  keys.forEach((key, i) => {
    if (i > 0) out.push(',');
    if (key === 'A_Const') {
      out.push('"A_Const":"?"');
      return;
    }
    out.push(JSON.stringify(key), ':');
    canonical(object[key], out);
  });
  out.push('}');
}
