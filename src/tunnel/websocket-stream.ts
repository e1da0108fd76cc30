import { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import {
  CLOSE_REASONS,
  TunnelClosedError,
  decodeCloseReason,
  encodeCloseReason,
} from './close-reason.js';
import { decodeControl, encodeControl } from './control.js';

export interface WebSocketStreamOptions {
  /**
   * Ping the peer this often; when a whole interval passes with neither a
   * pong nor any frame, the tunnel closes with `keepalive_timeout`. This
   * detects dead peers without cutting off idle sessions. 0 disables pings.
   */
  pingIntervalMs?: number;
  /**
   * Bytes that may wait in the WebSocket's send queue before writes report
   * backpressure, and bytes that may wait unread before the socket is paused.
   */
  highWaterMark?: number;
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
export class WebSocketStream extends Duplex {
  private readonly ws: WebSocket;
  private readonly highWaterMark: number;
  private pingTimer: NodeJS.Timeout | undefined;
  private heardFromPeer = true;
  private remoteEnded = false;
  /** Write callback waiting for the send queue to drain. */
  private pendingWrite: ((error?: Error | null) => void) | undefined;

  constructor(ws: WebSocket, options: WebSocketStreamOptions = {}) {
    const highWaterMark = options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
    super({
      allowHalfOpen: true,
      readableHighWaterMark: highWaterMark,
      writableHighWaterMark: highWaterMark,
    });
    this.ws = ws;
    this.highWaterMark = highWaterMark;
    ws.binaryType = 'nodebuffer';
    ws.on('message', this.onMessage);
    ws.on('close', this.onClose);
    ws.on('error', this.onError);
    ws.on('pong', this.onAlive);
    ws.on('ping', this.onAlive);
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
    if (!this.heardFromPeer) {
      this.destroy(new TunnelClosedError('keepalive_timeout'));
      return;
    }
    this.heardFromPeer = false;
    if (this.ws.readyState === this.ws.OPEN) this.ws.ping();
  };

  private readonly onMessage = (data: Buffer, isBinary: boolean): void => {
    this.heardFromPeer = true;
    if (isBinary) {
      if (this.remoteEnded) {
        this.destroy(new TunnelClosedError('protocol_error', 'data after eof'));
      } else if (!this.push(data)) {
        this.ws.pause();
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
    if (message.type === 'eof' && !this.remoteEnded) {
      this.remoteEnded = true;
      this.push(null);
    }
  };

  private readonly onClose = (code: number, reasonBuffer: Buffer): void => {
    this.stopPing();
    const { name, detail } = decodeCloseReason(code, reasonBuffer.toString('utf8'));
    if (name === 'done') {
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
    // ws reports oversized frames with WS_ERR_UNSUPPORTED_MESSAGE_LENGTH and
    // other protocol violations with WS_ERR_*; it then closes the socket.
    const reason =
      error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 'frame_too_large' : 'protocol_error';
    this.destroy(new TunnelClosedError(reason, error.message, { cause: error }));
  };

  override _read(): void {
    if (this.ws.isPaused) this.ws.resume();
  }

  override _write(
    chunk: Buffer,
    _encoding: BufferEncoding,
    callback: (error?: Error | null) => void,
  ): void {
    if (this.ws.readyState !== this.ws.OPEN) {
      callback(new TunnelClosedError('client_vanished', 'the WebSocket is not open'));
      return;
    }
    if (this.ws.bufferedAmount < this.highWaterMark) {
      this.ws.send(chunk, { binary: true });
      callback();
      return;
    }
    // Over the mark: finish this write only once this chunk has left, which
    // is what makes a slow peer push back on our source.
    this.pendingWrite = callback;
    this.ws.send(chunk, { binary: true }, (error) => {
      if (error) this.releasePendingWrite(error);
      else this.releasePendingWrite();
    });
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.ws.readyState !== this.ws.OPEN) {
      callback();
      return;
    }
    this.ws.send(encodeControl({ type: 'eof' }), (error) => callback(error ?? null));
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.stopPing();
    this.releasePendingWrite(error ?? undefined);
    const state = this.ws.readyState;
    if (state === this.ws.OPEN || state === this.ws.CONNECTING) {
      if (error instanceof TunnelClosedError) {
        const { code } = CLOSE_REASONS[error.reason];
        // 1006 cannot be sent; a vanished peer gets nothing.
        if (error.reason === 'client_vanished' || code === 1009 || state === this.ws.CONNECTING)
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

  /** Closes the tunnel with a reason the peer will see and record. */
  closeWith(reason: TunnelClosedError['reason'], detail?: string): void {
    this.destroy(new TunnelClosedError(reason, detail));
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
