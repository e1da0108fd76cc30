import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';
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
  if (error.status === 401) res.setHeader('www-authenticate', 'Bearer realm="hoop"');
  sendJson(res, error.status, error.toJSON());
}

/**
 * Refuses a WebSocket upgrade with a real HTTP response and a JSON body, as
 * RFC 6455 §4.2.2 allows before the handshake completes, then closes.
 */
export function refuseUpgrade(socket: Duplex, error: HoopError): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify(error.toJSON());
  const headers = [
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? ''}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...(error.status === 401 ? ['WWW-Authenticate: Bearer realm="hoop"'] : []),
    'Connection: close',
  ];
  socket.end(`${headers.join('\r\n')}\r\n\r\n${body}`);
}

/** Maps anything thrown inside a request to a HoopError; unknown errors become HOOP_INTERNAL without leaking details. */
export function toHoopError(error: unknown): HoopError {
  if (error instanceof HoopError) return error;
  return new HoopError('HOOP_INTERNAL', 'internal error', { cause: error });
}
