import type { ResultMaskRequest } from './statement-gate.js';

/** A base table column, as the target's catalog names it. */
export interface ColumnOrigin {
  schema: string;
  table: string;
  column: string;
}

/**
 * What the type of a result column can hold, as far as masking cares:
 * `text` takes a redaction such as `j***@example.com`; `structured` (json,
 * xml, arrays, records, bytea) can carry text but a redaction would not be
 * a valid value; `other` (numbers, dates, booleans…) carries no free text.
 */
export type ColumnCategory = 'text' | 'structured' | 'other';

/** One column of a result, described for the masker (from RowDescription and the catalog). */
export interface ResultColumnInfo {
  name: string;
  /**
   * `column`: a base table column, `origin` says which; `expression`: no
   * table column (RowDescription's table OID is 0); `unresolved`: a table
   * column the catalog could not name (lookup failed): mask it (fail closed).
   */
  lineage: 'column' | 'expression' | 'unresolved';
  /** RowDescription's table OID (0 for an expression), to line up `*` with table columns. */
  tableOid: number;
  origin?: ColumnOrigin;
  category: ColumnCategory;
  /** Values come in the binary format (format code 1). */
  binary: boolean;
}

/** Masks the cells of one result set; the relay rewrites only the rows where a cell changes. */
export interface CellMasker {
  /** Indices of the columns to look at; every other column is forwarded unread. */
  readonly columns: readonly number[];
  /** `undefined`: keep the original bytes; `null`: send SQL NULL; otherwise the replacement. */
  maskCell(index: number, value: Buffer): Buffer | null | undefined;
  /** `maskCell` on `buffer[start, end)`, read in place: the relay calls it per field when present. */
  maskField?(index: number, buffer: Buffer, start: number, end: number): Buffer | null | undefined;
}

export interface ResultMasker {
  /**
   * The masking of one result set, or `undefined` when nothing in it needs
   * masking. `statement` is which statement of the SQL string produced it
   * (0-based; a simple Query may hold several, a Parse holds one), so the
   * masker can pair the columns with that statement's lineage.
   */
  plan(columns: readonly ResultColumnInfo[], statement: number): CellMasker | undefined;
}

/**
 * Built by the gateway from the mask rules the gate attached to a statement
 * (STYLE: protocol code never imports masking). Called once per distinct
 * set of masks; the result is reused for every result set they apply to.
 */
export type ResultMaskerFactory = (masks: readonly ResultMaskRequest[]) => ResultMasker;

/** Types whose text form is free text: text, varchar, bpchar, name, "char", unknown, citext-less core. */
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
