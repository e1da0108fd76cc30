import net from 'node:net';
import type { WebSocket } from 'ws';
import { HoopError } from '../lib/errors.js';
import {
  CLOSE_REASONS,
  TunnelClosedError,
  encodeCloseReason,
  type CloseReasonName,
} from './close-reason.js';
import { relay, type RelayResult } from './relay.js';
import { WebSocketStream } from './websocket-stream.js';

export interface LocalListenerOptions {
  host: string;
  port: number;
  /** Opens the tunnel WebSocket for one accepted TCP connection. */
  dial: () => Promise<WebSocket>;
  /**
   * Readies an accepted connection before its bytes go through the tunnel,
   * while the tunnel opens: resolves with the stream to tunnel instead of
   * the socket (`hoop connect` answers PostgreSQL's SSLRequest here and
   * ends TLS locally), or rejects when the client failed or left. The
   * socket comes paused; what the function leaves unread is tunnelled.
   */
  prepare?: (socket: net.Socket) => Promise<net.Socket>;
  pingIntervalMs?: number;
  highWaterMark?: number;
  /**
   * How long {@link LocalListener.close} waits for the gateway to answer the
   * tunnels' close frames before cutting them (default 2 s); ws alone would
   * wait 30 s, and a gateway that hangs must not hold up Ctrl-C.
   */
  closeTimeoutMs?: number;
  /** Called once per accepted connection when its tunnel has closed. */
  onTunnelClosed?: (event: TunnelClosedEvent) => void;
}

export interface TunnelClosedEvent {
  /** `address:port` of the local client. */
  client: string;
  /** How the tunnel ended; `error` is set when it never opened. */
  result?: RelayResult;
  error?: Error;
}

export interface LocalListener {
  /** The bound address (useful with port 0). */
  readonly address: net.AddressInfo;
  /** Number of tunnels currently open. */
  readonly active: number;
  /** Hands a refreshed bearer token to every open tunnel, so they outlive the token they opened with. */
  sendToken(token: string): void;
  /** Stops accepting and closes every open tunnel with `client_shutdown`. */
  close(): Promise<void>;
}

/**
 * The CLI side of `hoop connect`: a local TCP listener that opens one tunnel
 * per accepted connection. A connection whose tunnel fails (refused, gateway
 * down, port scanner that connects and drops) ends alone; the listener keeps
 * serving until closed.
 */
export async function startLocalListener(options: LocalListenerOptions): Promise<LocalListener> {
  const open = new Set<Tunnel>();
  // allowHalfOpen: a client's FIN travels to the target as an eof, and the
  // target may still answer (RFC 9293 half-close).
  const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
    const entry: Tunnel = { socket };
    open.add(entry);
    const client = `${socket.remoteAddress}:${socket.remotePort}`;
    const done = (event: Omit<TunnelClosedEvent, 'client'>): void => {
      open.delete(entry);
      options.onTunnelClosed?.({ client, ...event });
    };
    // Hold the client's bytes until the tunnel is up.
    socket.pause();
    let clientGone: Error | undefined;
    const onEarlyError = (error: Error): void => {
      clientGone = error;
    };
    socket.on('error', onEarlyError);
    const preparing = options.prepare ? options.prepare(socket) : Promise.resolve(socket);
    void Promise.allSettled([options.dial(), preparing]).then(([dialed, prepared]) => {
      socket.off('error', onEarlyError);
      const local = prepared.status === 'fulfilled' ? prepared.value : socket;
      entry.client = local;
      if (dialed.status === 'rejected') {
        socket.on('error', () => {});
        local.on('error', () => {});
        local.destroy();
        socket.destroy();
        done({ error: dialed.reason as Error });
        return;
      }
      const ws = dialed.value;
      const failed = prepared.status === 'rejected' ? (prepared.reason as Error) : undefined;
      if (clientGone || failed || socket.destroyed) {
        // Tell the gateway why, so the session it recorded ends with the
        // right reason: a reset, a client that left or failed while its
        // connection was readied, or our own shutdown destroyed the socket.
        const reason = clientGone
          ? clientError(clientGone)
          : failed
            ? clientError(failed, 'client_closed')
            : new TunnelClosedError('client_shutdown');
        // dial hands the WebSocket over paused; the gateway's closing frame must be read.
        ws.resume();
        ws.close(
          CLOSE_REASONS[reason.reason].code,
          encodeCloseReason(reason.reason, reason.detail),
        );
        socket.on('error', () => {});
        socket.destroy();
        done({
          error:
            clientGone ??
            failed ??
            new Error('the local client went away before the tunnel opened'),
        });
        return;
      }
      const stream = new WebSocketStream(ws, {
        vanished: 'gateway_vanished',
        ...(options.pingIntervalMs === undefined ? {} : { pingIntervalMs: options.pingIntervalMs }),
        ...(options.highWaterMark === undefined ? {} : { highWaterMark: options.highWaterMark }),
      });
      entry.stream = stream;
      entry.ws = ws;
      stream.on('error', () => {});
      relay(
        {
          stream: local,
          classify: (error) => clientError(error),
          endedFirst: 'client_closed',
          vanished: 'client_vanished',
          // Pass a target reset on as a TCP reset, so the client sees the same thing it would see directly.
          abort: (error) => {
            resetOrDestroy(socket, error.reason);
            if (local !== socket) local.destroy();
          },
        },
        {
          stream,
          classify: (error) => new TunnelClosedError('internal_error', error.message),
          endedFirst: 'target_closed',
          vanished: 'gateway_vanished',
          closedCleanly: () => stream.closedCleanly,
        },
      ).then((result) => done({ result }));
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        new HoopError(
          'HOOP_PORT_UNAVAILABLE',
          `cannot listen on ${options.host}:${options.port}: ${error.code === 'EADDRINUSE' ? 'the port is in use' : error.message}`,
          { hint: 'Choose another port with --port, or stop what is using it.', cause: error },
        ),
      );
    });
    server.listen(options.port, options.host, () => resolve());
  });
  server.on('error', () => {
    // After listen, accept errors (EMFILE …) affect one connection only.
  });

  return {
    address: server.address() as net.AddressInfo,
    get active() {
      return open.size;
    },
    sendToken(token) {
      for (const entry of open) entry.stream?.sendToken(token);
    },
    async close() {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      const closing: WebSocket[] = [];
      for (const entry of open) {
        if (entry.stream) entry.stream.closeWith('client_shutdown');
        entry.client?.destroy();
        entry.socket.destroy();
        if (entry.ws && entry.ws.readyState !== entry.ws.CLOSED) closing.push(entry.ws);
      }
      // The gateway records `client_shutdown` from our close frame; give its
      // answer a moment, then cut what is left.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(closing.map((ws) => new Promise((resolve) => ws.once('close', resolve)))),
        new Promise((resolve) => (timer = setTimeout(resolve, options.closeTimeoutMs ?? 2_000))),
      ]);
      clearTimeout(timer);
      for (const ws of closing) ws.terminate();
      await stopped;
    },
  };
}

/** One accepted connection; `client` (what `prepare` made of it), `stream` and `ws` once its tunnel is open. */
interface Tunnel {
  socket: net.Socket;
  client?: net.Socket;
  stream?: WebSocketStream;
  ws?: WebSocket;
}

function clientError(
  error: NodeJS.ErrnoException,
  otherwise: CloseReasonName = 'internal_error',
): TunnelClosedError {
  return new TunnelClosedError(
    error.code === 'ECONNRESET' || error.code === 'EPIPE' ? 'client_reset' : otherwise,
    error.message,
  );
}

function resetOrDestroy(socket: net.Socket, reason: CloseReasonName): void {
  if (reason === 'target_reset' || reason === 'target_refused') socket.resetAndDestroy();
  else socket.destroy();
}
