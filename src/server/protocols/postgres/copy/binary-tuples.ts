import { PgProtocolError } from '../protocol/index.js';

/*
 * COPY's binary format (sql-copy.html, "Binary Format"):
 *   header:  11-byte signature `PGCOPY\n\377\r\n\0`, Int32 flags (bit 16: OIDs
 *            included; bits 0-15 must be zero), Int32 extension length, extension bytes.
 *   tuple:   Int16 field count, then per field Int32 length (-1 = NULL) and the bytes.
 *   trailer: Int16 -1.
 */

export const BINARY_SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const HEADER_FIXED = BINARY_SIGNATURE.length + 8;
const OIDS_FLAG = 1 << 16;

/**
 * The end of the binary header starting at `start`, or -1 when more bytes
 * are needed.
 *
 * @throws PgProtocolError `PG_BAD_VALUE` on a wrong signature or flags this reader cannot follow.
 */
export function binaryHeaderEnd(buf: Buffer, start: number, end: number): number {
  if (end - start < HEADER_FIXED) return -1;
  if (
    buf.compare(
      BINARY_SIGNATURE,
      0,
      BINARY_SIGNATURE.length,
      start,
      start + BINARY_SIGNATURE.length,
    ) !== 0
  ) {
    throw new PgProtocolError('PG_BAD_VALUE', 'COPY binary data without its signature');
  }
  const flags = buf.readInt32BE(start + BINARY_SIGNATURE.length);
  // Unknown critical flags (0-15) or an OID column would shift the fields: refuse them.
  if ((flags & 0xffff) !== 0 || (flags & OIDS_FLAG) !== 0) {
    throw new PgProtocolError(
      'PG_BAD_VALUE',
      `COPY binary header flags ${flags} are not supported`,
    );
  }
  const extension = buf.readInt32BE(start + BINARY_SIGNATURE.length + 4);
  if (extension < 0)
    throw new PgProtocolError('PG_BAD_VALUE', 'negative COPY binary header extension');
  const headerEnd = start + HEADER_FIXED + extension;
  return headerEnd <= end ? headerEnd : -1;
}

/** The trailer's field count: the Int16 -1 that ends binary COPY data. */
export const BINARY_TRAILER = -1;

/**
 * Reads the tuple at `start` (not the trailer: check its count first):
 * writes its fields' `[start, end)` pairs to `out` (-1, -1 for NULL) and
 * returns where it ends; -1 when more bytes are needed.
 *
 * @throws PgProtocolError `PG_BAD_VALUE` on a negative count or length other than -1.
 */
export function binaryTuple(buf: Buffer, start: number, end: number, out: number[]): number {
  out.length = 0;
  if (end - start < 2) return -1;
  const count = buf.readInt16BE(start);
  if (count < 0) throw new PgProtocolError('PG_BAD_VALUE', `COPY binary tuple of ${count} fields`);
  let pos = start + 2;
  for (let i = 0; i < count; i++) {
    if (end - pos < 4) return -1;
    const length = buf.readInt32BE(pos);
    pos += 4;
    if (length === -1) {
      out.push(-1, -1);
      continue;
    }
    if (length < 0)
      throw new PgProtocolError('PG_BAD_VALUE', `COPY binary field of ${length} bytes`);
    if (end - pos < length) return -1;
    out.push(pos, pos + length);
    pos += length;
  }
  return pos;
}

/** One tuple in the binary format: field count, then each field's length and bytes (NULL: length -1). */
export function encodeBinaryTuple(values: readonly (Buffer | null)[]): Buffer {
  let size = 2;
  for (const value of values) size += 4 + (value?.length ?? 0);
  const out = Buffer.allocUnsafe(size);
  let pos = out.writeInt16BE(values.length, 0);
  for (const value of values) {
    if (value === null) {
      pos = out.writeInt32BE(-1, pos);
      continue;
    }
    pos = out.writeInt32BE(value.length, pos);
    pos += value.copy(out, pos);
  }
  return out;
}
