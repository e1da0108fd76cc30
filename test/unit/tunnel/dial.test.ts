import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, it } from 'node:test';
import { WebSocketServer } from 'ws';

import { HoopError } from '../../../src/lib/errors.js';
import { dial, refusalError } from '../../../src/tunnel/dial.js';
import { WebSocketStream } from '../../../src/tunnel/websocket-stream.js';
import { readAll } from './pairs.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** An HTTP server that hands upgrades to `onUpgrade` and answers the rest with `onRequest`. */
async function server(
  onUpgrade: (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => void,
  onRequest: http.RequestListener = (_req, res) => res.end(),
): Promise<string> {
  const httpServer = http.createServer(onRequest);
  httpServer.on('upgrade', onUpgrade);
  httpServer.listen(0, '127.0.0.1');
  await once(httpServer, 'listening');
  cleanups.push(() => {
    httpServer.closeAllConnections();
    httpServer.close();
  });
  return `ws://127.0.0.1:${(httpServer.address() as net.AddressInfo).port}/api/tunnel/x`;
}

describe('dial', () => {
  it('sends the token as a Bearer header', async () => {
    let authorization: string | undefined;
    const wss = new WebSocketServer({ noServer: true });
    const url = await server((req, socket, head) => {
      authorization = req.headers.authorization;
      wss.handleUpgrade(req, socket, head, (ws) => ws.close(1000, 'done'));
    });
    const ws = await dial({ url, token: 'hoop_key' });
    ws.terminate();
    assert.equal(authorization, 'Bearer hoop_key');
  });

  it('regression: loses nothing the gateway sends in the same packet as its 101', async () => {
    // The target speaks first (a database's greeting), and the gateway's first
    // frames can arrive with the upgrade response. ws emits them on the next
    // tick after 'open', before a promise continuation could attach a reader.
    const wss = new WebSocketServer({ noServer: true });
    const url = await server((req, socket, head) => {
      socket.cork();
      wss.handleUpgrade(req, socket, head, (ws) => {
        ws.send(Buffer.from('greeting'), { binary: true });
        ws.send('{"type":"eof"}');
        process.nextTick(() => socket.uncork());
      });
    });
    for (let i = 0; i < 20; i++) {
      const ws = await dial({ url, token: 't' });
      const stream = new WebSocketStream(ws, { pingIntervalMs: 0 });
      stream.on('error', () => {});
      cleanups.push(() => stream.destroy());
      const got = await Promise.race([
        readAll(stream).then(String),
        sleep(2_000).then(() => 'nothing within 2 s'),
      ]);
      assert.equal(got, 'greeting', `attempt ${i}`);
    }
  });

  it('rejects a refusal with the gateway’s own error code, message and hint', async () => {
    const url = await server((_req, socket) => {
      const body = JSON.stringify({
        error: {
          code: 'HOOP_CONNECTION_FORBIDDEN',
          message: 'you may not use connection "x"',
          hint: 'Ask for the dba group.',
        },
      });
      socket.end(
        `HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      );
    });
    await assert.rejects(dial({ url, token: 't' }), (error: unknown) => {
      assert.ok(error instanceof HoopError);
      assert.equal(error.code, 'HOOP_CONNECTION_FORBIDDEN');
      assert.equal(error.message, 'you may not use connection "x"');
      assert.equal(error.hint, 'Ask for the dba group.');
      return true;
    });
  });

  it('rejects with HOOP_GATEWAY_UNREACHABLE when nothing listens', async () => {
    const url = await server(() => {});
    cleanups.splice(0).forEach((cleanup) => cleanup());
    await assert.rejects(dial({ url, token: 't' }), (error: unknown) => {
      assert.ok(error instanceof HoopError);
      assert.equal(error.code, 'HOOP_GATEWAY_UNREACHABLE');
      assert.match(
        error.message,
        /cannot reach the gateway at http:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/,
      );
      return true;
    });
  });

  it('rejects with HOOP_GATEWAY_UNREACHABLE when the upgrade does not finish in time', async () => {
    const url = await server(() => {
      // Never answers.
    });
    await assert.rejects(dial({ url, token: 't', handshakeTimeoutMs: 200 }), /timed out/);
  });
});

describe('refusalError', () => {
  it('reads the gateway’s JSON error', () => {
    const error = refusalError(
      401,
      '{"error":{"code":"HOOP_AUTH_INVALID","message":"unknown API key","hint":"Check HOOP_TOKEN."}}',
    );
    assert.equal(error.code, 'HOOP_AUTH_INVALID');
    assert.equal(error.message, 'unknown API key');
    assert.equal(error.hint, 'Check HOOP_TOKEN.');
  });

  it('names the status when the body is not ours', () => {
    assert.equal(refusalError(401, 'nope').code, 'HOOP_AUTH_INVALID');
    assert.equal(refusalError(502, '').code, 'HOOP_GATEWAY_UNREACHABLE');
    assert.equal(refusalError(502, '').message, 'the gateway answered HTTP 502');
    const other = refusalError(418, '<html>teapot</html>');
    assert.equal(other.code, 'HOOP_BAD_REQUEST');
    assert.equal(other.message, 'the gateway answered HTTP 418: <html>teapot</html>');
    // A JSON body with a code we do not know is not trusted as ours.
    assert.equal(
      refusalError(403, '{"error":{"code":"EVIL","message":"x"}}').code,
      'HOOP_BAD_REQUEST',
    );
  });
});
