import http from 'node:http';
import https from 'node:https';

/** A response as the gateway client needs it. */
export interface HttpAnswer {
  status: number;
  /** The body, decoded as UTF-8. */
  text: string;
}

/** As fetch: at most this many redirects (WHATWG Fetch §4.4). */
const MAX_REDIRECTS = 20;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * A GET with node:http(s) instead of fetch. fetch's first call in a process
 * loads undici and compiles its WebAssembly HTTP parser, and the process then
 * waits for that compilation at exit: for a one-shot command (`hoop exec`,
 * one process per query) that was most of its time after start-up. Like
 * fetch it follows redirects, and drops the authorization header when one
 * leads to another origin.
 *
 * @throws the request's error as Node reports it (`code` ECONNREFUSED, …),
 *   or an Error named `TimeoutError` when no whole answer came within `timeoutMs`.
 */
export function httpGet(
  url: URL,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<HttpAnswer> {
  const signal = AbortSignal.timeout(timeoutMs);
  const get = (target: URL, sent: Record<string, string>, redirects: number) =>
    new Promise<HttpAnswer>((resolve, reject) => {
      const fail = (error: Error): void => reject(signal.aborted ? signal.reason : error);
      const client = target.protocol === 'https:' ? https : http;
      const request = client.get(target, { headers: sent, signal }, (response) => {
        const status = response.statusCode ?? 0;
        const location = response.headers.location;
        if (REDIRECTS.has(status) && location !== undefined && redirects < MAX_REDIRECTS) {
          response.resume();
          const next = new URL(location, target);
          const { authorization: _dropped, ...rest } = sent;
          const nextHeaders = next.origin === target.origin ? sent : rest;
          get(next, nextHeaders, redirects + 1).then(resolve, reject);
          return;
        }
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', fail);
        response.on('end', () =>
          resolve({ status, text: new TextDecoder().decode(Buffer.concat(chunks)) }),
        );
      });
      request.on('error', fail);
    });
  return get(url, headers, 0);
}
