import { once } from 'node:events';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type ClientOptions } from 'ws';

/**
 * Two ends of one real loopback TCP connection, both allowing half-open, so
 * that a test can drive one end and hand the other to the code under test.
 */
export async function socketPair(): Promise<[net.Socket, net.Socket]> {
  const server = net.createServer({ allowHalfOpen: true });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  const accepted = once(server, 'connection') as Promise<[net.Socket]>;
  const outer = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  const [[inner]] = await Promise.all([accepted, once(outer, 'connect')]);
  server.close();
  return [outer, inner];
}

/** Everything a stream sends until it ends, or the error that ended it. */
export function readAll(socket: Duplex): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('end', () => resolve(Buffer.concat(chunks)));
    socket.once('error', reject);
    socket.resume();
    // After 'end' this is a no-op; without one, the socket was cut off.
    socket.once('close', () => reject(new Error('closed before the end of the stream')));
  });
}

/** A connected WebSocket pair over loopback: `server` as the gateway holds it, `client` as `dial` opens it. */
export async function webSocketPair(
  options: { maxPayload?: number; clientOptions?: ClientOptions } = {},
): Promise<{ server: WebSocket; client: WebSocket; close(): void }> {
  const wss = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    perMessageDeflate: false,
    ...(options.maxPayload === undefined ? {} : { maxPayload: options.maxPayload }),
  });
  await once(wss, 'listening');
  const { port } = wss.address() as net.AddressInfo;
  const accepted = once(wss, 'connection') as Promise<[WebSocket]>;
  const client = new WebSocket(`ws://127.0.0.1:${port}/`, {
    perMessageDeflate: false,
    ...options.clientOptions,
  });
  const [[server]] = await Promise.all([accepted, once(client, 'open')]);
  return {
    server,
    client,
    close() {
      client.terminate();
      server.terminate();
      wss.close();
    },
  };
}
