import type { ColumnUseKind } from './column-uses.js';
import type { OutputLineage } from './lineage.js';

/** A `mask` rule as policy hands it on: which columns and which content detectors. */
export interface MaskRule {
  rule: string;
  /** Column selectors (`customers.email`, `*.card_number`, `schema.table.column`). */
  columns: readonly string[];
  /** Content detector names (`email`, `credit_card` …). */
  detectors: readonly string[];
  /** The masker may replace a value by its keyed hash rather than a fixed mask. */
  hashAllowed?: boolean;
  /** Uses of the masked columns other than output that the rule allows (none by default). */
  allow?: readonly ColumnUseKind[];
}

/** A mask rule as it applies to one allowed action, with what the action reads. */
export interface AppliedMask extends MaskRule {
  /** The tables of the statements this rule matched, for expression lineage. */
  tables: readonly string[];
  /** The SQL did not parse: which tables it reads is unknown (fail closed). */
  tablesUnknown?: boolean;
}

/**
 * What to mask in the results of one allowed action: the mask rules that
 * apply (they accumulate over the statements of a string) and, per
 * statement, where each output column derives from. A protocol never reads
 * it: it hands it to {@link Enforcer.masker} and pairs the masker it gets
 * with each result set.
 */
export interface MaskPlan {
  masks: readonly AppliedMask[];
  /** One entry per statement of the string, in order (`null` when it returns no rows or was not traced). */
  lineage?: readonly (readonly OutputLineage[] | null)[];
}

/** A table column by schema, table and column name. */
export interface ColumnName {
  schema: string;
  table: string;
  column: string;
}

/**
 * A table column as the target's catalog names it now, found by the
 * protocol's own identifier (PostgreSQL: table OID and attribute number),
 * with what the gateway knows of its past and of what it reads.
 */
export interface ColumnOrigin extends ColumnName {
  /**
   * Names the same column had before, as the gateway saw them (a rename
   * keeps the table OID and attribute number): a rule that named the column
   * once keeps masking it under a new name.
   */
  formerly?: readonly ColumnName[];
  /**
   * A view's (or materialized view's) column: the base table columns the
   * view reads anywhere in its definition, through views over views. Its
   * values count as derived from each of them.
   */
  derivedFrom?: readonly ColumnName[];
  /**
   * A view column whose definition runs code the gateway does not follow
   * (a user-defined function): it may derive from anything (fail closed).
   */
  opaque?: boolean;
}

/**
 * What the type of a result column can hold, as far as masking cares:
 * `text` takes a redaction such as `j***@example.com`; `structured` (json,
 * xml, arrays, records, bytea) can carry text but a redaction would not be
 * a valid value; `other` (numbers, dates, booleans …) carries no free text.
 */
export type ColumnCategory = 'text' | 'structured' | 'other';

/** One column of a result set, described by the protocol (its row description and the catalog). */
export interface ResultColumn {
  name: string;
  /**
   * `column`: a base table column, `origin` says which; `expression`: no
   * table column; `unresolved`: a table column the catalog could not name
   * (the lookup failed): mask it (fail closed).
   */
  lineage: 'column' | 'expression' | 'unresolved';
  /** The protocol's table identifier (PostgreSQL's table OID; 0 for an expression), to line up `*` with table columns. */
  tableOid: number;
  origin?: ColumnOrigin;
  category: ColumnCategory;
  /** Values come in a binary format rather than as text. */
  binary: boolean;
}

/** Masks the cells of one result set; the protocol rewrites only the rows where a cell changes. */
export interface CellMasker {
  /** Indices of the columns to look at; every other column is forwarded unread. */
  readonly columns: readonly number[];
  /** `undefined`: keep the original bytes; `null`: send NULL; otherwise the replacement. */
  maskCell(index: number, value: Buffer): Buffer | null | undefined;
  /** `maskCell` on `buffer[start, end)`, read in place: called per field when present. */
  maskField?(index: number, buffer: Buffer, start: number, end: number): Buffer | null | undefined;
}

/** The masking of the results of one allowed action. */
export interface ResultMasker {
  /**
   * The masking of one result set, or `undefined` when nothing in it needs
   * masking. `statement` is which statement of the SQL string produced it
   * (0-based), so the masker can pair the columns with its lineage.
   */
  plan(columns: readonly ResultColumn[], statement: number): CellMasker | undefined;
  /**
   * Whether a value of a masked column may be in what the target says in
   * words while it runs the action (an error's message and detail, a
   * notice, a setting it reports): a rule's selector could name a table
   * the action reads (system catalogs aside), or what it reads is unknown.
   * The protocol then hides the variable parts of those messages whole.
   */
  readonly reachesMasked: boolean;
  /** The rules' detectors over free text (a message field, a payload): the redacted text, or `undefined` when nothing matched. */
  scanText(text: string): string | undefined;
}
