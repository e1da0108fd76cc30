import { MAX_PAYLOAD } from './codes.js';

const INITIAL_SIZE = 256;

/**
 * Builds packets into a growing buffer. `start(sequenceId)` reserves the
 * 4-byte header, `end()` back-fills the payload length; a payload longer
 * than 0xffffff is split into physical packets there, each with the next
 * sequence id, as the protocol requires
 * (https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_packets.html).
 */
export class Writer {
  private buf: Buffer;
  private pos = 0;
  private headerAt = -1;
  private sequenceId = 0;

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

  start(sequenceId: number): this {
    if (this.headerAt !== -1) throw new Error('Writer: start() before end()');
    this.ensure(4);
    this.headerAt = this.pos;
    this.sequenceId = sequenceId & 0xff;
    this.pos += 4;
    return this;
  }

  /** Ends the packet; returns the sequence id the next packet of the exchange takes. */
  end(): number {
    if (this.headerAt === -1) throw new Error('Writer: end() without start()');
    const payload = this.pos - this.headerAt - 4;
    let sequenceId = this.sequenceId;
    if (payload < MAX_PAYLOAD) {
      this.buf.writeUIntLE(payload, this.headerAt, 3);
      this.buf[this.headerAt + 3] = sequenceId;
      sequenceId = (sequenceId + 1) & 0xff;
    } else {
      // Split: 0xffffff-byte parts, then a shorter (possibly empty) last one.
      const body = Buffer.from(this.buf.subarray(this.headerAt + 4, this.pos));
      this.pos = this.headerAt;
      let at = 0;
      for (;;) {
        const n = Math.min(MAX_PAYLOAD, body.length - at);
        this.ensure(4 + n);
        this.buf.writeUIntLE(n, this.pos, 3);
        this.buf[this.pos + 3] = sequenceId;
        sequenceId = (sequenceId + 1) & 0xff;
        body.copy(this.buf, this.pos + 4, at, at + n);
        this.pos += 4 + n;
        at += n;
        if (n < MAX_PAYLOAD) break;
      }
    }
    this.headerAt = -1;
    return sequenceId;
  }

  int1(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
    return this;
  }

  int2(v: number): this {
    this.ensure(2);
    this.buf.writeUInt16LE(v & 0xffff, this.pos);
    this.pos += 2;
    return this;
  }

  int3(v: number): this {
    this.ensure(3);
    this.buf.writeUIntLE(v, this.pos, 3);
    this.pos += 3;
    return this;
  }

  int4(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32LE(v >>> 0, this.pos);
    this.pos += 4;
    return this;
  }

  int8(v: number): this {
    this.ensure(8);
    this.buf.writeBigUInt64LE(BigInt(v), this.pos);
    this.pos += 8;
    return this;
  }

  lenenc(v: number): this {
    if (v < 0xfb) return this.int1(v);
    if (v < 0x10000) return this.int1(0xfc).int2(v);
    if (v < 0x1000000) return this.int1(0xfd).int3(v);
    return this.int1(0xfe).int8(v);
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.byteLength);
    this.buf.set(b, this.pos);
    this.pos += b.byteLength;
    return this;
  }

  zeros(n: number): this {
    this.ensure(n);
    this.buf.fill(0, this.pos, this.pos + n);
    this.pos += n;
    return this;
  }

  string(s: string): this {
    const n = Buffer.byteLength(s, 'utf8');
    this.ensure(n);
    this.buf.write(s, this.pos, n, 'utf8');
    this.pos += n;
    return this;
  }

  cstring(s: string): this {
    return this.string(s).int1(0);
  }

  lenencBytes(b: Uint8Array): this {
    return this.lenenc(b.byteLength).bytes(b);
  }

  lenencString(s: string): this {
    return this.lenencBytes(Buffer.from(s, 'utf8'));
  }

  get length(): number {
    return this.pos;
  }

  /** What was written, as a buffer no later write touches. */
  flush(): Buffer {
    if (this.headerAt !== -1) throw new Error('Writer: flush() inside a packet');
    const out = this.buf.subarray(0, this.pos);
    this.buf = Buffer.allocUnsafe(INITIAL_SIZE);
    this.pos = 0;
    return out;
  }
}
