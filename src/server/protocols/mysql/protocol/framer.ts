import { MAX_PAYLOAD } from './codes.js';
import { MysqlProtocolError } from './errors.js';

/**
 * One whole packet: its payload, and its bytes exactly as they arrived
 * (every physical part with its header) so a proxy can forward it without
 * re-encoding. A payload of 0xffffff bytes or more arrives in several
 * physical packets; `payload` is then their parts joined, `sequenceId` the
 * first part's and `lastSequenceId` the last one's.
 */
export interface Packet {
  readonly sequenceId: number;
  readonly lastSequenceId: number;
  readonly payload: Buffer;
  readonly bytes: Buffer;
}

export interface FramerOptions {
  /**
   * The largest payload accepted, all parts together: the gateway's own
   * `max_allowed_packet` toward this peer. Default 64 MiB.
   */
  maxPacketBytes?: number;
}

export const DEFAULT_MAX_PACKET_BYTES = 64 * 1024 * 1024;

/**
 * Cuts a byte stream into whole packets (3-byte little-endian length, 1-byte
 * sequence id, payload) without decoding them
 * (https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_packets.html).
 * A packet inside one chunk is a view of it; one that straddles chunks is
 * copied once. The size limit is checked from each header, before its
 * payload is buffered.
 */
export class Framer {
  private readonly maxPacketBytes: number;
  /** Header bytes of a physical packet whose header itself straddles chunks. */
  private readonly head = Buffer.alloc(4);
  private headFilled = 0;
  /** A straddling physical packet, sized once its header is known. */
  private partial: Buffer | undefined;
  private partialFilled = 0;
  /** Whole physical parts of a split packet, waiting for its last part. */
  private parts: Buffer[] = [];
  private partsPayload = 0;

  constructor(options: FramerOptions = {}) {
    this.maxPacketBytes = options.maxPacketBytes ?? DEFAULT_MAX_PACKET_BYTES;
  }

  /** Bytes held for an incomplete packet. */
  get bufferedBytes(): number {
    return (
      (this.partial ? this.partialFilled : this.headFilled) +
      this.parts.reduce((n, p) => n + p.length, 0)
    );
  }

  /** Feeds one chunk; returns the packets it completes, in order. */
  push(chunk: Uint8Array): Packet[] {
    const buf = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const packets: Packet[] = [];
    let pos = 0;
    if (this.partial || this.headFilled > 0) pos = this.continuePartial(buf, packets);
    while (pos < buf.length) {
      if (buf.length - pos < 4) {
        buf.copy(this.head, 0, pos);
        this.headFilled = buf.length - pos;
        break;
      }
      const total = 4 + this.payloadLength(buf, pos);
      if (buf.length - pos < total) {
        this.partial = Buffer.allocUnsafe(total);
        this.partialFilled = buf.copy(this.partial, 0, pos);
        break;
      }
      this.physical(buf.subarray(pos, pos + total), packets);
      pos += total;
    }
    return packets;
  }

  /** Completes the physical packet held from earlier chunks; returns where `buf` continues. */
  private continuePartial(buf: Buffer, packets: Packet[]): number {
    let pos = 0;
    if (!this.partial) {
      pos = Math.min(4 - this.headFilled, buf.length);
      buf.copy(this.head, this.headFilled, 0, pos);
      this.headFilled += pos;
      if (this.headFilled < 4) return pos;
      this.partial = Buffer.allocUnsafe(4 + this.payloadLength(this.head, 0));
      this.partialFilled = this.head.copy(this.partial, 0);
      this.headFilled = 0;
    }
    const partial = this.partial;
    const take = Math.min(partial.length - this.partialFilled, buf.length - pos);
    buf.copy(partial, this.partialFilled, pos, pos + take);
    this.partialFilled += take;
    pos += take;
    if (this.partialFilled === partial.length) {
      this.partial = undefined;
      this.partialFilled = 0;
      this.physical(partial, packets);
    }
    return pos;
  }

  /** The payload length in the header at `pos`, checked against the limit with the parts before it. */
  private payloadLength(buf: Buffer, pos: number): number {
    const length = buf.readUIntLE(pos, 3);
    if (this.partsPayload + length > this.maxPacketBytes) {
      throw new MysqlProtocolError(
        'MYSQL_PACKET_TOO_LARGE',
        `packet of at least ${this.partsPayload + length} bytes exceeds the gateway's limit of ${this.maxPacketBytes} bytes (max_allowed_packet)`,
      );
    }
    return length;
  }

  /** One whole physical packet: a part of a split packet, or the end of one. */
  private physical(bytes: Buffer, packets: Packet[]): void {
    if (bytes.length - 4 === MAX_PAYLOAD) {
      this.parts.push(bytes);
      this.partsPayload += MAX_PAYLOAD;
      return;
    }
    if (this.parts.length === 0) {
      packets.push({
        sequenceId: bytes[3]!,
        lastSequenceId: bytes[3]!,
        payload: bytes.subarray(4),
        bytes,
      });
      return;
    }
    const parts = [...this.parts, bytes];
    this.parts = [];
    this.partsPayload = 0;
    packets.push({
      sequenceId: parts[0]![3]!,
      lastSequenceId: bytes[3]!,
      payload: Buffer.concat(parts.map((p) => p.subarray(4))),
      bytes: Buffer.concat(parts),
    });
  }
}
