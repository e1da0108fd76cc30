import { PgProtocolError } from './errors.js';

const INITIAL_SIZE = 256;

/**
 * Builds one or more messages into a growing buffer. `startMessage(code)`
 * reserves the type byte and the Int32 length, `endMessage()` back-fills the
 * length (which counts itself but not the type byte). Start-up packets have no
 * type byte: `startMessage()` without a code.
 */
export class Writer {
  private buf: Buffer;
  private pos = 0;
  private lengthAt = -1;

  constructor(size = INITIAL_SIZE) {
    this.buf = Buffer.allocUnsafe(Math.max(16, size));
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  startMessage(code?: number): this {
    if (this.lengthAt !== -1) throw new Error('Writer: startMessage() before endMessage()');
    this.ensure(5);
    if (code !== undefined) this.buf[this.pos++] = code;
    this.lengthAt = this.pos;
    this.pos += 4;
    return this;
  }

  endMessage(): this {
    if (this.lengthAt === -1) throw new Error('Writer: endMessage() without startMessage()');
    this.buf.writeInt32BE(this.pos - this.lengthAt, this.lengthAt);
    this.lengthAt = -1;
    return this;
  }

  byte(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
    return this;
  }

  int16(v: number): this {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }

  int32(v: number): this {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }

  uint32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }

  /** A UTF-8 string and its NUL terminator. A NUL inside would split the field, so it is refused. */
  cstring(s: string): this {
    if (s.includes('\0')) throw new PgProtocolError('PG_BAD_STRING', 'string holds a NUL byte');
    const n = Buffer.byteLength(s, 'utf8');
    this.ensure(n + 1);
    this.buf.write(s, this.pos, n, 'utf8');
    this.pos += n;
    this.buf[this.pos++] = 0;
    return this;
  }

  /** A UTF-8 string with no terminator. */
  string(s: string): this {
    const n = Buffer.byteLength(s, 'utf8');
    this.ensure(n);
    this.buf.write(s, this.pos, n, 'utf8');
    this.pos += n;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.byteLength);
    this.buf.set(b, this.pos);
    this.pos += b.byteLength;
    return this;
  }

  /** Int32 length then the bytes; null is written as length -1. */
  nullableBytes(b: Uint8Array | null): this {
    if (b === null) return this.int32(-1);
    return this.int32(b.byteLength).bytes(b);
  }

  get length(): number {
    return this.pos;
  }

  /** Returns what was written and starts afresh; the result is never overwritten by later writes. */
  flush(): Buffer {
    if (this.lengthAt !== -1) throw new Error('Writer: flush() inside a message');
    const out = this.buf.subarray(0, this.pos);
    this.buf = Buffer.allocUnsafe(Math.max(INITIAL_SIZE, Math.min(this.buf.length, 64 * 1024)));
    this.pos = 0;
    return out;
  }
}
