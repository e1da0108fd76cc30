import type { LineageSource, OutputLineage } from '../enforcement/index.js';
import { selectorMatches, type ColumnSelector } from './rules.js';

/** What alignment needs of one result column (a subset of the masker's column input). */
export interface AlignableColumn {
  name: string;
  lineage: 'column' | 'expression' | 'unresolved';
  /** RowDescription's table OID: 0 for an expression. */
  tableOid?: number;
  origin?: { table: string };
}

/**
 * Pairs a statement's traced outputs with the columns of its RowDescription:
 * per column, the sources of the output it comes from, or `undefined` for a
 * table column (the catalog names its origin). A base-table `*` stands for
 * the run of consecutive table columns with the same table OID that follows.
 * Returns `undefined` when the two do not line up (a different number of
 * columns, a name that differs, a `*` over no table column): the caller then
 * keeps its conservative rule.
 */
export function alignLineage(
  outputs: readonly OutputLineage[],
  columns: readonly AlignableColumn[],
): (readonly LineageSource[] | undefined)[] | undefined {
  const aligned: (readonly LineageSource[] | undefined)[] = [];
  let i = 0;
  for (const output of outputs) {
    if (output.kind === 'star') {
      const first = columns[i];
      if (!first || first.lineage === 'expression' || !first.tableOid) return undefined;
      if (first.origin && first.origin.table !== tableName(output.table)) return undefined;
      while (
        i < columns.length &&
        columns[i]!.lineage !== 'expression' &&
        columns[i]!.tableOid === first.tableOid
      ) {
        aligned.push(undefined);
        i++;
      }
      continue;
    }
    const column = columns[i];
    if (!column) return undefined;
    if (output.name !== undefined && output.name !== column.name) return undefined;
    aligned.push(column.lineage === 'expression' ? output.sources : undefined);
    i++;
  }
  return i === columns.length ? aligned : undefined;
}

/**
 * Whether `selector` picks a value derived from `source`: a column source as
 * a table column would be; a whole row when the selector could name a column
 * of that table (a selector without a table part names one in any table).
 */
export function sourceMatches(
  selector: ColumnSelector,
  source: Extract<LineageSource, { kind: 'column' | 'row' }>,
  name: string,
): boolean {
  const [schema, table] = splitTable(source.table);
  if (source.kind === 'column') {
    return selectorMatches(
      selector,
      { ...(schema === undefined ? {} : { schema }), table, column: source.column },
      name,
    );
  }
  if (selector.table !== undefined && !selector.table.test(table)) return false;
  return selector.schema === undefined || schema === undefined || selector.schema.test(schema);
}

/** The table part of a name as the lineage writes it (`schema.table`, parts with dots quoted). */
function tableName(qualified: string): string {
  return splitTable(qualified)[1];
}

function splitTable(qualified: string): [string | undefined, string] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < qualified.length; i++) {
    const ch = qualified[i]!;
    if (quoted) {
      if (ch === '"' && qualified[i + 1] === '"') {
        current += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else current += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === '.') {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  const table = parts.pop() ?? '';
  return [parts.pop(), table];
}
