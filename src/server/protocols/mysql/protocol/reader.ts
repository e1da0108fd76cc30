import { MysqlProtocolError } from './errors.js';

/**
 * Reads the little-endian fields of one packet payload
 * (https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_dt_integers.html).
 * Every read is bounds-checked against `end`, so a lying length becomes a
 * MysqlProtocolError, never a RangeError. Byte fields are views, not copies.
 */
export class Reader {
  readonly buffer: Buffer;
  offset: number;
  readonly end: number;

  constructor(bytes: Uint8Array, start = 0, end = bytes.byteLength) {
    this.buffer = Buffer.isBuffer(bytes)
      ? bytes
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
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
      throw new MysqlProtocolError(
        'MYSQL_TRUNCATED',
        `packet ends before its ${what} (${n} bytes needed, ${this.end - this.offset} left)`,
      );
    }
  }

  /** The next byte without consuming it. */
  peek(what = 'byte'): number {
    this.need(1, what);
    return this.buffer[this.offset]!;
  }

  int1(what = 'int<1>'): number {
    this.need(1, what);
    return this.buffer[this.offset++]!;
  }

  int2(what = 'int<2>'): number {
    this.need(2, what);
    const v = this.buffer.readUInt16LE(this.offset);
    this.offset += 2;
    return v;
  }

  int3(what = 'int<3>'): number {
    this.need(3, what);
    const v = this.buffer.readUIntLE(this.offset, 3);
    this.offset += 3;
    return v;
  }

  int4(what = 'int<4>'): number {
    this.need(4, what);
    const v = this.buffer.readUInt32LE(this.offset);
    this.offset += 4;
    return v;
  }

  /** An int<8> as a number; values above 2^53 are refused rather than rounded. */
  int8(what = 'int<8>'): number {
    this.need(8, what);
    const v = this.buffer.readBigUInt64LE(this.offset);
    this.offset += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new MysqlProtocolError('MYSQL_BAD_VALUE', `${what} ${v} is too large`);
    }
    return Number(v);
  }

  /**
   * A length-encoded integer: < 0xfb is itself, 0xfc + int<2>, 0xfd +
   * int<3>, 0xfe + int<8>. 0xfb (NULL) and 0xff are not integers.
   */
  lenenc(what = 'int<lenenc>'): number {
    const first = this.int1(what);
    if (first < 0xfb) return first;
    if (first === 0xfc) return this.int2(what);
    if (first === 0xfd) return this.int3(what);
    if (first === 0xfe) return this.int8(what);
    throw new MysqlProtocolError(
      'MYSQL_BAD_VALUE',
      `0x${first.toString(16)} does not start a ${what}`,
    );
  }

  /** A length-encoded string as a view of the input. */
  lenencBytes(what = 'string<lenenc>'): Buffer {
    const n = this.lenenc(`${what} length`);
    return this.bytes(n, what);
  }

  /** A length-encoded string, or null for the NULL marker 0xfb (text rows). */
  nullableLenencBytes(what = 'value'): Buffer | null {
    if (this.peek(what) === 0xfb) {
      this.offset++;
      return null;
    }
    return this.lenencBytes(what);
  }

  lenencString(what = 'string<lenenc>'): string {
    return this.lenencBytes(what).toString('utf8');
  }

  /** A NUL-terminated string. */
  cstring(what = 'string<NUL>'): string {
    return this.cbytes(what).toString('utf8');
  }

  /** A NUL-terminated string's bytes, as a view. */
  cbytes(what = 'string<NUL>'): Buffer {
    const nul = this.buffer.indexOf(0, this.offset);
    if (nul === -1 || nul >= this.end) {
      throw new MysqlProtocolError('MYSQL_TRUNCATED', `packet ends inside a ${what} (no NUL)`);
    }
    const v = this.buffer.subarray(this.offset, nul);
    this.offset = nul + 1;
    return v;
  }

  bytes(n: number, what = 'string<fix>'): Buffer {
    this.need(n, what);
    const v = this.buffer.subarray(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }

  skip(n: number, what = 'filler'): void {
    this.need(n, what);
    this.offset += n;
  }

  /** Everything up to the end of the packet (string<EOF>), as a view. */
  rest(): Buffer {
    const v = this.buffer.subarray(this.offset, this.end);
    this.offset = this.end;
    return v;
  }

  /** Asserts the packet has been read to its last byte. */
  done(what: string): void {
    if (this.offset !== this.end) {
      throw new MysqlProtocolError(
        'MYSQL_BAD_VALUE',
        `${this.end - this.offset} unexpected bytes after ${what}`,
      );
    }
  }
}

/** How many bytes `n` takes as a length-encoded integer. */
export function lenencSize(n: number): number {
  return n < 0xfb ? 1 : n < 0x10000 ? 3 : n < 0x1000000 ? 4 : 9;
}
