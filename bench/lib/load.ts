import net from 'node:net';
import { CHUNK } from './targets.js';

const HOST = '127.0.0.1';
const PING = Buffer.from([0x70]);

function connect(port: number): net.Socket {
  const socket = net.connect({ host: HOST, port, noDelay: true });
  socket.on('error', () => {
    // Surfaces as an early 'close' below, with the bench's own message.
  });
  return socket;
}

/** Rejects if `socket` closes before `work` settles; the socket is the one thing that can break mid-run. */
function unlessClosed<T>(socket: net.Socket, what: string, work: Promise<T>): Promise<T> {
  const closed = new Promise<never>((_resolve, reject) =>
    socket.once('close', () => reject(new Error(`${what}: the connection closed early`))),
  );
  closed.catch(() => {});
  return Promise.race([work, closed]);
}

function closedPromise(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.closed) resolve();
    else socket.once('close', () => resolve());
  });
}

function secondsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/**
 * Writes `bytes` to `port` as fast as the path accepts them (with
 * backpressure), then half-closes. Resolves with the seconds from connect
 * until `arrived` (the sink got the last byte).
 */
export async function upload(port: number, bytes: number, arrived: Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  const socket = connect(port);
  let left = bytes;
  const pump = (): void => {
    while (left > 0) {
      const chunk = left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left);
      left -= chunk.length;
      if (!socket.write(chunk)) {
        socket.once('drain', pump);
        return;
      }
    }
    socket.end();
  };
  pump();
  await unlessClosed(socket, 'upload', arrived);
  const seconds = secondsSince(start);
  await closedPromise(socket);
  return seconds;
}

/**
 * Reads from `port` until `bytes` arrived. With `bytesPerSecond`, reads no
 * faster than that (pausing the socket, so the kernel, then the tunnel, push
 * back). Resolves with the seconds from connect until the last byte.
 */
export async function download(
  port: number,
  bytes: number,
  bytesPerSecond = Infinity,
): Promise<number> {
  const start = process.hrtime.bigint();
  const socket = connect(port);
  let received = 0;
  let firstByteAt = 0;
  const done = new Promise<void>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received >= bytes) {
        resolve();
        return;
      }
      if (bytesPerSecond === Infinity) return;
      const now = performance.now();
      if (firstByteAt === 0) firstByteAt = now;
      const due = firstByteAt + (received / bytesPerSecond) * 1000;
      if (due > now + 1) {
        socket.pause();
        setTimeout(() => socket.resume(), due - now);
      }
    });
  });
  await unlessClosed(socket, 'download', done);
  const seconds = secondsSince(start);
  socket.destroy();
  await closedPromise(socket);
  return seconds;
}

/**
 * One-byte ping-pong against an echo server on one connection: `warmup`
 * round trips (which also wait for the tunnel to open), then `count` timed
 * ones. Resolves with each round trip in microseconds.
 */
export async function pingPong(port: number, warmup: number, count: number): Promise<number[]> {
  const socket = connect(port);
  const samples: number[] = [];
  let sentAt = 0n;
  let round = 0;
  const done = new Promise<void>((resolve) => {
    const ping = (): void => {
      sentAt = process.hrtime.bigint();
      socket.write(PING);
    };
    socket.on('data', () => {
      const now = process.hrtime.bigint();
      if (round >= warmup) samples.push(Number(now - sentAt) / 1000);
      round += 1;
      if (round === warmup + count) resolve();
      else ping();
    });
    ping();
  });
  await unlessClosed(socket, 'ping-pong', done);
  socket.end();
  await closedPromise(socket);
  return samples;
}

/**
 * Opens `count` connections to `port`, `wave` at a time. A connection counts
 * as established once the target's greeting byte came back through it; a
 * wave stops waiting when all are greeted or none was for `stallMs`. Resolves
 * with every socket opened and how many were greeted.
 */
export async function openIdle(
  port: number,
  count: number,
  { wave = 100, stallMs = 3_000 } = {},
): Promise<{ sockets: net.Socket[]; greeted: number }> {
  const sockets: net.Socket[] = [];
  let greeted = 0;
  for (let opened = 0; opened < count; opened += wave) {
    const size = Math.min(wave, count - opened);
    await new Promise<void>((resolve, reject) => {
      let waiting = size;
      let stall = setTimeout(resolve, stallMs);
      const progress = (): void => {
        waiting -= 1;
        clearTimeout(stall);
        if (waiting === 0) resolve();
        else stall = setTimeout(resolve, stallMs);
      };
      for (let i = 0; i < size; i++) {
        const socket = connect(port);
        sockets.push(socket);
        socket.once('data', () => {
          greeted += 1;
          progress();
        });
        socket.once('close', () => {
          clearTimeout(stall);
          reject(new Error('idle tunnel: a connection closed early'));
        });
      }
    });
  }
  return { sockets, greeted };
}

/** Half-closes every socket and waits until all have closed. */
export async function closeAll(sockets: net.Socket[]): Promise<void> {
  await Promise.all(
    sockets.map((socket) => {
      socket.end();
      return closedPromise(socket);
    }),
  );
}
