import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, it } from 'node:test';
import type net from 'node:net';
import type { WebSocket } from 'ws';

import { TunnelClosedError, type CloseReasonName } from '../../../src/tunnel/close-reason.js';
import { WebSocketStream } from '../../../src/tunnel/websocket-stream.js';
import { readAll, webSocketPair } from './pairs.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

async function pair(options: Parameters<typeof webSocketPair>[0] = {}) {
  const sockets = await webSocketPair(options);
  cleanups.push(sockets.close);
  return sockets;
}

/** A stream whose errors are kept for the test to look at rather than thrown. */
function stream(ws: WebSocket, options: ConstructorParameters<typeof WebSocketStream>[1] = {}) {
  const s = new WebSocketStream(ws, { pingIntervalMs: 0, ...options });
  const errors: Error[] = [];
  s.on('error', (error) => errors.push(error));
  cleanups.push(() => s.destroy());
  return Object.assign(s, { errors });
}

/** Resolves once the stream has closed, however it ended (events.once would reject on 'error'). */
async function closed(s: WebSocketStream): Promise<void> {
  if (!s.closed) await new Promise((resolve) => s.once('close', resolve));
}

/** The reason a stream failed with, waiting for it to close first. */
async function failure(
  s: ReturnType<typeof stream>,
): Promise<{ reason: CloseReasonName; detail?: string }> {
  await closed(s);
  const [error] = s.errors;
  assert.ok(error instanceof TunnelClosedError, `expected a TunnelClosedError, got ${error}`);
  return error.detail === undefined
    ? { reason: error.reason }
    : { reason: error.reason, detail: error.detail };
}

/** The close code and reason a raw ws end received. */
function closeOf(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return once(ws, 'close').then(([code, reason]) => ({
    code: code as number,
    reason: (reason as Buffer).toString(),
  }));
}

describe('WebSocketStream', () => {
  it('carries bytes both ways and a half-close each way, then closes with 1000', async () => {
    const { server, client } = await pair();
    const gateway = stream(server);
    const cli = stream(client);
    const serverClosed = closeOf(server);
    const up = randomBytes(2 * 1024 * 1024 + 1);
    const down = randomBytes(777_777);
    const gatewayGot = readAll(gateway);
    cli.end(up);
    // The gateway sees the CLI's eof while its own direction is still open.
    assert.ok((await gatewayGot).equals(up));
    assert.ok(!gateway.writableEnded);
    const cliGot = readAll(cli);
    gateway.end(down);
    assert.ok((await cliGot).equals(down));
    await Promise.all([closed(gateway), closed(cli)]);
    assert.deepEqual(gateway.errors, []);
    assert.deepEqual(cli.errors, []);
    assert.deepEqual(await serverClosed, { code: 1000, reason: 'done' });
  });

  it('sends the reason it was destroyed with, and the peer fails with it', async () => {
    const { server, client } = await pair();
    const gateway = stream(server);
    const cli = stream(client);
    gateway.destroy(new TunnelClosedError('target_refused', 'connect ECONNREFUSED 127.0.0.1:9'));
    assert.deepEqual(await failure(cli), {
      reason: 'target_refused',
      detail: 'connect ECONNREFUSED 127.0.0.1:9',
    });
    cli.closeWith('client_shutdown');
  });

  it('regression: a write racing the peer’s close frame fails with the peer’s reason', async () => {
    for (let attempt = 0; attempt < 10; attempt++) {
      const { server, client } = await pair();
      const gateway = stream(server);
      const cli = stream(client);
      // The CLI writes without pause, so some write lands while its WebSocket
      // is CLOSING: the close frame is in, the TCP connection not yet down.
      const writing = setInterval(() => cli.write(Buffer.alloc(1024)), 0);
      await sleep(5);
      gateway.destroy(new TunnelClosedError('target_refused', 'connect ECONNREFUSED'));
      try {
        assert.deepEqual(await failure(cli), {
          reason: 'target_refused',
          detail: 'connect ECONNREFUSED',
        });
      } finally {
        clearInterval(writing);
      }
    }
  });

  it('regression: a peer killed mid-write is reported as vanished, not as a socket error', async () => {
    const { server, client } = await pair();
    // The peer reads nothing, so our sends queue up in the socket itself.
    server.pause();
    const cli = stream(client, { vanished: 'gateway_vanished', highWaterMark: 16 * 1024 });
    const chunk = Buffer.alloc(64 * 1024);
    // Until the kernel's buffers are full and a write waits for its send.
    while (cli.writableLength === 0) {
      cli.write(chunk);
      await sleep(1);
    }
    // The peer's process dies: its kernel resets the connection, and every
    // queued send fails with `read ECONNRESET` before ws reports the close.
    (server as unknown as { _socket: net.Socket })._socket.resetAndDestroy();
    assert.equal((await failure(cli)).reason, 'gateway_vanished');
  });

  it('closes with internal_error when destroyed with any other error', async () => {
    const { server, client } = await pair();
    const gateway = stream(server);
    const closed = closeOf(client);
    gateway.destroy(new Error('boom'));
    assert.deepEqual(await closed, { code: 1011, reason: 'internal_error: boom' });
  });

  it('fails with client_vanished when the peer goes without a close frame', async () => {
    const { server, client } = await pair();
    const gateway = stream(server);
    client.terminate();
    assert.deepEqual(await failure(gateway), { reason: 'client_vanished' });
  });

  it('fails with protocol_error on a control message it does not know', async () => {
    const { server, client } = await pair();
    const gateway = stream(server);
    const closed = closeOf(client);
    client.send('{"type":"launch"}');
    const { reason, detail } = await failure(gateway);
    assert.equal(reason, 'protocol_error');
    assert.match(detail ?? '', /unknown control message type "launch"/);
    // The peer is told why, in the close frame.
    const { code, reason: text } = await closed;
    assert.equal(code, 4007);
    assert.match(text, /^protocol_error: unknown control message/);
  });

  it('fails with protocol_error on data after eof', async () => {
    const { server, client } = await pair();
    const gateway = stream(server);
    gateway.resume();
    client.send('{"type":"eof"}');
    client.send(Buffer.from('more'));
    assert.deepEqual(await failure(gateway), {
      reason: 'protocol_error',
      detail: 'data after eof',
    });
  });

  it('fails with frame_too_large on a frame over maxPayload', async () => {
    const { server, client } = await pair({ maxPayload: 1024 });
    const gateway = stream(server);
    const closed = closeOf(client);
    client.send(Buffer.alloc(1025));
    const { reason } = await failure(gateway);
    assert.equal(reason, 'frame_too_large');
    assert.equal((await closed).code, 1009);
  });

  it('makes write() return false once highWaterMark bytes wait for a peer that does not read', async () => {
    const highWaterMark = 64 * 1024;
    const { server, client } = await pair();
    const cli = stream(client, { highWaterMark });
    // The gateway end reads nothing at all: its socket is paused.
    server.pause();
    const chunk = Buffer.alloc(16 * 1024, 1);
    let written = 0;
    // Writes of one turn leave together once it ends, so write() refuses a
    // turn's worth at a time until the kernel's buffers are full too; from
    // then on nothing drains while the peer does not read.
    for (;;) {
      const accepted = cli.write(chunk);
      written += chunk.length;
      assert.ok(written < 64 * 1024 * 1024, 'write() never reported backpressure');
      if (accepted) continue;
      // Refused only with a full queue.
      assert.ok(cli.writableLength >= highWaterMark, `${cli.writableLength} bytes queued`);
      const drained = await Promise.race([once(cli, 'drain'), sleep(300).then(() => 'stalled')]);
      if (drained === 'stalled') break;
    }
    // Once the peer reads, the queue drains and every byte arrives.
    let received = 0;
    server.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) received += data.length;
    });
    server.resume();
    await once(cli, 'drain');
    cli.end();
    await once(cli, 'finish');
    while (received < written) await sleep(10);
    assert.equal(received, written);
  });

  it('pauses the WebSocket while its reader does not read, and resumes when it does', async () => {
    const highWaterMark = 64 * 1024;
    const { server, client } = await pair();
    const gateway = stream(server, { highWaterMark });
    const chunk = Buffer.alloc(16 * 1024, 2);
    let sent = 0;
    // The peer sends until its own send buffer stops draining.
    for (let stalls = 0; stalls < 3;) {
      client.send(chunk);
      sent += chunk.length;
      if (client.bufferedAmount > 1024 * 1024) {
        stalls += 1;
        await sleep(100);
      } else if (sent % (256 * 1024) === 0) {
        await sleep(0);
      }
      assert.ok(sent < 64 * 1024 * 1024, 'the sender was never held back');
    }
    assert.ok(server.isPaused, 'the stream paused its WebSocket');
    assert.ok(
      gateway.readableLength <= highWaterMark + 1024 * 1024,
      `${gateway.readableLength} bytes held unread`,
    );
    const got = readAll(gateway);
    client.send('{"type":"eof"}');
    assert.equal((await got).length, sent);
  });

  it('answers pings while idle and stays open across many ping intervals', async () => {
    const { server, client } = await pair();
    const gateway = stream(server, { pingIntervalMs: 50 });
    const cli = stream(client, { pingIntervalMs: 50 });
    await sleep(600);
    assert.ok(!gateway.destroyed && !cli.destroyed);
    const got = readAll(gateway);
    cli.end('still here');
    assert.equal((await got).toString(), 'still here');
  });

  it('fails with keepalive_timeout when the peer stops answering pings', async () => {
    const { server, client } = await pair({ clientOptions: { autoPong: false } });
    const gateway = stream(server, { pingIntervalMs: 50 });
    const started = Date.now();
    const closed = closeOf(client);
    assert.deepEqual(await failure(gateway), { reason: 'keepalive_timeout' });
    // One interval to send the ping, at most one more to notice no answer came.
    assert.ok(Date.now() - started < 500, `took ${Date.now() - started} ms`);
    assert.equal((await closed).code, 4006);
  });

  // 1 MiB fits in the kernel's buffers, so the sender has nothing queued and
  // only the `pause` notice explains the silence; 24 MiB keeps its queue full.
  for (const total of [1024 * 1024, 24 * 1024 * 1024]) {
    it(`does not take a stalled reader for a dead peer (${total >> 20} MiB unread)`, async () => {
      const highWaterMark = 64 * 1024;
      const { server, client } = await pair();
      // The ends ping at their own pace (the CLI's default is 30 s), so the
      // CLI's pings cannot stand in for the pongs the gateway waits for.
      // Intervals long enough that a loaded machine's event-loop stalls are
      // not mistaken for silence, short enough to span many of them.
      const gateway = stream(server, { pingIntervalMs: 200, highWaterMark });
      const cli = stream(client, { pingIntervalMs: 600, highWaterMark });
      // The CLI's reader does not read for many ping intervals, so neither
      // end can hear the other's pongs behind the data.
      const data = randomBytes(total);
      gateway.end(data);
      await sleep(2_500);
      assert.deepEqual(gateway.errors, [], 'the sending end kept the tunnel');
      assert.deepEqual(cli.errors, [], 'the stalled end kept the tunnel');
      assert.ok(client.isPaused, 'the stalled end stopped reading');
      const got = await readAll(cli);
      assert.ok(got.equals(data));
    });
  }
});
