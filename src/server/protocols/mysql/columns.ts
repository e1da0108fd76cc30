import type { ColumnCategory, ResultColumn } from '../../enforcement/index.js';
import {
  BINARY_CHARSET,
  ColumnType,
  isBinaryString,
  type ColumnDefinition,
} from './protocol/index.js';

/** Types whose values are text when their character set is not `binary`. */
const TEXT_TYPES = new Set<number>([
  ColumnType.VARCHAR,
  ColumnType.VAR_STRING,
  ColumnType.STRING,
  ColumnType.TINY_BLOB,
  ColumnType.MEDIUM_BLOB,
  ColumnType.LONG_BLOB,
  ColumnType.BLOB,
  ColumnType.ENUM,
  ColumnType.SET,
]);

function categoryOf(column: ColumnDefinition): ColumnCategory {
  if (TEXT_TYPES.has(column.type))
    return column.characterSet === BINARY_CHARSET ? 'structured' : 'text';
  if (
    column.type === ColumnType.JSON ||
    column.type === ColumnType.GEOMETRY ||
    column.type === ColumnType.BIT
  ) {
    return 'structured';
  }
  return 'other';
}

/**
 * A result set's columns as masking reads them. The column definition
 * names the base table column a value comes from (`org_table`,
 * `org_name`, schema), so no catalog lookup is needed; a column without
 * them is an expression, traced by the statement's lineage. In the binary
 * protocol, values of string types travel as text and are masked as text;
 * other types are binary (a masked one becomes NULL).
 */
export function resultColumns(
  columns: readonly ColumnDefinition[],
  binary: boolean,
): ResultColumn[] {
  const tables = new Map<string, number>();
  return columns.map((column) => {
    const isColumn = column.orgTable !== '' && column.orgName !== '';
    let tableOid = 0;
    if (isColumn) {
      const key = `${column.schema}.${column.orgTable}`.toLowerCase();
      tableOid = tables.get(key) ?? tables.size + 1;
      tables.set(key, tableOid);
    }
    return {
      name: column.name,
      lineage: isColumn ? 'column' : 'expression',
      tableOid,
      ...(isColumn
        ? {
            origin: {
              schema: column.schema.toLowerCase(),
              table: column.orgTable.toLowerCase(),
              column: column.orgName.toLowerCase(),
            },
          }
        : {}),
      category: categoryOf(column),
      binary: binary && !isBinaryString(column.type),
    };
  });
}
