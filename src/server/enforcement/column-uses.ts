import type { LineageSource } from './lineage.js';

/**
 * How a statement uses a column other than by returning it, as a mask rule
 * may allow it (`mask.allow`):
 *
 * - `write`: the value (or anything derived from it) goes somewhere a later
 *   read is not masked: a table, a view, a file, a setting, a notification,
 *   a sequence, a lock key, a cursor FETCH cannot trace, a function the
 *   gateway does not know to be pure;
 * - `predicate`: the value decides which rows come back, how many, or
 *   whether the statement fails (WHERE, JOIN ON, HAVING, FILTER, CASE,
 *   LIMIT, a set-returning function's argument, a divisor), other than by
 *   equality of the bare column with a constant or a parameter;
 * - `order`: the value orders or groups rows (ORDER BY, GROUP BY, DISTINCT
 *   ON, window PARTITION BY / ORDER BY, an aggregate's ORDER BY or
 *   DISTINCT, min/max, greatest/least);
 * - `alter`: the column or its table is renamed, retyped, moved, inherited,
 *   attached, or given a rule, trigger or row-security policy;
 * - `code`: procedural code (a DO block, a function's body, SQL run from a
 *   string) reads it, where the gateway cannot follow the value.
 */
export const COLUMN_USES = ['write', 'predicate', 'order', 'alter', 'code'] as const;

export type ColumnUseKind = (typeof COLUMN_USES)[number];

/**
 * What a use reads: a lineage source; a column known by its name only (a
 * record field in procedural code, `NEW.ssn`), which matches a selector by
 * its column part; or every column of every table (`any`: ANALYZE of the
 * whole database, the planner's statistics).
 */
export type UseSource = LineageSource | { kind: 'named'; column: string } | { kind: 'any' };

/** One use of columns other than output, as the statement's parse tree shows it. */
export interface ColumnUse {
  use: ColumnUseKind;
  /** For the caller, what the statement does with them: `INSERT … SELECT into scratch`. */
  what: string;
  /** The columns (or rows) used; `unknown` entries stand for what could not be traced. */
  sources: readonly UseSource[];
}
