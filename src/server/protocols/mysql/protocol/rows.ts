import { ColumnType } from './codes.js';
import { MysqlProtocolError } from './errors.js';
import { Reader } from './reader.js';
import { Writer } from './writer.js';

/** One cell of a row: its value's bytes (a view of the payload), or null for NULL. */
export type Cell = Buffer | null;

/**
 * ProtocolText::ResultsetRow: each column a string<lenenc>, or 0xfb for NULL
 * (https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_query_response_text_resultset_row.html).
 */
export function parseTextRow(payload: Buffer, columns: number): Cell[] {
  const r = new Reader(payload);
  const cells: Cell[] = [];
  for (let i = 0; i < columns; i++) cells.push(r.nullableLenencBytes(`column ${i + 1}`));
  r.done('the row');
  return cells;
}

export function buildTextRow(cells: readonly Cell[], sequenceId: number): Buffer {
  const w = new Writer();
  w.start(sequenceId);
  for (const cell of cells) {
    if (cell === null) w.int1(0xfb);
    else w.lenencBytes(cell);
  }
  w.end();
  return w.flush();
}

/**
 * How a binary-protocol value of each type is laid out: a fixed size, a
 * one-byte length (dates and times), or a string<lenenc> (everything else)
 * (https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_binary_resultset.html).
 */
function fixedSize(type: number): number | 'length-byte' | 'lenenc' {
  switch (type) {
    case ColumnType.NULL:
      return 0;
    case ColumnType.TINY:
      return 1;
    case ColumnType.SHORT:
    case ColumnType.YEAR:
      return 2;
    case ColumnType.LONG:
    case ColumnType.INT24:
    case ColumnType.FLOAT:
      return 4;
    case ColumnType.LONGLONG:
    case ColumnType.DOUBLE:
      return 8;
    case ColumnType.DATE:
    case ColumnType.DATETIME:
    case ColumnType.TIMESTAMP:
    case ColumnType.TIME:
      return 'length-byte';
    default:
      return 'lenenc';
  }
}

/** Binary values of these types are strings (string<lenenc>): a redaction can replace them. */
export function isBinaryString(type: number): boolean {
  return fixedSize(type) === 'lenenc';
}

/**
 * ProtocolBinary::ResultsetRow: int<1> 0x00, a NULL bitmap of
 * (columns + 7 + 2) / 8 bytes whose first two bits are unused, then the
 * non-NULL values by their column types.
 */
export function parseBinaryRow(payload: Buffer, types: readonly number[]): Cell[] {
  const r = new Reader(payload);
  if (r.int1('header') !== 0x00) {
    throw new MysqlProtocolError('MYSQL_BAD_VALUE', 'binary row header is not 0x00');
  }
  const bitmap = r.bytes(Math.floor((types.length + 9) / 8), 'NULL bitmap');
  const cells: Cell[] = [];
  for (let i = 0; i < types.length; i++) {
    const bit = i + 2;
    if (bitmap[bit >> 3]! & (1 << (bit & 7))) {
      cells.push(null);
      continue;
    }
    const size = fixedSize(types[i]!);
    const what = `column ${i + 1}`;
    if (size === 'lenenc') cells.push(r.lenencBytes(what));
    else if (size === 'length-byte') {
      const start = r.offset;
      r.skip(r.int1(what), what);
      cells.push(r.buffer.subarray(start, r.offset));
    } else cells.push(r.bytes(size, what));
  }
  r.done('the row');
  return cells;
}

/**
 * A binary row from cells as `parseBinaryRow` returns them: a fixed-size or
 * date cell is written as is (its length byte included), a string cell with
 * its length.
 */
export function buildBinaryRow(
  cells: readonly Cell[],
  types: readonly number[],
  sequenceId: number,
): Buffer {
  const bitmap = Buffer.alloc(Math.floor((types.length + 9) / 8));
  cells.forEach((cell, i) => {
    const bit = i + 2;
    if (cell === null) bitmap[bit >> 3]! |= 1 << (bit & 7);
  });
  const w = new Writer();
  w.start(sequenceId).int1(0).bytes(bitmap);
  cells.forEach((cell, i) => {
    if (cell === null) return;
    if (fixedSize(types[i]!) === 'lenenc') w.lenencBytes(cell);
    else w.bytes(cell);
  });
  w.end();
  return w.flush();
}
