import type { ResultPreview } from '../../enforcement/index.js';
import type { FieldDescription, Frame } from './protocol/index.js';

/** How much of each result a preview keeps. */
export interface PreviewLimits {
  rows: number;
  /** Value bytes, as they were on the wire. */
  bytes: number;
}

/**
 * Collects a result's preview from the frames the client is sent. Only
 * rows within the limits are decoded; past them a row costs a comparison.
 * Values are not interpreted: text-format values are the UTF-8 text
 * PostgreSQL sent, binary-format values (Bind result format 1) are rendered
 * in hex rather than decoded per type, so nothing is guessed.
 */
export class PreviewCapture {
  private columns: string[] = [];
  private formats: readonly number[] | undefined;
  private readonly rows: (string | null)[][] = [];
  private bytes = 0;
  private truncated = false;
  private described = false;
  private full = false;

  /** `resultFormats` from the Bind of an extended-protocol Execute (empty: all text). */
  constructor(
    private readonly limits: PreviewLimits,
    resultFormats?: readonly number[],
  ) {
    this.formats = resultFormats;
    this.full = limits.rows === 0 || limits.bytes === 0;
  }

  /** A RowDescription's fields: name the columns of the (first) result. */
  describe(fields: readonly FieldDescription[]): void {
    if (this.described) {
      // A second result set of one simple Query: the preview keeps the first.
      if (this.rows.length > 0) this.full = true;
      return;
    }
    this.described = true;
    this.columns = fields.map((field) => field.name);
    // Describe on a portal and a simple Query report the real formats; Bind's win when given.
    if (this.formats === undefined) this.formats = fields.map((field) => field.format);
  }

  /** A DataRow as sent to the client. */
  row(frame: Frame): void {
    if (this.full) {
      this.truncated = true;
      return;
    }
    if (this.rows.length >= this.limits.rows) {
      this.full = true;
      this.truncated = true;
      return;
    }
    const buf = frame.buffer;
    const end = frame.end;
    let pos = frame.bodyStart;
    const count = buf.readInt16BE(pos);
    pos += 2;
    const values = new Array<string | null>(count);
    let size = 0;
    for (let i = 0; i < count; i++) {
      const length = buf.readInt32BE(pos);
      pos += 4;
      if (length < 0) {
        values[i] = null;
        continue;
      }
      if (pos + length > end) return;
      size += length;
      values[i] = this.binary(i)
        ? `\\x${buf.toString('hex', pos, pos + length)}`
        : buf.toString('utf8', pos, pos + length);
      pos += length;
    }
    if (this.bytes + size > this.limits.bytes) {
      this.full = true;
      this.truncated = true;
      return;
    }
    this.bytes += size;
    this.rows.push(values);
  }

  /** The preview, or undefined when the statement returned no rows and no columns. */
  result(): ResultPreview | undefined {
    if (!this.described && this.rows.length === 0) return undefined;
    return { columns: this.columns, rows: this.rows, truncated: this.truncated };
  }

  private binary(column: number): boolean {
    const formats = this.formats;
    if (!formats || formats.length === 0) return false;
    return (formats.length === 1 ? formats[0] : formats[column]) === 1;
  }
}

/** A whole message in a buffer of its own (a rewritten DataRow, a swapped ErrorResponse) as a frame. */
export function frameOf(bytes: Buffer): Frame {
  return { code: bytes[0] ?? 0, buffer: bytes, start: 0, bodyStart: 5, end: bytes.length };
}
