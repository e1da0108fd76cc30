import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, it } from 'node:test';
import type { WebSocket } from 'ws';

import { TunnelClosedError } from '../../../src/tunnel/close-reason.js';
import { encodeMuxFrames, type MuxFrame } from '../../../src/tunnel/mux-frame.js';
import { Multiplexer, MuxStream, type MultiplexerOptions } from '../../../src/tunnel/mux.js';
import { readAll, webSocketPair } from './pairs.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A client and a gateway multiplexer over one real WebSocket; the gateway's streams arrive in `accepted`. */
async function muxPair(options: Partial<MultiplexerOptions> = {}) {
  const sockets = await webSocketPair();
  cleanups.push(sockets.close);
  const client = new Multiplexer(sockets.client, { role: 'client', pingIntervalMs: 0, ...options });
  const gateway = new Multiplexer(sockets.server, {
    role: 'gateway',
    pingIntervalMs: 0,
    ...options,
  });
  const accepted: MuxStream[] = [];
  const waiters: (() => void)[] = [];
  gateway.on('stream', (stream: MuxStream) => {
    stream.on('error', () => {});
    accepted.push(stream);
    waiters.splice(0).forEach((wake) => wake());
  });
  const next = async (index: number): Promise<MuxStream> => {
    while (!accepted[index]) await new Promise<void>((resolve) => waiters.push(resolve));
    return accepted[index];
  };
  /** A client stream whose errors the test reads itself (the sockets are cut after each test). */
  const open = (): MuxStream => client.open().on('error', () => {});
  return { ...sockets, client, gateway, next, open };
}

/** A gateway multiplexer driven by raw frames from a test client. */
async function rawGateway(options: Partial<MultiplexerOptions> = {}) {
  const sockets = await webSocketPair();
  cleanups.push(sockets.close);
  const gateway = new Multiplexer(sockets.server, {
    role: 'gateway',
    pingIntervalMs: 0,
    ...options,
  });
  gateway.on('stream', (stream: MuxStream) => stream.on('error', () => {}));
  const closed = once(sockets.client, 'close') as Promise<[number, Buffer]>;
  const send = (...frames: MuxFrame[]): void => sockets.client.send(encodeMuxFrames(frames));
  const closeOf = async () => {
    const [code, reason] = await closed;
    return { code, reason: reason.toString() };
  };
  return { gateway, client: sockets.client, send, closeOf };
}

function messagesOf(ws: WebSocket): { count: number } {
  const counter = { count: 0 };
  ws.on('message', () => (counter.count += 1));
  return counter;
}

describe('Multiplexer', () => {
  it('carries streams both ways byte-exact, each with its own half-close', async () => {
    const { next, open } = await muxPair();
    const a = open();
    const b = open();
    const dataA = randomBytes(3 * 1024 * 1024 + 5);
    const dataB = randomBytes(70_000);
    a.end(dataA);
    b.end(dataB);
    const [ga, gb] = [await next(0), await next(1)];
    assert.deepEqual([ga.id, gb.id], [a.id, b.id]);
    // Each gateway stream reads to the client's eof, then answers on the same stream.
    const [gotA, gotB] = await Promise.all([readAll(ga), readAll(gb)]);
    assert.ok(gotA.equals(dataA));
    assert.ok(gotB.equals(dataB));
    const answers = [readAll(a), readAll(b)];
    ga.end('answer a');
    gb.end('answer b');
    assert.deepEqual((await Promise.all(answers)).map(String), ['answer a', 'answer b']);
  });

  it('sends the frames of many streams written in one turn as one WebSocket message', async () => {
    const { next, server, open } = await muxPair();
    const streams = Array.from({ length: 8 }, () => open());
    for (let i = 0; i < 8; i++) await next(i);
    await sleep(20);
    const messages = messagesOf(server);
    for (const stream of streams) stream.write('Q');
    await sleep(50);
    assert.equal(messages.count, 1);
  });

  it('holds back a stream whose reader is slow while the others keep flowing', async () => {
    const window = 64 * 1024;
    const { next, open } = await muxPair({ windowBytes: window });
    const slow = open();
    const fast = open();
    const gSlow = await next(0);
    const gFast = await next(1);
    slow.pause();
    // The gateway writes 4 MiB to a reader that reads nothing.
    let written = 0;
    while (gSlow.write(Buffer.alloc(16 * 1024)) && written < 4 * 1024 * 1024) written += 16 * 1024;
    await sleep(200);
    assert.ok(
      slow.readableLength <= window,
      `${slow.readableLength} bytes held by the slow reader`,
    );
    assert.ok(gSlow.writableLength > 0, 'the sender is held back');
    // The other stream still answers at once.
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      fast.write('ping');
      const [chunk] = (await once(gFast, 'data')) as [Buffer];
      assert.equal(chunk.toString(), 'ping');
      gFast.write('pong');
      assert.equal(((await once(fast, 'data')) as [Buffer])[0].toString(), 'pong');
      assert.ok(performance.now() - started < 1000);
    }
    // Once the slow reader reads, everything arrives.
    const got = readAll(slow);
    gSlow.end();
    await once(gSlow, 'finish');
    assert.ok((await got).length >= written);
  });

  it('closes one stream with a reason its peer sees; the others go on', async () => {
    const { next, open } = await muxPair();
    const a = open();
    const b = open();
    const ga = await next(0);
    const gb = await next(1);
    const failed = once(a, 'error') as Promise<[TunnelClosedError]>;
    ga.closeWith('target_reset', 'read ECONNRESET');
    const [error] = await failed;
    assert.equal(error.reason, 'target_reset');
    assert.equal(error.detail, 'read ECONNRESET');
    const answer = readAll(b);
    gb.end('still here');
    b.end();
    assert.equal((await answer).toString(), 'still here');
  });

  it('re-emits a refreshed token on every stream at the gateway', async () => {
    const { client, next, open } = await muxPair();
    open();
    const stream = await next(0);
    const token = once(stream, 'token') as Promise<[string]>;
    client.sendToken('fresh');
    assert.deepEqual(await token, ['fresh']);
  });

  it('fails every stream with the tunnel’s reason when the tunnel closes', async () => {
    const { client, gateway, next, open } = await muxPair();
    const a = open();
    await next(0);
    const closed = once(client, 'close') as Promise<[TunnelClosedError]>;
    gateway.close('gateway_shutdown');
    const [error] = await closed;
    assert.equal(error.reason, 'gateway_shutdown');
    await sleep(10);
    assert.ok(a.destroyed);
  });

  describe('bad input closes that tunnel with a stable reason', () => {
    it('a frame for a stream never opened: unknown_stream', async () => {
      const { send, closeOf } = await rawGateway();
      send({ type: 'data', stream: 5, data: Buffer.from('x') });
      assert.deepEqual(await closeOf(), {
        code: 4013,
        reason: 'unknown_stream: stream 5 was never opened',
      });
    });

    it('a frame for a stream the client closed: unknown_stream', async () => {
      const { send, closeOf } = await rawGateway();
      send({ type: 'open', stream: 1 }, { type: 'close', stream: 1, reason: 'client_reset' });
      await sleep(50);
      send({ type: 'data', stream: 1, data: Buffer.from('x') });
      assert.deepEqual(await closeOf(), {
        code: 4013,
        reason: 'unknown_stream: stream 1 is closed',
      });
    });

    it('more streams than maxStreams: stream_limit', async () => {
      const { send, closeOf } = await rawGateway({ maxStreams: 3 });
      send(...[1, 2, 3, 4].map((stream): MuxFrame => ({ type: 'open', stream })));
      assert.deepEqual(await closeOf(), {
        code: 4014,
        reason: 'stream_limit: more than 3 streams open',
      });
    });

    it('data past the window: window_exceeded', async () => {
      const { send, closeOf } = await rawGateway({ windowBytes: 1024 });
      send(
        { type: 'open', stream: 1 },
        { type: 'data', stream: 1, data: Buffer.alloc(1000) },
        { type: 'data', stream: 1, data: Buffer.alloc(100) },
      );
      assert.deepEqual(await closeOf(), {
        code: 4015,
        reason: 'window_exceeded: 100 bytes on stream 1 beyond its window',
      });
    });

    it('a stream opened twice: protocol_error', async () => {
      const { send, closeOf } = await rawGateway();
      send({ type: 'open', stream: 2 }, { type: 'open', stream: 2 });
      assert.deepEqual(await closeOf(), {
        code: 4007,
        reason: 'protocol_error: stream 2 opened twice or out of order',
      });
    });

    it('a malformed frame: protocol_error', async () => {
      const { client, closeOf } = await rawGateway();
      client.send(Buffer.from([0x58, 0, 0, 0, 1, 0, 0, 0, 0]));
      assert.deepEqual(await closeOf(), {
        code: 4007,
        reason: 'protocol_error: unknown frame type 0x58',
      });
    });

    it('one tunnel closed for bad input leaves another served', async () => {
      const bad = await rawGateway();
      const { next, open } = await muxPair();
      const good = open();
      const gGood = await next(0);
      bad.send({ type: 'data', stream: 9, data: Buffer.from('x') });
      assert.equal((await bad.closeOf()).code, 4013);
      const answer = readAll(good);
      gGood.end('served');
      good.end();
      assert.equal((await answer).toString(), 'served');
    });
  });
});
