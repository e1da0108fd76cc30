import http from 'node:http';
import https from 'node:https';
import { HoopError } from '../../lib/errors.js';
import { refusalError } from '../../tunnel/index.js';
import type { GatewayClient } from '../gateway-client.js';

/**
 * A GET whose answer arrives over time (an export, a tail): each complete
 * line goes to `onLine` as it arrives. Resolves when the gateway ends the
 * response; rejects with the gateway's error when it refuses, and with
 * HOOP_GATEWAY_UNREACHABLE when the connection breaks before the end (an
 * export cut short must not look complete).
 */
export function streamLines(
  client: GatewayClient,
  path: string,
  accept: string,
  onLine: (line: string) => void,
  signal?: AbortSignal,
): Promise<void> {
  const url = new URL(`${client.baseUrl}${path}`);
  const unreachable = (error: unknown): HoopError =>
    new HoopError(
      'HOOP_GATEWAY_UNREACHABLE',
      `the gateway at ${client.baseUrl} stopped answering: ${(error as Error).message}`,
      { hint: 'Check that the gateway is running, then retry.', cause: error },
    );
  return new Promise((resolve, reject) => {
    const get = url.protocol === 'https:' ? https.get : http.get;
    const request = get(
      url,
      { headers: { authorization: `Bearer ${client.token}`, accept }, signal },
      (response) => {
        const status = response.statusCode ?? 0;
        response.setEncoding('utf8');
        if (status < 200 || status > 299) {
          let text = '';
          response.on('data', (chunk: string) => (text += chunk));
          response.on('end', () => reject(refusalError(status, text)));
          return;
        }
        let pending = '';
        response.on('data', (chunk: string) => {
          pending += chunk;
          let newline = pending.indexOf('\n');
          while (newline !== -1) {
            onLine(pending.slice(0, newline));
            pending = pending.slice(newline + 1);
            newline = pending.indexOf('\n');
          }
        });
        response.on('end', () => {
          if (!response.complete) reject(unreachable(new Error('the response was cut short')));
          else {
            if (pending) onLine(pending);
            resolve();
          }
        });
        response.on('error', (error) => reject(signal?.aborted ? error : unreachable(error)));
      },
    );
    request.on('error', (error) => reject(signal?.aborted ? error : unreachable(error)));
  });
}
