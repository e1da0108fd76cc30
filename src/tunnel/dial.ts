import { WebSocket } from 'ws';
import { HoopError, isErrorCode } from '../lib/errors.js';

export interface DialOptions {
  /** `ws:` or `wss:` URL of the tunnel endpoint. */
  url: string;
  token: string;
  /** Largest frame accepted from the gateway. */
  maxPayload?: number;
  /** Milliseconds allowed for the TCP connect and the upgrade. */
  handshakeTimeoutMs?: number;
}

/** RFC 6455 masks client frames against proxy cache poisoning by browser scripts; a CLI has none, and an all-zero mask lets `ws` skip the copy. */
function zeroMask(mask: Buffer): void {
  mask.fill(0);
}

/**
 * Opens a tunnel WebSocket to the gateway. Resolves once the upgrade
 * succeeded; a refusal before the upgrade (401, 403, 404 …) rejects with the
 * gateway's own error code and message, so the CLI can print its advice.
 *
 * The WebSocket comes paused: frames that arrived with the 101 response (a
 * target that speaks first) would otherwise be emitted on the next tick,
 * before a promise continuation can attach a reader, and be lost. A
 * `WebSocketStream` resumes it.
 */
export function dial(options: DialOptions): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(options.url, {
      headers: { authorization: `Bearer ${options.token}` },
      perMessageDeflate: false,
      maxPayload: options.maxPayload ?? 16 * 1024 * 1024,
      handshakeTimeout: options.handshakeTimeoutMs ?? 15_000,
      generateMask: zeroMask,
    });
    const onError = (error: Error & { code?: string }): void => {
      cleanup();
      reject(
        new HoopError(
          'HOOP_GATEWAY_UNREACHABLE',
          `cannot reach the gateway at ${gatewayOrigin(options.url)}: ${error.message}`,
          {
            hint: 'Check that the gateway is running and HOOP_GATEWAY points at it.',
            cause: error,
          },
        ),
      );
    };
    const onOpen = (): void => {
      cleanup();
      ws.pause();
      resolve(ws);
    };
    const onUnexpected = (
      _request: unknown,
      response: import('node:http').IncomingMessage,
    ): void => {
      cleanup();
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        ws.terminate();
        reject(refusalError(response.statusCode ?? 0, Buffer.concat(chunks).toString('utf8')));
      });
      response.on('error', onError);
    };
    const cleanup = (): void => {
      ws.off('error', onError);
      ws.off('open', onOpen);
      ws.off('unexpected-response', onUnexpected);
      // Errors after the handshake belong to the stream that takes over.
      ws.on('error', () => {});
    };
    ws.once('error', onError);
    ws.once('open', onOpen);
    ws.once('unexpected-response', onUnexpected);
  });
}

/** The gateway's address as the user gave it (`http(s)://`), not the `ws(s)://` of its tunnel. */
function gatewayOrigin(url: string): string {
  const parsed = new URL(url);
  parsed.protocol = parsed.protocol === 'wss:' ? 'https:' : 'http:';
  return parsed.origin;
}

/** Turns a gateway error response (`{"error":{"code","message","hint"}}`) into a HoopError. */
export function refusalError(status: number, body: string): HoopError {
  try {
    const parsed = JSON.parse(body) as {
      error?: { code?: unknown; message?: unknown; hint?: unknown };
    };
    const { code, message, hint } = parsed.error ?? {};
    if (isErrorCode(code) && typeof message === 'string') {
      return new HoopError(code, message, typeof hint === 'string' ? { hint } : {});
    }
  } catch {
    // Not our JSON: fall through to a generic error naming the status.
  }
  const code =
    status === 401
      ? 'HOOP_AUTH_INVALID'
      : status >= 500
        ? 'HOOP_GATEWAY_UNREACHABLE'
        : 'HOOP_BAD_REQUEST';
  return new HoopError(
    code,
    `the gateway answered HTTP ${status}${body ? `: ${body.slice(0, 200)}` : ''}`,
  );
}
