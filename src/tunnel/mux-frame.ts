import {
  CLOSE_REASONS,
  decodeCloseReason,
  encodeCloseReason,
  type CloseReasonName,
} from './close-reason.js';

/**
 * The frames of a multiplexed tunnel (docs/tunnel-framing.md): several
 * streams over one WebSocket. Every binary WebSocket message holds one or
 * more whole frames, each
 *
 * ```
 * Byte1    type      'O' open, 'D' data, 'E' eof, 'C' close, 'W' window
 * UInt32BE stream    the stream's id, 1 … 2^32-1, chosen by the side that opens it
 * UInt32BE length    bytes of payload that follow
 * Byte[n]  payload   by type (below)
 * ```
 *
 * This file only encodes and decodes; it does no I/O.
 */
export const MuxFrameCode = {
  /** 'O': opens a stream (client → gateway); no payload. */
  Open: 0x4f,
  /** 'D': bytes of the stream; counts against the receiver's window. */
  Data: 0x44,
  /** 'E': the sender will send no more data on the stream (TCP's FIN); no payload. */
  Eof: 0x45,
  /** 'C': the stream is closed: UInt16BE code ‖ UTF-8 `reason` or `reason: detail`. */
  Close: 0x43,
  /** 'W': UInt32BE increment: the sender of this frame may be sent that many more data bytes. */
  Window: 0x57,
} as const;

export type MuxFrame =
  | { type: 'open'; stream: number }
  | { type: 'data'; stream: number; data: Buffer }
  | { type: 'eof'; stream: number }
  | { type: 'close'; stream: number; reason: CloseReasonName; detail?: string }
  | { type: 'window'; stream: number; increment: number };

export const MUX_HEADER_BYTES = 9;
const MAX_STREAM_ID = 0xffff_ffff;

/** A frame that breaks the framing: the tunnel closes with `protocol_error` and this detail. */
export class MuxFramingError extends Error {
  override readonly name = 'MuxFramingError';
}

/** The bytes of one frame (or several, concatenated: {@link encodeMuxFrames}). */
export function encodeMuxFrame(frame: MuxFrame): Buffer {
  return encodeMuxFrames([frame]);
}

/** Frames concatenated into one WebSocket message's payload; the writer back-fills each length. */
export function encodeMuxFrames(frames: readonly MuxFrame[]): Buffer {
  let size = 0;
  for (const frame of frames) size += MUX_HEADER_BYTES + payloadBytes(frame);
  const out = Buffer.allocUnsafe(size);
  let pos = 0;
  for (const frame of frames) {
    out[pos] = CODES[frame.type];
    out.writeUInt32BE(frame.stream, pos + 1);
    const start = pos + MUX_HEADER_BYTES;
    let end = start;
    switch (frame.type) {
      case 'data':
        end += frame.data.copy(out, start);
        break;
      case 'window':
        end = out.writeUInt32BE(frame.increment, start);
        break;
      case 'close': {
        end = out.writeUInt16BE(CLOSE_REASONS[frame.reason].code, start);
        end += out.write(encodeCloseReason(frame.reason, frame.detail), end, 'utf8');
        break;
      }
      case 'open':
      case 'eof':
        break;
    }
    out.writeUInt32BE(end - start, pos + 5);
    pos = end;
  }
  return out.subarray(0, pos);
}

/**
 * The frames of one WebSocket message, in order. Throws a
 * {@link MuxFramingError} on a frame cut short, an unknown type, stream id
 * 0, a payload where none belongs, a window of 0, or data longer than
 * `maxDataBytes`.
 */
export function decodeMuxFrames(message: Buffer, maxDataBytes: number): MuxFrame[] {
  const frames: MuxFrame[] = [];
  let pos = 0;
  while (pos < message.length) {
    if (message.length - pos < MUX_HEADER_BYTES)
      throw new MuxFramingError(`a frame header cut short (${message.length - pos} bytes)`);
    const code = message[pos]!;
    const stream = message.readUInt32BE(pos + 1);
    const length = message.readUInt32BE(pos + 5);
    const start = pos + MUX_HEADER_BYTES;
    if (length > message.length - start)
      throw new MuxFramingError(`a frame of ${length} bytes cut short`);
    if (stream === 0) throw new MuxFramingError('stream id 0');
    const payload = message.subarray(start, start + length);
    frames.push(decodeFrame(code, stream, payload, maxDataBytes));
    pos = start + length;
  }
  return frames;
}

function decodeFrame(
  code: number,
  stream: number,
  payload: Buffer,
  maxDataBytes: number,
): MuxFrame {
  switch (code) {
    case MuxFrameCode.Open:
    case MuxFrameCode.Eof:
      if (payload.length !== 0)
        throw new MuxFramingError(`${code === MuxFrameCode.Open ? 'open' : 'eof'} with a payload`);
      return { type: code === MuxFrameCode.Open ? 'open' : 'eof', stream };
    case MuxFrameCode.Data:
      if (payload.length > maxDataBytes)
        throw new MuxFramingError(`data of ${payload.length} bytes exceeds ${maxDataBytes}`);
      return { type: 'data', stream, data: payload };
    case MuxFrameCode.Window: {
      if (payload.length !== 4) throw new MuxFramingError('window without a 4-byte increment');
      const increment = payload.readUInt32BE(0);
      if (increment === 0) throw new MuxFramingError('window of 0');
      return { type: 'window', stream, increment };
    }
    case MuxFrameCode.Close: {
      if (payload.length < 2) throw new MuxFramingError('close without a code');
      const { name, detail } = decodeCloseReason(
        payload.readUInt16BE(0),
        payload.subarray(2).toString('utf8'),
      );
      return detail === undefined
        ? { type: 'close', stream, reason: name }
        : { type: 'close', stream, reason: name, detail };
    }
  }
  throw new MuxFramingError(`unknown frame type 0x${code.toString(16).padStart(2, '0')}`);
}

const CODES = {
  open: MuxFrameCode.Open,
  data: MuxFrameCode.Data,
  eof: MuxFrameCode.Eof,
  close: MuxFrameCode.Close,
  window: MuxFrameCode.Window,
} as const;

function payloadBytes(frame: MuxFrame): number {
  switch (frame.type) {
    case 'data':
      return frame.data.length;
    case 'window':
      return 4;
    case 'close':
      return 2 + Buffer.byteLength(encodeCloseReason(frame.reason, frame.detail));
    case 'open':
    case 'eof':
      return 0;
  }
}

/** Whether `id` can name a stream. */
export function validStreamId(id: number): boolean {
  return Number.isInteger(id) && id >= 1 && id <= MAX_STREAM_ID;
}
