import net from 'node:net';

/** The write size of every generator in the bench, direct or tunnelled alike. */
export const CHUNK = Buffer.alloc(64 * 1024, 0x61);

export interface Target {
  port: number;
  /** Sockets open on the target side now. */
  readonly open: number;
}

export interface Targets {
  /** Counts what it receives; {@link expect} resolves when one connection has delivered N bytes. */
  sink: Target & { expect(bytes: number): Promise<void> };
  /** Sends `size` bytes to each connection as fast as it is read, then ends. */
  source: Target & { size: number };
  /** Echoes every byte back (round trips). */
  echo: Target;
  /** Sends one greeting byte, then holds the connection open and idle. */
  idle: Target;
  close(): Promise<void>;
}

/**
 * The targets the gateway's `tcp` connections point at. They live in the
 * bench process: the direct path and the tunnel reach the same servers.
 */
export async function startTargets(): Promise<Targets> {
  const servers: { server: net.Server; sockets: Set<net.Socket> }[] = [];
  const listen = async (
    onSocket: (socket: net.Socket) => void,
  ): Promise<{ port: number; sockets: Set<net.Socket> }> => {
    const sockets = new Set<net.Socket>();
    const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
      onSocket(socket);
    });
    servers.push({ server, sockets });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { port: (server.address() as net.AddressInfo).port, sockets };
  };
  const target = ({ port, sockets }: { port: number; sockets: Set<net.Socket> }): Target => ({
    port,
    get open() {
      return sockets.size;
    },
  });

  let expectation: { bytes: number; resolve: () => void } | undefined;
  const sink = await listen((socket) => {
    let received = 0;
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (expectation && received >= expectation.bytes) {
        expectation.resolve();
        expectation = undefined;
      }
    });
    socket.on('end', () => socket.end());
  });

  let sourceSize = 0;
  const source = await listen((socket) => {
    let left = sourceSize;
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
    socket.on('data', () => {});
    pump();
  });

  const echo = await listen((socket) => socket.pipe(socket));

  const idle = await listen((socket) => {
    socket.on('end', () => socket.end());
    socket.write('!');
  });

  return {
    sink: {
      port: sink.port,
      get open() {
        return sink.sockets.size;
      },
      expect: (bytes: number) =>
        new Promise<void>((resolve) => {
          expectation = { bytes, resolve };
        }),
    },
    source: {
      port: source.port,
      get open() {
        return source.sockets.size;
      },
      get size() {
        return sourceSize;
      },
      set size(bytes: number) {
        sourceSize = bytes;
      },
    },
    echo: target(echo),
    idle: target(idle),
    close: async () => {
      await Promise.all(
        servers.map(({ server, sockets }) => {
          sockets.forEach((socket) => socket.destroy());
          return new Promise<void>((resolve) => server.close(() => resolve()));
        }),
      );
    },
  };
}
