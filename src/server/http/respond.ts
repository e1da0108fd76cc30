import { STATUS_CODES, ServerResponse, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { HoopError } from '../../lib/errors.js';

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

export function sendError(res: ServerResponse, error: HoopError): void {
  const challenge = wwwAuthenticate(error);
  if (challenge) res.setHeader('www-authenticate', challenge);
  sendJson(res, error.status, error.toJSON());
}

/**
 * The challenge a 401 carries (RFC 9110 §11.6.1). Per RFC 6750 §3.1 a request
 * that sent no credentials gets no error code; one whose token was refused
 * gets `invalid_token`.
 */
export function wwwAuthenticate(error: HoopError): string | undefined {
  if (error.status !== 401) return undefined;
  return error.code === 'HOOP_AUTH_MISSING'
    ? 'Bearer realm="hoop"'
    : 'Bearer realm="hoop", error="invalid_token"';
}

/**
 * Refuses a WebSocket upgrade with a real HTTP response and a JSON body, as
 * RFC 6455 §4.2.2 allows before the handshake completes, then closes.
 */
export function refuseUpgrade(socket: Duplex, error: HoopError): void {
  const challenge = wwwAuthenticate(error);
  endRaw(socket, error.status, error.toJSON(), challenge ? [`WWW-Authenticate: ${challenge}`] : []);
}

/**
 * Answers a request Node's HTTP parser rejected (the server's `clientError`):
 * 431 for oversized headers, 408 for a request that took too long, 400
 * otherwise, with the same JSON error body as every other refusal. A client
 * that reset the connection gets nothing.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const status =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? 431
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? 408
        : 400;
  const message =
    status === 431
      ? 'the request headers are too large'
      : status === 408
        ? 'the request took too long to arrive'
        : 'the request is not valid HTTP/1.1';
  endRaw(socket, status, new HoopError('HOOP_BAD_REQUEST', message).toJSON());
}

/**
 * Serves an ordinary request that arrived with an `Upgrade` header the
 * gateway does not take (`curl --http2` asks for `h2c` on every request):
 * RFC 9110 §7.8 lets a server ignore the upgrade and answer in HTTP/1.1.
 * Node hands such requests to the `upgrade` listener with a bare socket, so
 * the response is attached to it by hand and the connection closed after.
 */
export function serveWithoutUpgrade(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  req: IncomingMessage,
  socket: Duplex,
): void {
  const res = new ServerResponse(req);
  res.shouldKeepAlive = false;
  res.assignSocket(socket as Socket);
  res.once('finish', () => {
    res.detachSocket(socket as Socket);
    socket.end();
  });
  handler(req, res);
}

/** Maps anything thrown inside a request to a HoopError; unknown errors become HOOP_INTERNAL without leaking details. */
export function toHoopError(error: unknown): HoopError {
  if (error instanceof HoopError) return error;
  return new HoopError('HOOP_INTERNAL', 'internal error', { cause: error });
}

/** Writes a whole HTTP/1.1 response with a JSON body on a socket no ServerResponse owns, then closes it. */
function endRaw(socket: Duplex, status: number, body: unknown, headers: string[] = []): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const text = JSON.stringify(body);
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(text)}`,
    'Cache-Control: no-store',
    ...headers,
    'Connection: close',
  ];
  socket.end(`${head.join('\r\n')}\r\n\r\n${text}`);
}
