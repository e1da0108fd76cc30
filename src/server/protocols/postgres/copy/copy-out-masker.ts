import { PgProtocolError } from '../protocol/index.js';
import type { CellMasker } from '../../../enforcement/index.js';
import {
  BINARY_TRAILER,
  binaryHeaderEnd,
  binaryTuple,
  encodeBinaryTuple,
} from './binary-tuples.js';
import { formatBytes, type CopyFormat, type FormatBytes } from './copy-format.js';
import {
  csvFields,
  csvRowEnd,
  decodeCsv,
  encodeCsv,
  isCsvNull,
  type CsvScan,
} from './csv-fields.js';
import { decodeText, encodeText, isTextNull, textFields, textRowEnd } from './text-fields.js';

export interface CopyOutMaskerOptions {
  /**
   * Most bytes of an unfinished row held while waiting for the rest of it.
   * PostgreSQL sends one row per CopyData, so this only bounds a peer that
   * splits rows. Default 256 MiB.
   */
  maxPendingBytes?: number;
}

const NEWLINE = Buffer.of(0x0a);

/**
 * Masks the rows of one COPY … TO STDOUT, CopyData payload by payload.
 *
 * The protocol does not promise one row per CopyData (§55.2.6), so rows are
 * cut from the byte stream: a row split across payloads is held until its
 * end arrives, and a payload may carry several. Each output payload holds the
 * rows completed so far, re-encoded where a cell changed and byte for byte
 * elsewhere. Cells are given to the masker in the form a text (or, for the
 * binary format, binary) DataRow would carry them, escapes and quotes read.
 */
export class CopyOutMasker {
  private readonly bytes: FormatBytes;
  private readonly maxPending: number;
  private pending: Buffer | undefined;
  /** Text and CSV: the header line is still to come. Binary: the file header is. */
  private beforeFirst: boolean;
  private finished = false;
  private readonly scan: CsvScan = { pos: 0, inQuote: false, lastWasEscape: false };
  private readonly fields: number[] = [];

  constructor(
    private readonly format: CopyFormat,
    private readonly plan: CellMasker,
    /** How many columns each row has (from the Describe of the copied query). */
    private readonly columns: number,
    options: CopyOutMaskerOptions = {},
  ) {
    this.bytes = formatBytes(format);
    this.maxPending = options.maxPendingBytes ?? 256 * 1024 * 1024;
    this.beforeFirst = format.format === 'binary' || format.header;
  }

  /**
   * One CopyData payload in; the payload to send in its place: `undefined`
   * when it is unchanged, an empty Buffer when it only began a row.
   *
   * @throws PgProtocolError `PG_BAD_VALUE` on rows that do not parse or have
   *   the wrong number of columns; `PG_MESSAGE_TOO_LARGE` past `maxPendingBytes`.
   */
  data(payload: Buffer): Buffer | undefined {
    const carried = this.pending;
    const buf = carried ? Buffer.concat([carried, payload]) : payload;
    this.pending = undefined;
    const out: Buffer[] = [];
    let copied = 0;
    let pos = 0;
    for (;;) {
      const row = this.next(buf, pos);
      if (row === undefined) break;
      if (row.replacement) {
        out.push(buf.subarray(copied, pos), row.replacement);
        copied = row.end;
      }
      pos = row.end;
    }
    if (pos < buf.length) {
      if (buf.length - pos > this.maxPending) {
        throw new PgProtocolError(
          'PG_MESSAGE_TOO_LARGE',
          `a COPY row exceeds ${this.maxPending} bytes before its end`,
        );
      }
      // A copy: the rest of the chunk it lies in need not stay alive.
      this.pending = Buffer.from(buf.subarray(pos));
      this.scan.pos -= pos;
    } else this.scan.pos = 0;
    if (!carried && out.length === 0 && pos === buf.length) return undefined;
    out.push(buf.subarray(copied, pos));
    return out.length === 1 ? out[0]! : Buffer.concat(out);
  }

  /**
   * At CopyDone: the data must have ended on a row boundary (and, in the
   * binary format, with its trailer).
   *
   * @throws PgProtocolError `PG_TRUNCATED` otherwise.
   */
  end(): void {
    if (this.pending || (this.format.format === 'binary' && !this.finished)) {
      throw new PgProtocolError('PG_TRUNCATED', 'COPY data ended inside a row');
    }
  }

  /** The row at `pos`: where it ends and, when a cell changed, its new bytes. */
  private next(buf: Buffer, pos: number): { end: number; replacement?: Buffer } | undefined {
    if (pos >= buf.length) return undefined;
    switch (this.format.format) {
      case 'text':
        return this.textRow(buf, pos);
      case 'csv':
        return this.csvRow(buf, pos);
      case 'binary':
        return this.binaryRow(buf, pos);
    }
  }

  private textRow(buf: Buffer, pos: number): { end: number; replacement?: Buffer } | undefined {
    const rowEnd = textRowEnd(buf, Math.max(pos, this.scan.pos));
    if (rowEnd === -1) {
      this.scan.pos = buf.length;
      return undefined;
    }
    this.scan.pos = rowEnd + 1;
    if (this.beforeFirst) {
      this.beforeFirst = false;
      return { end: rowEnd + 1 };
    }
    const fields = this.fields;
    const n = textFields(buf, pos, rowEnd, this.bytes.delimiter, fields);
    this.checkCount(n);
    let values: (Buffer | null | undefined)[] | undefined;
    for (const index of this.plan.columns) {
      if (index >= n) continue;
      const start = fields[2 * index]!;
      const end = fields[2 * index + 1]!;
      if (isTextNull(buf, start, end, this.bytes)) continue;
      const masked = this.plan.maskCell(index, decodeText(buf, start, end));
      if (masked === undefined) continue;
      values ??= new Array<Buffer | null | undefined>(n);
      values[index] = masked;
    }
    if (!values) return { end: rowEnd + 1 };
    const parts: Buffer[] = [];
    const delimiter = Buffer.of(this.bytes.delimiter);
    for (let i = 0; i < n; i++) {
      if (i > 0) parts.push(delimiter);
      const value = values[i];
      if (value === undefined) parts.push(buf.subarray(fields[2 * i], fields[2 * i + 1]));
      else parts.push(value === null ? this.bytes.null : encodeText(value, this.bytes.delimiter));
    }
    parts.push(NEWLINE);
    return { end: rowEnd + 1, replacement: Buffer.concat(parts) };
  }

  private csvRow(buf: Buffer, pos: number): { end: number; replacement?: Buffer } | undefined {
    if (this.scan.pos < pos) this.scan.pos = pos;
    const rowEnd = csvRowEnd(buf, buf.length, this.scan, this.bytes);
    if (rowEnd === -1) return undefined;
    if (this.beforeFirst) {
      this.beforeFirst = false;
      return { end: rowEnd + 1 };
    }
    const fields = csvFields(buf, pos, rowEnd, this.bytes);
    this.checkCount(fields.length);
    let values: (Buffer | null | undefined)[] | undefined;
    for (const index of this.plan.columns) {
      const field = fields[index];
      if (!field || isCsvNull(buf, field, this.bytes)) continue;
      const masked = this.plan.maskCell(index, decodeCsv(buf, field, this.bytes));
      if (masked === undefined) continue;
      values ??= new Array<Buffer | null | undefined>(fields.length);
      values[index] = masked;
    }
    if (!values) return { end: rowEnd + 1 };
    const parts: Buffer[] = [];
    const delimiter = Buffer.of(this.bytes.delimiter);
    fields.forEach((field, i) => {
      if (i > 0) parts.push(delimiter);
      const value = values[i];
      if (value === undefined) parts.push(buf.subarray(field.start, field.end));
      else parts.push(value === null ? this.bytes.null : encodeCsv(value, this.bytes));
    });
    parts.push(NEWLINE);
    return { end: rowEnd + 1, replacement: Buffer.concat(parts) };
  }

  private binaryRow(buf: Buffer, pos: number): { end: number; replacement?: Buffer } | undefined {
    if (this.finished)
      throw new PgProtocolError('PG_TRAILING_BYTES', 'COPY binary data after its trailer');
    if (this.beforeFirst) {
      const headerEnd = binaryHeaderEnd(buf, pos, buf.length);
      if (headerEnd === -1) return undefined;
      this.beforeFirst = false;
      return { end: headerEnd };
    }
    if (buf.length - pos >= 2 && buf.readInt16BE(pos) === BINARY_TRAILER) {
      this.finished = true;
      return { end: pos + 2 };
    }
    const fields = this.fields;
    const tupleEnd = binaryTuple(buf, pos, buf.length, fields);
    if (tupleEnd === -1) return undefined;
    const n = fields.length / 2;
    this.checkCount(n);
    let values: (Buffer | null)[] | undefined;
    for (const index of this.plan.columns) {
      if (index >= n) continue;
      const start = fields[2 * index]!;
      if (start < 0) continue;
      const masked = this.plan.maskCell(index, buf.subarray(start, fields[2 * index + 1]));
      if (masked === undefined) continue;
      values ??= Array.from({ length: n }, (_, i) =>
        fields[2 * i]! < 0 ? null : buf.subarray(fields[2 * i], fields[2 * i + 1]),
      );
      values[index] = masked;
    }
    return values ? { end: tupleEnd, replacement: encodeBinaryTuple(values) } : { end: tupleEnd };
  }

  /** A row whose column count is not the described one would put masks on the wrong columns. */
  private checkCount(n: number): void {
    if (n !== this.columns) {
      throw new PgProtocolError(
        'PG_BAD_VALUE',
        `a COPY row has ${n} columns where ${this.columns} were described`,
      );
    }
  }
}
