import net from 'node:net';

export interface TestServer {
  port: number;
  /** Sockets currently open on the server side. */
  sockets: Set<net.Socket>;
  close(): Promise<void>;
}

/** Starts a TCP server on 127.0.0.1 with an ephemeral port; `onSocket` decides what it does. */
export async function startTcpServer(onSocket: (socket: net.Socket) => void): Promise<TestServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    sockets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** An echo server that also echoes the half-close: it ends its side when the client ends. */
export function startEchoServer(): Promise<TestServer> {
  return startTcpServer((socket) => socket.pipe(socket));
}
