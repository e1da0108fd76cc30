import net from 'node:net';

/** The bytes of one client connection, both ways, in arrival order. */
export interface Recording {
  /** Sequence number of the connection (0, 1, …), in accept order. */
  id: number;
  /** Every byte the client received from the tunnel. */
  received: Buffer[];
  /** Every byte the client sent. */
  sent: Buffer[];
}

export interface RecordingRelay {
  port: number;
  /** Every connection so far. */
  recordings: readonly Recording[];
  /** A mark: `receivedSince(mark)` then covers the connections accepted after it. */
  mark(): number;
  /** All bytes clients received on connections accepted since `mark`, in connection order. */
  receivedSince(mark: number): Buffer;
  close(): Promise<void>;
}

/**
 * A TCP relay placed between a client (pg, psql, the raw wire client) and the
 * local tunnel listener, recording every byte the client is sent, so a test
 * can assert on exactly what crossed the wire (data rows, errors, notices,
 * notifications, parameter statuses) rather than on what a driver chose to
 * surface.
 */
export async function startRecordingRelay(
  upstreamPort: number,
  /** Shared by several relays, so one mark covers them all. */
  recordings: Recording[] = [],
): Promise<RecordingRelay> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const recording: Recording = { id: recordings.length, received: [], sent: [] };
    recordings.push(recording);
    const upstream = net.connect({ host: '127.0.0.1', port: upstreamPort });
    sockets.add(client).add(upstream);
    upstream.on('data', (chunk: Buffer) => {
      recording.received.push(Buffer.from(chunk));
      client.write(chunk);
    });
    client.on('data', (chunk: Buffer) => {
      recording.sent.push(Buffer.from(chunk));
      upstream.write(chunk);
    });
    const closeBoth = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    client.on('error', closeBoth);
    upstream.on('error', closeBoth);
    client.on('close', () => sockets.delete(client));
    upstream.on('close', () => sockets.delete(upstream));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    recordings,
    mark: () => recordings.length,
    receivedSince: (mark) =>
      Buffer.concat(recordings.slice(mark).flatMap((recording) => recording.received)),
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
