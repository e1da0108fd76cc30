import { isUtf8 } from 'node:buffer';
import { PgProtocolError } from './errors.js';

/** Makes a Buffer over the same memory as `bytes` (no copy), honouring its byteOffset. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Reads big-endian fields from one message body. Every read is bounds-checked
 * against `end`, so a lying count or length becomes a PgProtocolError, never a
 * RangeError or a read into the next message. Byte fields come back as
 * `subarray` views of the input: nothing is copied.
 */
export class Reader {
  readonly buffer: Buffer;
  offset: number;
  readonly end: number;

  constructor(bytes: Uint8Array, start = 0, end = bytes.byteLength) {
    this.buffer = asBuffer(bytes);
    if (start < 0 || end > this.buffer.length || start > end) {
      throw new RangeError(`Reader bounds ${start}..${end} outside 0..${this.buffer.length}`);
    }
    this.offset = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  private need(n: number, what: string): void {
    if (this.end - this.offset < n) {
      throw new PgProtocolError(
        'PG_TRUNCATED',
        `message ends before its ${what} (${n} bytes needed, ${this.end - this.offset} left)`,
      );
    }
  }

  byte(what = 'byte'): number {
    this.need(1, what);
    return this.buffer[this.offset++]!;
  }

  int16(what = 'Int16'): number {
    this.need(2, what);
    const v = this.buffer.readInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  int32(what = 'Int32'): number {
    this.need(4, what);
    const v = this.buffer.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  /** An Int32 holding an unsigned value such as an OID. */
  uint32(what = 'OID'): number {
    this.need(4, what);
    const v = this.buffer.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  /** A NUL-terminated UTF-8 string. */
  cstring(what = 'String'): string {
    const nul = this.buffer.indexOf(0, this.offset);
    if (nul === -1 || nul >= this.end) {
      throw new PgProtocolError('PG_TRUNCATED', `message ends inside a ${what} (no NUL)`);
    }
    const s = this.buffer.toString('utf8', this.offset, nul);
    this.offset = nul + 1;
    return s;
  }

  /**
   * A NUL-terminated string that should be UTF-8: its text (invalid
   * sequences decoded as U+FFFD) and whether its bytes were valid UTF-8.
   */
  cstringUtf8(what = 'String'): { text: string; valid: boolean } {
    const start = this.offset;
    const text = this.cstring(what);
    return { text, valid: isUtf8(this.buffer.subarray(start, this.offset - 1)) };
  }

  /** `n` bytes as a view of the input. */
  bytes(n: number, what = 'Byte(n)'): Buffer {
    if (n < 0) throw new PgProtocolError('PG_BAD_VALUE', `negative length ${n} for ${what}`);
    this.need(n, what);
    const v = this.buffer.subarray(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }

  /** An Int32 length then that many bytes; length -1 means NULL. */
  nullableBytes(what = 'value'): Buffer | null {
    const n = this.int32(`${what} length`);
    if (n === -1) return null;
    return this.bytes(n, what);
  }

  /** Everything up to the end of the message, as a view. */
  rest(): Buffer {
    const v = this.buffer.subarray(this.offset, this.end);
    this.offset = this.end;
    return v;
  }

  /** An Int16 count, refused if negative. */
  count(what: string): number {
    const n = this.int16(`${what} count`);
    if (n < 0) throw new PgProtocolError('PG_BAD_VALUE', `negative ${what} count ${n}`);
    return n;
  }

  /** Asserts that the message has been read to its last byte. */
  done(what: string): void {
    if (this.offset !== this.end) {
      throw new PgProtocolError(
        'PG_TRAILING_BYTES',
        `${this.end - this.offset} unexpected bytes after ${what}`,
      );
    }
  }
}
