/**
 * Reading libpg_query's JSON parse tree: every node is `{ NodeType: {...} }`,
 * lists are arrays, and absent fields are left out. Shared by the classifier,
 * the lineage tracer and the COPY reader.
 */

export type AstObject = Record<string, unknown>;

export function isObject(value: unknown): value is AstObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function asObject(value: unknown): AstObject {
  return isObject(value) ? value : {};
}

export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** The fields of a node of type `tag` (`unwrap({String: {sval}}, 'String')`), or undefined for another type. */
export function unwrap(value: unknown, tag: string): AstObject | undefined {
  if (!isObject(value)) return undefined;
  const inner = value[tag];
  return isObject(inner) ? inner : undefined;
}

/** The `sval`s of a list of String nodes (a qualified name's parts), other nodes skipped. */
export function stringParts(list: unknown): string[] {
  return asArray(list).flatMap((item) => {
    const s = unwrap(item, 'String')?.sval;
    return typeof s === 'string' ? [s] : [];
  });
}

/** Name parts joined by dots; a part holding a dot or a quote is quoted so the result parses back. */
export function qualifiedName(parts: readonly string[]): string {
  return parts.map((p) => (/[."]/.test(p) ? `"${p.replaceAll('"', '""')}"` : p)).join('.');
}
