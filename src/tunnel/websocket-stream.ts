import { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import {
  CLOSE_REASONS,
  TunnelClosedError,
  decodeCloseReason,
  encodeCloseReason,
} from './close-reason.js';
import { decodeControl, encodeControl, type ControlMessage } from './control.js';

export interface WebSocketStreamOptions {
  /**
   * Ping the peer this often; when a whole interval passes with neither a
   * pong nor any frame, the tunnel closes with `keepalive_timeout`. This
   * detects dead peers without cutting off idle sessions. 0 disables pings.
   * While either end has stopped reading for flow control the check waits:
   * pings and pongs are stuck behind unread data then, not lost.
   */
  pingIntervalMs?: number;
  /**
   * Bytes that may wait in the WebSocket's send queue before writes report
   * backpressure, and bytes that may wait unread before the socket is paused.
   */
  highWaterMark?: number;
  /**
   * The reason when the peer goes without a close frame: `client_vanished`
   * on the gateway, `gateway_vanished` in the CLI.
   */
  vanished?: 'client_vanished' | 'gateway_vanished';
}

const DEFAULT_HIGH_WATER_MARK = 256 * 1024;

/**
 * A Duplex over one tunnel WebSocket: binary frames carry the bytes, a text
 * `eof` frame carries a half-close, and the close frame carries the reason.
 * Backpressure holds both ways: a reader that does not read pauses the
 * WebSocket (and so TCP); a peer that does not read makes `write()` return
 * false once `highWaterMark` bytes are queued.
 *
 * A clean close (both directions ended) sends close code 1000. Destroying the
 * stream with a {@link TunnelClosedError} sends that reason to the peer; a
 * received abnormal close surfaces as a `TunnelClosedError` 'error'.
 */
/** The largest data frame sent: the smallest `tunnel.maxFrameBytes` a gateway may be configured with. */
const MAX_FRAME_BYTES = 64 * 1024;

export class WebSocketStream extends Duplex {
  private readonly ws: WebSocket;
  private readonly highWaterMark: number;
  private readonly vanished: 'client_vanished' | 'gateway_vanished';
  private pingTimer: NodeJS.Timeout | undefined;
  private heardFromPeer = true;
  /** The peer said it stopped reading (a `pause` control message) and has not resumed. */
  private peerPaused = false;
  private remoteEnded = false;
  /** The peer closed the WebSocket saying `done`: whatever was not sent yet, it ended deliberately. */
  private cleanClose = false;
  /** Write (or final) callback waiting for the send queue to drain, or for the peer's close. */
  private pendingWrite: ((error?: Error | null) => void) | undefined;
  /** Bytes written in this turn of the event loop, sent together as one frame when it ends. */
  private readonly outgoing: Buffer[] = [];
  private outgoingBytes = 0;
  private flushScheduled = false;

  constructor(ws: WebSocket, options: WebSocketStreamOptions = {}) {
    const highWaterMark = options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
    super({
      allowHalfOpen: true,
      readableHighWaterMark: highWaterMark,
      writableHighWaterMark: highWaterMark,
    });
    this.ws = ws;
    this.highWaterMark = highWaterMark;
    this.vanished = options.vanished ?? 'client_vanished';
    ws.binaryType = 'nodebuffer';
    ws.on('message', this.onMessage);
    ws.on('close', this.onClose);
    ws.on('error', this.onError);
    ws.on('pong', this.onAlive);
    ws.on('ping', this.onAlive);
    // `dial` hands over a paused WebSocket so that no frame is emitted before
    // these listeners exist; from here on, pausing is ours (backpressure).
    if (ws.isPaused) ws.resume();
    const interval = options.pingIntervalMs ?? 30_000;
    if (interval > 0) {
      this.pingTimer = setInterval(this.onPingTimer, interval);
      this.pingTimer.unref();
    }
  }

  private readonly onAlive = (): void => {
    this.heardFromPeer = true;
  };

  private readonly onPingTimer = (): void => {
    // Silence proves nothing while we do not read (the peer's frames wait
    // unread in TCP) or while the peer does not (our ping waits behind data).
    const canHear = !this.ws.isPaused && !this.peerPaused;
    if (!this.heardFromPeer && canHear) {
      this.destroy(new TunnelClosedError('keepalive_timeout'));
      return;
    }
    this.heardFromPeer = false;
    // Pings go out even then: they keep idle-timeout proxies and NATs open.
    if (this.ws.readyState === this.ws.OPEN) this.ws.ping();
  };

  private readonly onMessage = (data: Buffer, isBinary: boolean): void => {
    this.heardFromPeer = true;
    if (isBinary) {
      if (this.remoteEnded) {
        this.destroy(new TunnelClosedError('protocol_error', 'data after eof'));
      } else if (!this.push(data)) {
        this.pauseReading();
      }
      return;
    }
    let message;
    try {
      message = decodeControl(data);
    } catch (error) {
      this.destroy(new TunnelClosedError('protocol_error', (error as Error).message));
      return;
    }
    switch (message.type) {
      case 'eof':
        if (!this.remoteEnded) {
          this.remoteEnded = true;
          this.push(null);
        }
        break;
      case 'pause':
        this.peerPaused = true;
        break;
      case 'resume':
        this.peerPaused = false;
        break;
      case 'token':
        this.emit('token', message.token);
        break;
    }
  };

  private readonly onClose = (code: number, reasonBuffer: Buffer): void => {
    this.stopPing();
    const { name, detail } = decodeCloseReason(code, reasonBuffer.toString('utf8'), this.vanished);
    if (name === 'done') {
      this.cleanClose = true;
      // A clean close implies eof in whatever direction was still open.
      if (!this.remoteEnded) {
        this.remoteEnded = true;
        this.push(null);
      }
      this.releasePendingWrite(new TunnelClosedError('done'));
      if (!this.writableFinished) this.destroy();
      return;
    }
    this.destroy(new TunnelClosedError(name, detail));
  };

  private readonly onError = (error: Error & { code?: string }): void => {
    // ws reports frames over maxPayload with WS_ERR_UNSUPPORTED_MESSAGE_LENGTH,
    // lengths past 2^53 with WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH (both close
    // code 1009), and other protocol violations with WS_ERR_*; it then closes
    // the socket itself.
    const reason =
      error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ||
      error.code === 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH'
        ? 'frame_too_large'
        : 'protocol_error';
    this.destroy(new TunnelClosedError(reason, error.message, { cause: error }));
  };

  override _read(): void {
    if (!this.ws.isPaused) return;
    this.ws.resume();
    // A fresh keepalive window: what the peer sent meanwhile is read only now.
    this.heardFromPeer = true;
    this.sendControl({ type: 'resume' });
  }

  /** Stops reading the WebSocket until our reader catches up (`_read`), and tells the peer why it will hear nothing. */
  private pauseReading(): void {
    if (this.ws.isPaused || this.ws.readyState !== this.ws.OPEN) return;
    this.ws.pause();
    this.sendControl({ type: 'pause' });
  }

  /** Hands the peer a refreshed bearer token; the receiving side gets a `'token'` event. */
  sendToken(token: string): void {
    this.sendControl({ type: 'token', token });
  }

  private sendControl(message: ControlMessage): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(encodeControl(message));
  }

  override _write(
    chunk: Buffer,
    _encoding: BufferEncoding,
    callback: (error?: Error | null) => void,
  ): void {
    if (this.ws.readyState !== this.ws.OPEN) {
      this.awaitClose(callback);
      return;
    }
    // Writes of one turn of the event loop (a burst of pipelined messages,
    // a response the relay wrote in parts) leave as one frame, so one
    // system call on each hop instead of one per write.
    this.outgoing.push(chunk);
    this.outgoingBytes += chunk.length;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      process.nextTick(this.flush);
    }
    if (this.ws.bufferedAmount + this.outgoingBytes < this.highWaterMark) {
      callback();
      return;
    }
    // Over the mark: finish this write only once it has left, which is
    // what makes a slow peer push back on our source.
    this.pendingWrite = callback;
  }

  /**
   * Sends what this turn wrote. A run larger than any peer's frame limit
   * (tunnel.maxFrameBytes is at least 64 KiB) goes as several frames: a 2 MB
   * query from `hoop exec` is as legitimate as the same bytes read from a
   * local socket in pieces.
   */
  private readonly flush = (): void => {
    this.flushScheduled = false;
    if (this.outgoing.length === 0) return;
    const bytes =
      this.outgoing.length === 1
        ? this.outgoing[0]!
        : Buffer.concat(this.outgoing, this.outgoingBytes);
    this.outgoing.length = 0;
    this.outgoingBytes = 0;
    if (this.ws.readyState !== this.ws.OPEN) return;
    let offset = 0;
    while (bytes.length - offset > MAX_FRAME_BYTES) {
      this.ws.send(bytes.subarray(offset, offset + MAX_FRAME_BYTES), { binary: true });
      offset += MAX_FRAME_BYTES;
    }
    const last = offset === 0 ? bytes : bytes.subarray(offset);
    // A write waiting for the queue to drain is released once this frame has left.
    this.ws.send(last, { binary: true }, this.pendingWrite ? this.onSent : undefined);
  };

  override _final(callback: (error?: Error | null) => void): void {
    this.flush();
    if (this.ws.readyState !== this.ws.OPEN) {
      this.awaitClose(callback);
      return;
    }
    this.pendingWrite = callback;
    this.ws.send(encodeControl({ type: 'eof' }), this.onSent);
  }

  /**
   * A send that failed (`read ECONNRESET` from a killed peer) means the
   * connection broke, and ws emits 'close' next with the reason to report
   * (1006: the peer vanished). So a failure keeps the callback waiting for
   * that, rather than failing with a socket error the relay cannot classify.
   */
  private readonly onSent = (error?: Error): void => {
    if (!error) this.releasePendingWrite();
  };

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.stopPing();
    // What was written before the close goes before it (an ErrorResponse, then the reason).
    this.flush();
    this.releasePendingWrite(error ?? undefined);
    const state = this.ws.readyState;
    if (state === this.ws.OPEN || state === this.ws.CONNECTING) {
      if (error instanceof TunnelClosedError) {
        const { code } = CLOSE_REASONS[error.reason];
        // 1006 cannot be sent; a vanished peer gets nothing.
        if (error.reason === this.vanished || code === 1009 || state === this.ws.CONNECTING)
          this.ws.terminate();
        else this.ws.close(code, encodeCloseReason(error.reason, error.detail));
      } else if (error) {
        this.ws.close(
          CLOSE_REASONS.internal_error.code,
          encodeCloseReason('internal_error', error.message),
        );
      } else {
        this.ws.close(CLOSE_REASONS.done.code, 'done');
      }
    }
    // A clean close handshake is not an error for our user.
    callback(error instanceof TunnelClosedError && error.reason === 'done' ? null : error);
  }

  /** Whether the peer closed the tunnel deliberately (`done`), rather than vanishing or failing. */
  get closedCleanly(): boolean {
    return this.cleanClose;
  }

  /** Closes the tunnel with a reason the peer will see and record. */
  closeWith(reason: TunnelClosedError['reason'], detail?: string): void {
    this.destroy(new TunnelClosedError(reason, detail));
  }

  /**
   * The WebSocket is closing: the peer's close frame has arrived, and 'close'
   * will bring its reason once the TCP connection is down. Nothing more can
   * be sent; failing now with a reason of our own would hide the real one
   * (a write racing a `target_refused` would report a vanished client).
   */
  private awaitClose(callback: (error?: Error | null) => void): void {
    if (this.ws.readyState === this.ws.CLOSED) {
      callback(new TunnelClosedError(this.vanished, 'the WebSocket is closed'));
      return;
    }
    this.pendingWrite = callback;
  }

  private releasePendingWrite(error?: Error): void {
    const callback = this.pendingWrite;
    this.pendingWrite = undefined;
    callback?.(error ?? null);
  }

  private stopPing(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = undefined;
  }
}
