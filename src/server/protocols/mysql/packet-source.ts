import type { Duplex } from 'node:stream';
import { Framer, type FramerOptions, type Packet } from './protocol/index.js';

/** The other side closed the connection while a packet was awaited. */
export class PeerClosedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PeerClosedError';
  }
}

/** Packets queued before the stream is paused (backpressure toward its sender). */
const HIGH_WATER_BYTES = 1024 * 1024;

/**
 * Whole packets from a stream, taken one at a time by a dialogue that waits
 * for each: the login exchanges and the relay's command loop (MySQL is
 * half-duplex: one command, its whole response, the next command).
 * `take()` is synchronous while packets are queued, so a relay drains a
 * chunk's packets without a promise each; the stream is paused while more
 * than 1 MiB waits.
 */
export class PacketSource {
  private readonly framer: Framer;
  private readonly queue: Packet[] = [];
  private head = 0;
  private queuedBytes = 0;
  private waiter: { resolve: () => void; reject: (error: Error) => void } | undefined;
  private failure: Error | undefined;
  private readonly name: string;
  /** Bytes read from the stream. */
  bytes = 0;

  constructor(
    private stream: Duplex,
    options: FramerOptions & { name: string },
  ) {
    this.framer = new Framer(options);
    this.name = options.name;
    this.attach();
  }

  private attach(): void {
    this.stream.on('data', this.onData);
    this.stream.on('end', this.onEnd);
    this.stream.on('error', this.onError);
    this.stream.on('close', this.onEnd);
  }

  /** Moves to another stream over the same bytes (the socket after a TLS upgrade); nothing may be queued. */
  replaceStream(stream: Duplex): void {
    this.stream.off('data', this.onData);
    this.stream.off('end', this.onEnd);
    this.stream.off('error', this.onError);
    this.stream.off('close', this.onEnd);
    this.stream = stream;
    this.attach();
  }

  /** Stops reading (before a TLS upgrade of the same socket). */
  detach(): void {
    this.stream.off('data', this.onData);
    this.stream.off('end', this.onEnd);
    this.stream.off('error', this.onError);
    this.stream.off('close', this.onEnd);
  }

  /** The next packet if one is queued. */
  take(): Packet | undefined {
    if (this.head === this.queue.length) return undefined;
    const packet = this.queue[this.head]!;
    this.queue[this.head++] = undefined as unknown as Packet;
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    }
    this.queuedBytes -= packet.bytes.length;
    if (this.queuedBytes < HIGH_WATER_BYTES && this.stream.isPaused()) this.stream.resume();
    return packet;
  }

  /** Resolves when a packet is queued; rejects when the stream ended or failed first. */
  wait(): Promise<void> {
    if (this.head < this.queue.length) return Promise.resolve();
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** The next packet, waiting for it. */
  async next(): Promise<Packet> {
    for (;;) {
      const packet = this.take();
      if (packet) return packet;
      await this.wait();
    }
  }

  private readonly onData = (chunk: Buffer): void => {
    this.bytes += chunk.length;
    let packets: Packet[];
    try {
      packets = this.framer.push(chunk);
    } catch (error) {
      this.fail(error as Error);
      return;
    }
    for (const packet of packets) {
      this.queue.push(packet);
      this.queuedBytes += packet.bytes.length;
    }
    if (this.queuedBytes >= HIGH_WATER_BYTES) this.stream.pause();
    if (packets.length > 0) this.wake();
  };

  private readonly onEnd = (): void =>
    this.fail(new PeerClosedError(`${this.name} closed the connection`));

  private readonly onError = (error: Error): void => this.fail(error);

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.resolve();
  }

  private fail(error: Error): void {
    this.failure ??= error;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.reject(this.failure);
  }
}
