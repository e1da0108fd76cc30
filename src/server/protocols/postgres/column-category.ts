import type { ColumnCategory } from '../../enforcement/index.js';

/** Types whose text form is free text: text, varchar, bpchar, name, "char", unknown. */
const TEXT_TYPES = new Set([25, 1043, 1042, 19, 18, 705]);

/**
 * Types that may carry text but take no redaction: json, jsonb, xml, bytea,
 * record, jsonpath, tsvector, and arrays of text-like types.
 */
const STRUCTURED_TYPES = new Set([
  114, 3802, 142, 17, 2249, 4072, 3614, 1009, 1015, 1014, 1003, 1002, 199, 3807, 143, 1001, 2287,
]);

/** The masking category of a PostgreSQL type OID (pg_type.h); unknown extension types count as text-bearing. */
export function columnCategory(typeOid: number): ColumnCategory {
  if (TEXT_TYPES.has(typeOid)) return 'text';
  // Extension types (citext, hstore…) get OIDs above the built-in range; their content is unknown.
  if (STRUCTURED_TYPES.has(typeOid) || typeOid >= 16384) return 'structured';
  return 'other';
}
