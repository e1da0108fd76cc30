import type { Duplex } from 'node:stream';
import { Framer, type Frame, type FramerOptions } from './protocol/index.js';

/** The other side closed the connection before the dialogue was over. */
export class PeerClosedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PeerClosedError';
  }
}

/**
 * Awaitable frames from a stream, for the start-up dialogue where each side
 * waits for the other's next message. Once the dialogue is over, `release()`
 * stops listening and returns what arrived early, so the relay takes over
 * without losing a byte.
 */
export class FrameSource {
  private readonly framer: Framer;
  private readonly queue: Frame[] = [];
  private waiter: { resolve: (frame: Frame) => void; reject: (error: Error) => void } | undefined;
  private failure: Error | undefined;

  constructor(
    private readonly stream: Duplex,
    options: FramerOptions & { name: string },
  ) {
    this.framer = new Framer(options);
    stream.on('data', this.onData);
    stream.on('end', this.onEnd);
    stream.on('error', this.onError);
    stream.on('close', this.onEnd);
    const name = options.name;
    this.endError = () => new PeerClosedError(`${name} closed the connection during start-up`);
  }

  private readonly endError: () => Error;

  next(): Promise<Frame> {
    const frame = this.queue.shift();
    if (frame) return Promise.resolve(frame);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** Stops listening; returns frames that arrived but were not consumed, and bytes of a partial frame. */
  release(): { frames: Frame[]; partial: Buffer | undefined } {
    this.stream.off('data', this.onData);
    this.stream.off('end', this.onEnd);
    this.stream.off('error', this.onError);
    this.stream.off('close', this.onEnd);
    this.stream.pause();
    return { frames: this.queue.splice(0), partial: this.framer.takeBuffered() };
  }

  private readonly onData = (chunk: Buffer): void => {
    try {
      for (const frame of this.framer.push(chunk)) this.deliver(frame);
    } catch (error) {
      this.fail(error as Error);
    }
  };

  private readonly onEnd = (): void => this.fail(this.endError());

  private readonly onError = (error: Error): void => this.fail(error);

  private deliver(frame: Frame): void {
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      waiter.resolve(frame);
    } else {
      this.queue.push(frame);
    }
  }

  private fail(error: Error): void {
    this.failure ??= error;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.reject(this.failure);
  }
}
