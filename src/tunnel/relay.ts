import net from 'node:net';
import type { Duplex } from 'node:stream';
import { TunnelClosedError, type CloseReasonName } from './close-reason.js';

/** How one side's stream failed, mapped to a close reason. */
export type ErrorClassifier = (error: Error) => TunnelClosedError;

export interface RelaySide {
  stream: Duplex;
  /** Maps this side's errors to a close reason (socket errors differ per side). */
  classify: ErrorClassifier;
  /** The reason recorded when this side ends first, cleanly. */
  endedFirst: CloseReasonName;
  /** The reason recorded when this side closes before its stream ended. */
  vanished: CloseReasonName;
  /** Ends this side when the other one failed; defaults to `stream.destroy(error)`. */
  abort?: (error: TunnelClosedError) => void;
  /**
   * Whether the stream's peer ended it deliberately (a WebSocket close
   * frame saying `done`): a close before both directions ended is then a
   * clean end, not a peer that vanished.
   */
  closedCleanly?: () => boolean;
}

export interface RelayResult {
  /** Bytes that went from `a` to `b`. */
  bytesAToB: number;
  /** Bytes that went from `b` to `a`. */
  bytesBToA: number;
  reason: CloseReasonName;
  detail?: string;
}

/**
 * Copies bytes both ways between two duplex streams until both directions
 * have ended or one side fails. Backpressure holds each way (a source pauses
 * while its destination's buffer is full); an end on one side half-closes the
 * other; a failure on one side destroys the other with the failure's reason,
 * so a tunnel learns why its target went away and vice versa.
 */
export function relay(a: RelaySide, b: RelaySide): Promise<RelayResult> {
  return new Promise((resolve) => {
    const result: RelayResult = { bytesAToB: 0, bytesBToA: 0, reason: 'done' };
    let firstEnded: CloseReasonName | undefined;
    let settled = false;

    const finish = (failure?: TunnelClosedError): void => {
      if (settled) return;
      settled = true;
      if (failure) {
        result.reason = failure.reason;
        if (failure.detail !== undefined) result.detail = failure.detail;
      } else if (firstEnded) {
        result.reason = firstEnded;
      }
      resolve(result);
    };

    const pump = (from: RelaySide, to: RelaySide, count: (n: number) => void): void => {
      // What one turn of the event loop writes to a socket (several tunnel
      // frames read at once) leaves in one system call: corked at the first
      // write, uncorked once the turn's callbacks are done.
      const corks = to.stream instanceof net.Socket;
      let corked = false;
      const uncork = (): void => {
        corked = false;
        to.stream.uncork();
      };
      from.stream.on('data', (chunk: Buffer) => {
        count(chunk.length);
        if (corks && !corked) {
          corked = true;
          to.stream.cork();
          process.nextTick(uncork);
        }
        if (!to.stream.write(chunk)) from.stream.pause();
      });
      to.stream.on('drain', () => from.stream.resume());
      const onEnd = (): void => {
        firstEnded ??= from.endedFirst;
        to.stream.end();
      };
      // A source that ended while its tunnel was opening (a port scanner's
      // connect-and-close) has emitted 'end' already and will not again.
      if (from.stream.readableEnded) onEnd();
      else from.stream.on('end', onEnd);
      // A source paused while its tunnel was opening stays paused until resumed.
      from.stream.resume();
    };

    const fail = (side: RelaySide, other: RelaySide) => (error: Error) => {
      const reason = error instanceof TunnelClosedError ? error : side.classify(error);
      finish(reason);
      // Tell the other side why, in its own terms (a reset for TCP, a close
      // frame for the tunnel).
      if (other.abort) other.abort(reason);
      else other.stream.destroy(reason);
    };

    let closed = 0;
    const onClose = (side: RelaySide, other: RelaySide) => () => {
      closed += 1;
      if (settled) return;
      // A stream that closed without an error but before both of its
      // directions ended was cut off: its peer vanished, unless the peer
      // said it was done (it closed first, cleanly: the other side ends too).
      if (!(side.stream.readableEnded && side.stream.writableFinished)) {
        if (!side.closedCleanly?.()) {
          fail(
            side,
            other,
          )(new TunnelClosedError(side.vanished, 'closed before the end of the stream'));
          return;
        }
        firstEnded ??= side.endedFirst;
        other.stream.end();
      }
      if (closed === 2) finish();
    };

    pump(a, b, (n) => (result.bytesAToB += n));
    pump(b, a, (n) => (result.bytesBToA += n));
    a.stream.on('error', fail(a, b));
    b.stream.on('error', fail(b, a));
    a.stream.on('close', onClose(a, b));
    b.stream.on('close', onClose(b, a));
  });
}
