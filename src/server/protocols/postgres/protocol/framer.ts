import { StartupCode } from './codes.js';
import { PgProtocolError } from './errors.js';

/**
 * One whole message located in a buffer: bytes `[start, end)` of `buffer` are
 * the message exactly as it arrived (type byte, length, body), so a proxy can
 * forward it without re-encoding; the body is `[bodyStart, end)`.
 *
 * Consecutive frames from one `push()` usually share `buffer` and are
 * adjacent, so a run of them can be forwarded as one
 * `buffer.subarray(first.start, last.end)`.
 */
export interface Frame {
  /** The type byte, or 0 for an untyped start-up-phase packet. */
  readonly code: number;
  readonly buffer: Buffer;
  readonly start: number;
  readonly bodyStart: number;
  readonly end: number;
}

export interface FramerOptions {
  /**
   * True for the client→server direction of a new connection: the first
   * packets (SSLRequest, GSSENCRequest, StartupMessage, CancelRequest) carry no
   * type byte. The framer leaves start-up mode after a packet that is neither
   * SSLRequest nor GSSENCRequest.
   */
  startup?: boolean;
  /** Largest typed message accepted, type byte and length included. Default 64 MiB. */
  maxMessageBytes?: number;
  /** Largest start-up packet accepted; PostgreSQL itself allows 10 000 bytes. */
  maxStartupBytes?: number;
}

export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
export const DEFAULT_MAX_STARTUP_BYTES = 10_000;
/** A start-up packet holds at least its length and its Int32 code. */
const MIN_STARTUP_LENGTH = 8;

/** The bytes of a frame exactly as received (a view, not a copy). */
export function frameBytes(frame: Frame): Buffer {
  return frame.buffer.subarray(frame.start, frame.end);
}

/** The body of a frame, after type byte and length (a view, not a copy). */
export function frameBody(frame: Frame): Buffer {
  return frame.buffer.subarray(frame.bodyStart, frame.end);
}

/**
 * Cuts a byte stream into whole messages without decoding them.
 *
 * Frames that lie wholly inside a chunk point into that chunk; only a message
 * that straddles chunks is copied, once, into a buffer of exactly its size
 * (allocated when its length is known, after the size check). The caller must
 * not reuse a chunk's memory while it still holds frames over it.
 */
export class Framer {
  private startup: boolean;
  private readonly maxMessageBytes: number;
  private readonly maxStartupBytes: number;
  /** Header bytes of a message whose header itself straddles chunks. */
  private readonly head = Buffer.alloc(5);
  private headFilled = 0;
  /** The straddling message, sized to its full length once the header is known. */
  private partial: Buffer | null = null;
  private partialFilled = 0;

  constructor(options: FramerOptions = {}) {
    this.startup = options.startup ?? false;
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.maxStartupBytes = options.maxStartupBytes ?? DEFAULT_MAX_STARTUP_BYTES;
  }

  /** True while untyped start-up packets are expected. */
  get inStartup(): boolean {
    return this.startup;
  }

  /** Bytes held for an incomplete message. */
  get bufferedBytes(): number {
    return this.partial ? this.partialFilled : this.headFilled;
  }

  /**
   * Hands over the bytes of an incomplete message and forgets them, so another
   * framer (or a plain relay) can continue the stream where this one stopped.
   */
  takeBuffered(): Buffer | undefined {
    const held = this.partial
      ? this.partial.subarray(0, this.partialFilled)
      : this.headFilled > 0
        ? Buffer.from(this.head.subarray(0, this.headFilled))
        : undefined;
    this.partial = null;
    this.partialFilled = 0;
    this.headFilled = 0;
    return held;
  }

  /** Feeds one chunk; returns the messages it completes, in order. */
  push(chunk: Uint8Array): Frame[] {
    const buf = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const frames: Frame[] = [];
    let pos = 0;
    if (this.partial !== null || this.headFilled > 0) {
      pos = this.continuePartial(buf, frames);
    }
    const len = buf.length;
    while (pos < len) {
      const headerSize = this.startup ? 4 : 5;
      if (len - pos < headerSize) {
        buf.copy(this.head, 0, pos, len);
        this.headFilled = len - pos;
        break;
      }
      const total = this.frameSize(buf, pos, headerSize);
      if (len - pos < total) {
        this.partial = Buffer.allocUnsafe(total);
        this.partialFilled = buf.copy(this.partial, 0, pos, len);
        break;
      }
      frames.push(this.emit(buf, pos, pos + total, headerSize));
      pos += total;
    }
    return frames;
  }

  /** Completes the message held from earlier chunks; returns where `buf` continues. */
  private continuePartial(buf: Buffer, frames: Frame[]): number {
    let pos = 0;
    const headerSize = this.startup ? 4 : 5;
    if (this.partial === null) {
      const take = Math.min(headerSize - this.headFilled, buf.length);
      buf.copy(this.head, this.headFilled, 0, take);
      this.headFilled += take;
      pos = take;
      if (this.headFilled < headerSize) return pos;
      const total = this.frameSize(this.head, 0, headerSize);
      this.partial = Buffer.allocUnsafe(total);
      this.partialFilled = this.head.copy(this.partial, 0, 0, headerSize);
      this.headFilled = 0;
    }
    const partial = this.partial;
    const take = Math.min(partial.length - this.partialFilled, buf.length - pos);
    buf.copy(partial, this.partialFilled, pos, pos + take);
    this.partialFilled += take;
    pos += take;
    if (this.partialFilled === partial.length) {
      this.partial = null;
      this.partialFilled = 0;
      frames.push(this.emit(partial, 0, partial.length, headerSize));
    }
    return pos;
  }

  /** Validates the length at `pos` and returns the whole message's size in bytes. */
  private frameSize(buf: Buffer, pos: number, headerSize: number): number {
    const length = buf.readInt32BE(pos + headerSize - 4);
    if (this.startup) {
      if (length < MIN_STARTUP_LENGTH) {
        throw new PgProtocolError('PG_BAD_LENGTH', `invalid start-up packet length ${length}`);
      }
      if (length > this.maxStartupBytes) {
        throw new PgProtocolError(
          'PG_MESSAGE_TOO_LARGE',
          `start-up packet of ${length} bytes exceeds the limit of ${this.maxStartupBytes}`,
        );
      }
      return length;
    }
    if (length < 4) {
      throw new PgProtocolError(
        'PG_BAD_LENGTH',
        `invalid length ${length} for message type 0x${buf[pos]!.toString(16)}`,
      );
    }
    if (length + 1 > this.maxMessageBytes) {
      throw new PgProtocolError(
        'PG_MESSAGE_TOO_LARGE',
        `message of ${length + 1} bytes exceeds the limit of ${this.maxMessageBytes}`,
      );
    }
    return length + 1;
  }

  private emit(buffer: Buffer, start: number, end: number, headerSize: number): Frame {
    if (!this.startup) {
      return { code: buffer[start]!, buffer, start, bodyStart: start + headerSize, end };
    }
    // SSLRequest and GSSENCRequest are answered with one byte and followed by
    // another start-up packet (or by TLS, which the caller handles); anything
    // else ends the start-up phase.
    const request = buffer.readInt32BE(start + 4);
    if (request !== StartupCode.SSLRequest && request !== StartupCode.GSSENCRequest) {
      this.startup = false;
    }
    return { code: 0, buffer, start, bodyStart: start + headerSize, end };
  }
}
