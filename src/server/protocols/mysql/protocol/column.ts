import { MysqlProtocolError } from './errors.js';
import { Reader } from './reader.js';
import { Writer } from './writer.js';

/**
 * Protocol::ColumnDefinition41
 * (https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_query_response_text_resultset_column_definition.html):
 *
 *     string<lenenc> catalog ("def"), schema, table, org_table, name, org_name,
 *     int<lenenc> 0x0c, int<2> character set, int<4> column length,
 *     int<1> type, int<2> flags, int<1> decimals, int<2> filler
 *
 * `orgTable` and `orgName` name the base table column a value comes from;
 * both are empty for an expression.
 */
export interface ColumnDefinition {
  catalog: string;
  schema: string;
  table: string;
  orgTable: string;
  name: string;
  orgName: string;
  characterSet: number;
  columnLength: number;
  type: number;
  flags: number;
  decimals: number;
}

export function parseColumnDefinition(payload: Buffer): ColumnDefinition {
  const r = new Reader(payload);
  const column: ColumnDefinition = {
    catalog: r.lenencString('catalog'),
    schema: r.lenencString('schema'),
    table: r.lenencString('table'),
    orgTable: r.lenencString('org_table'),
    name: r.lenencString('name'),
    orgName: r.lenencString('org_name'),
    characterSet: 0,
    columnLength: 0,
    type: 0,
    flags: 0,
    decimals: 0,
  };
  const fixed = r.lenenc('fixed fields length');
  if (fixed < 0x0a) {
    throw new MysqlProtocolError('MYSQL_BAD_VALUE', `column definition fixed length ${fixed}`);
  }
  const f = new Reader(r.bytes(fixed, 'fixed fields'));
  column.characterSet = f.int2('character set');
  column.columnLength = f.int4('column length');
  column.type = f.int1('type');
  column.flags = f.int2('flags');
  column.decimals = f.int1('decimals');
  // What follows (a COM_FIELD_LIST default value) is not needed here.
  return column;
}

export function buildColumnDefinition(c: ColumnDefinition, sequenceId: number): Buffer {
  const w = new Writer();
  w.start(sequenceId)
    .lenencString(c.catalog)
    .lenencString(c.schema)
    .lenencString(c.table)
    .lenencString(c.orgTable)
    .lenencString(c.name)
    .lenencString(c.orgName)
    .lenenc(0x0c)
    .int2(c.characterSet)
    .int4(c.columnLength)
    .int1(c.type)
    .int2(c.flags)
    .int1(c.decimals)
    .zeros(2)
    .end();
  return w.flush();
}
