import { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import {
  CLOSE_REASONS,
  TunnelClosedError,
  decodeCloseReason,
  encodeCloseReason,
  type CloseReasonName,
} from './close-reason.js';
import { decodeControl, encodeControl } from './control.js';
import { MuxFramingError, decodeMuxFrames, encodeMuxFrames, type MuxFrame } from './mux-frame.js';

export interface MultiplexerOptions {
  /** `client` opens streams (`hoop connect`); `gateway` accepts them. */
  role: 'client' | 'gateway';
  /**
   * Streams open at once on this tunnel. The gateway closes a tunnel whose
   * client opens more with `stream_limit`; the client refuses to open more
   * (default 1024).
   */
  maxStreams?: number;
  /**
   * Bytes each side may send on a stream before the receiver grants more
   * (the initial window, and the most a slow reader's stream holds in the
   * receiver). Both ends must agree; data beyond it closes the tunnel with
   * `window_exceeded` (default 256 KiB).
   */
  windowBytes?: number;
  /** Ping the peer this often; a whole interval without a frame or pong closes the tunnel with `keepalive_timeout`. 0 disables. */
  pingIntervalMs?: number;
  /** The reason when the peer goes without a close frame. */
  vanished?: 'client_vanished' | 'gateway_vanished';
}

export const DEFAULT_MAX_STREAMS = 1024;
const EMPTY = Buffer.alloc(0);
export const DEFAULT_STREAM_WINDOW_BYTES = 256 * 1024;
/** The largest data frame sent or accepted; a message of whole frames stays within the smallest `tunnel.maxFrameBytes` (64 KiB). */
export const MAX_DATA_BYTES = 32 * 1024;
/** Frames of one turn are sent in messages of about this size. */
const MESSAGE_BYTES = 48 * 1024;

/**
 * Many streams over one tunnel WebSocket (docs/tunnel-framing.md). Each
 * stream is a {@link MuxStream}, a Duplex with its own half-close, close
 * reason and flow control: a receiver grants its peer a window of bytes and
 * more as its reader reads, so one slow reader holds back its own stream
 * only. Frames of one event-loop turn, of every stream, leave as one
 * WebSocket message.
 *
 * A frame that breaks the protocol (a stream never opened, a frame after
 * the peer's close, too many streams, data beyond the window, a malformed
 * frame) closes the whole tunnel with a stable reason; the peer's other
 * tunnels are not affected.
 *
 * Events: `stream` (gateway: a stream the client opened), `token` (a
 * refreshed bearer token, also re-emitted on every stream), `close` with
 * the tunnel's {@link TunnelClosedError}.
 */
export class Multiplexer extends EventEmitter {
  private readonly streams = new Map<number, MuxStream>();
  /** Streams we closed whose peer has not answered with its close yet: its frames in flight are dropped. */
  private readonly closing = new Set<number>();
  private readonly maxStreams: number;
  readonly windowBytes: number;
  private readonly vanished: 'client_vanished' | 'gateway_vanished';
  private nextId = 1;
  /** The highest id the peer opened: a frame for a higher one names a stream never opened. */
  private highestOpened = 0;
  private outgoing: MuxFrame[] = [];
  private flushScheduled = false;
  private pingTimer: NodeJS.Timeout | undefined;
  private heardFromPeer = true;
  private closedWith: TunnelClosedError | undefined;

  constructor(
    private readonly ws: WebSocket,
    private readonly options: MultiplexerOptions,
  ) {
    super();
    this.maxStreams = options.maxStreams ?? DEFAULT_MAX_STREAMS;
    this.windowBytes = options.windowBytes ?? DEFAULT_STREAM_WINDOW_BYTES;
    this.vanished = options.vanished ?? 'client_vanished';
    ws.binaryType = 'nodebuffer';
    ws.on('message', this.onMessage);
    ws.on('close', this.onClose);
    ws.on('error', this.onError);
    ws.on('pong', this.onAlive);
    ws.on('ping', this.onAlive);
    if (ws.isPaused) ws.resume();
    const interval = options.pingIntervalMs ?? 30_000;
    if (interval > 0) {
      this.pingTimer = setInterval(this.onPingTimer, interval);
      this.pingTimer.unref();
    }
  }

  /** Streams open now. */
  get size(): number {
    return this.streams.size;
  }

  /** Whether the tunnel has closed (no stream can be opened). */
  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  /** Opens a stream (client side). Throws when the tunnel is closed or `maxStreams` are open. */
  open(): MuxStream {
    if (this.options.role !== 'client') throw new Error('only the client opens streams');
    if (this.closedWith) throw this.closedWith;
    if (this.streams.size >= this.maxStreams)
      throw new TunnelClosedError('stream_limit', `${this.maxStreams} streams are open`);
    const id = this.nextId++;
    const stream = new MuxStream(this, id, this.windowBytes);
    this.streams.set(id, stream);
    this.send({ type: 'open', stream: id });
    return stream;
  }

  /** Hands the peer a refreshed bearer token (the gateway checks it for every stream). */
  sendToken(token: string): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(encodeControl({ type: 'token', token }));
  }

  /** Closes the tunnel and every stream on it with `reason`. */
  close(reason: CloseReasonName, detail?: string): void {
    this.fail(new TunnelClosedError(reason, detail));
  }

  // ---- used by MuxStream ----

  /** @internal Queues a frame; the frames of one turn leave together. */
  send(frame: MuxFrame): void {
    if (this.closedWith) return;
    this.outgoing.push(frame);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // setImmediate, not nextTick: the replies of many streams read in one
      // poll phase (one per target socket) join one message.
      setImmediate(this.flush);
    }
  }

  /** @internal The stream is gone on our side: tell the peer, unless it closed first. */
  streamClosed(stream: MuxStream, reason: CloseReasonName, detail?: string): void {
    if (this.streams.get(stream.id) !== stream) return;
    this.streams.delete(stream.id);
    if (stream.peerClosed) return;
    this.closing.add(stream.id);
    this.send(
      detail === undefined
        ? { type: 'close', stream: stream.id, reason }
        : { type: 'close', stream: stream.id, reason, detail },
    );
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    const frames = this.outgoing;
    if (frames.length === 0) return;
    this.outgoing = [];
    if (this.ws.readyState !== this.ws.OPEN) return;
    let start = 0;
    let bytes = 0;
    for (let i = 0; i < frames.length; i++) {
      const frame = frames[i]!;
      bytes += 9 + (frame.type === 'data' ? frame.data.length : 16);
      if (bytes >= MESSAGE_BYTES || i === frames.length - 1) {
        this.ws.send(encodeMuxFrames(frames.slice(start, i + 1)), { binary: true });
        start = i + 1;
        bytes = 0;
      }
    }
  };

  private readonly onMessage = (data: Buffer, isBinary: boolean): void => {
    this.heardFromPeer = true;
    if (!isBinary) {
      let message;
      try {
        message = decodeControl(data);
      } catch (error) {
        this.close('protocol_error', (error as Error).message);
        return;
      }
      if (message.type !== 'token') {
        this.close('protocol_error', `control message ${message.type} on a multiplexed tunnel`);
        return;
      }
      this.emit('token', message.token);
      for (const stream of this.streams.values()) stream.emit('token', message.token);
      return;
    }
    let frames: MuxFrame[];
    try {
      frames = decodeMuxFrames(data, MAX_DATA_BYTES);
    } catch (error) {
      if (!(error instanceof MuxFramingError)) throw error;
      this.close('protocol_error', error.message);
      return;
    }
    for (const frame of frames) {
      this.onFrame(frame);
      if (this.closedWith) return;
    }
  };

  private onFrame(frame: MuxFrame): void {
    if (frame.type === 'open') {
      this.onOpen(frame.stream);
      return;
    }
    const stream = this.streams.get(frame.stream);
    if (!stream) {
      if (this.closing.has(frame.stream)) {
        // Sent before the peer saw our close: dropped; its close ends the stream's id.
        if (frame.type === 'close') this.closing.delete(frame.stream);
        return;
      }
      const never =
        this.options.role === 'gateway'
          ? frame.stream > this.highestOpened
          : frame.stream >= this.nextId;
      this.close(
        'unknown_stream',
        never ? `stream ${frame.stream} was never opened` : `stream ${frame.stream} is closed`,
      );
      return;
    }
    switch (frame.type) {
      case 'data':
        if (!stream.receive(frame.data)) {
          this.close(
            stream.remoteEnded ? 'protocol_error' : 'window_exceeded',
            stream.remoteEnded
              ? `data after eof on stream ${stream.id}`
              : `${frame.data.length} bytes on stream ${stream.id} beyond its window`,
          );
        }
        return;
      case 'eof':
        stream.receiveEof();
        return;
      case 'window':
        if (!stream.grant(frame.increment))
          this.close('protocol_error', `window of stream ${stream.id} past 2^32 bytes`);
        return;
      case 'close':
        // The peer closed first: answer with ours so it may drop the id, then end the stream.
        this.streams.delete(stream.id);
        stream.peerClosed = true;
        this.send({ type: 'close', stream: stream.id, reason: 'done' });
        stream.receiveClose(frame.reason, frame.detail);
        return;
    }
  }

  private onOpen(id: number): void {
    if (this.options.role !== 'gateway') {
      this.close('protocol_error', 'the gateway opened a stream');
      return;
    }
    if (id <= this.highestOpened) {
      this.close('protocol_error', `stream ${id} opened twice or out of order`);
      return;
    }
    this.highestOpened = id;
    if (this.streams.size >= this.maxStreams) {
      this.close('stream_limit', `more than ${this.maxStreams} streams open`);
      return;
    }
    const stream = new MuxStream(this, id, this.windowBytes);
    this.streams.set(id, stream);
    this.emit('stream', stream);
  }

  private readonly onAlive = (): void => {
    this.heardFromPeer = true;
  };

  private readonly onPingTimer = (): void => {
    if (!this.heardFromPeer) {
      this.close('keepalive_timeout');
      return;
    }
    this.heardFromPeer = false;
    if (this.ws.readyState === this.ws.OPEN) this.ws.ping();
  };

  private readonly onClose = (code: number, reason: Buffer): void => {
    const { name, detail } = decodeCloseReason(code, reason.toString('utf8'), this.vanished);
    this.fail(new TunnelClosedError(name, detail), false);
  };

  private readonly onError = (error: Error & { code?: string }): void => {
    const reason =
      error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ||
      error.code === 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH'
        ? 'frame_too_large'
        : 'protocol_error';
    this.fail(new TunnelClosedError(reason, error.message, { cause: error }));
  };

  /** Ends the tunnel: every stream fails with `error`, and the peer is told why (unless it closed first). */
  private fail(error: TunnelClosedError, tellPeer = true): void {
    if (this.closedWith) return;
    this.flush();
    this.closedWith = error;
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = undefined;
    const state = this.ws.readyState;
    if (tellPeer && (state === this.ws.OPEN || state === this.ws.CONNECTING)) {
      if (error.reason === this.vanished || state === this.ws.CONNECTING) this.ws.terminate();
      else if (error.reason === 'done') this.ws.close(CLOSE_REASONS.done.code, 'done');
      else
        this.ws.close(
          CLOSE_REASONS[error.reason].code,
          encodeCloseReason(error.reason, error.detail),
        );
    }
    const streams = [...this.streams.values()];
    this.streams.clear();
    for (const stream of streams) {
      stream.peerClosed = true;
      stream.destroy(error.reason === 'done' ? undefined : error);
    }
    this.emit('close', error);
  }
}

/**
 * One stream of a {@link Multiplexer}: what a single-stream tunnel's
 * `WebSocketStream` is to its WebSocket. `closeWith` closes this stream
 * alone with a reason its peer sees; `closedCleanly` says whether the peer
 * closed it saying `done`.
 */
export class MuxStream extends Duplex {
  /** Bytes we may still send before the peer grants more. */
  private sendCredit: number;
  /** Bytes the peer may still send us. */
  private receiveCredit: number;
  /** Bytes received on this stream, and bytes granted back to the peer beyond the first window. */
  private received = 0;
  private granted = 0;
  private pending: { chunk: Buffer; callback: (error?: Error | null) => void } | undefined;
  remoteEnded = false;
  /** @internal The peer's close arrived (or the tunnel ended): nothing more is sent for this stream. */
  peerClosed = false;
  private cleanClose = false;

  /** @internal */
  constructor(
    private readonly mux: Multiplexer,
    readonly id: number,
    private readonly window: number,
  ) {
    super({ allowHalfOpen: true, readableHighWaterMark: window, writableHighWaterMark: window });
    this.sendCredit = window;
    this.receiveCredit = window;
  }

  /** Whether the peer closed this stream deliberately (`done`). */
  get closedCleanly(): boolean {
    return this.cleanClose;
  }

  /** Closes this stream with a reason the peer sees and records. */
  closeWith(reason: CloseReasonName, detail?: string): void {
    this.destroy(new TunnelClosedError(reason, detail));
  }

  /** @internal False when the data exceeds what we granted, or follows the peer's eof. */
  receive(data: Buffer): boolean {
    if (this.remoteEnded || data.length > this.receiveCredit) return false;
    this.receiveCredit -= data.length;
    this.received += data.length;
    this.push(data);
    return true;
  }

  /** @internal */
  receiveEof(): void {
    if (this.remoteEnded) return;
    this.remoteEnded = true;
    this.push(null);
  }

  /** @internal False when the window would pass 2^32 bytes. */
  grant(increment: number): boolean {
    if (this.sendCredit + increment > 0xffff_ffff) return false;
    this.sendCredit += increment;
    this.sendPending();
    return true;
  }

  /** @internal The peer closed the stream: a clean `done` ends it, anything else fails it. */
  receiveClose(reason: CloseReasonName, detail?: string): void {
    if (reason === 'done' || reason === 'client_closed' || reason === 'target_closed') {
      this.cleanClose = true;
      if (!this.remoteEnded) {
        this.remoteEnded = true;
        this.push(null);
      }
      this.releasePending(new TunnelClosedError('done'));
      if (!this.writableFinished) this.destroy();
      return;
    }
    this.destroy(new TunnelClosedError(reason, detail));
  }

  override _read(): void {
    // Grant back what the reader has taken out of our buffer (so at most a
    // window waits unread here), in steps of a quarter window so that a busy
    // stream does not send a grant per frame. A sender that used its whole
    // window has left a whole window to grant once the reader took it.
    const taken = this.received - this.readableLength - this.granted;
    if (taken >= this.window / 4 && !this.peerClosed && !this.mux.closed) {
      this.granted += taken;
      this.receiveCredit += taken;
      this.mux.send({ type: 'window', stream: this.id, increment: taken });
    }
    // Data comes when the peer sends it, not on request: an empty push ends
    // this read, so the next read() asks again (and grants what it took).
    if (!this.remoteEnded) this.push(EMPTY);
  }

  override _write(
    chunk: Buffer,
    _encoding: BufferEncoding,
    callback: (error?: Error | null) => void,
  ): void {
    if (this.peerClosed || this.mux.closed) {
      callback(new TunnelClosedError('done', 'the stream is closed'));
      return;
    }
    this.pending = { chunk, callback };
    this.sendPending();
  }

  /** Sends as much of the pending chunk as the window allows; its callback runs once all of it is queued. */
  private sendPending(): void {
    const pending = this.pending;
    if (!pending) return;
    while (pending.chunk.length > 0 && this.sendCredit > 0) {
      const size = Math.min(pending.chunk.length, this.sendCredit, MAX_DATA_BYTES);
      this.mux.send({ type: 'data', stream: this.id, data: pending.chunk.subarray(0, size) });
      this.sendCredit -= size;
      pending.chunk = pending.chunk.subarray(size);
    }
    if (pending.chunk.length === 0) this.releasePending();
  }

  private releasePending(error?: Error): void {
    const pending = this.pending;
    this.pending = undefined;
    pending?.callback(error ?? null);
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (!this.peerClosed) this.mux.send({ type: 'eof', stream: this.id });
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.releasePending(error ?? undefined);
    if (error instanceof TunnelClosedError) this.mux.streamClosed(this, error.reason, error.detail);
    else if (error) this.mux.streamClosed(this, 'internal_error', error.message);
    else this.mux.streamClosed(this, 'done');
    callback(error instanceof TunnelClosedError && error.reason === 'done' ? null : error);
  }
}
