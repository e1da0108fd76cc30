/**
 * Where the values of a result come from, as a protocol's parser traced
 * them: the shape every SQL dialect's analysis produces and masking reads.
 */

/**
 * Where one output value comes from: a base table column (table as written,
 * `schema.table` when qualified), a whole row of a table (every column of
 * it), anything at all (`any`: a function that runs SQL given as text or
 * reads a cursor, such as `cursor_to_xml`, whose result may hold any column
 * the caller can read), or something the parse tree cannot tell.
 */
export type LineageSource =
  | { kind: 'column'; table: string; column: string }
  | { kind: 'row'; table: string }
  | { kind: 'any' }
  | { kind: 'unknown' };

/**
 * One output column of a row-returning statement, or a `*` over a base table
 * (`star`), which stands for that table's columns in order: how many is for
 * the catalog to say.
 */
export type OutputLineage =
  | { kind: 'star'; table: string }
  | {
      kind: 'value';
      /** The result column's name when the parse tree fixes it (an alias, a column reference). */
      name?: string;
      /** Every source the value may derive from; empty when it derives from none (a constant). */
      sources: LineageSource[];
    };
