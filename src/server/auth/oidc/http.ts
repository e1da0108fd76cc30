import { isIP } from 'node:net';

/**
 * True for an https URL, or an http one that is allowed: any host when
 * `allowInsecureHttp` is set, otherwise only a loopback host (a dev IdP or a
 * test issuer on the same machine, where no network sits in between — the
 * same exception RFC 8252 §8.3 makes for loopback redirect URIs).
 */
export function isSecureEnough(url: URL, allowInsecureHttp: boolean): boolean {
  if (url.protocol === 'https:') return true;
  if (url.protocol !== 'http:') return false;
  return allowInsecureHttp || isLoopback(url.hostname);
}

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

export interface JsonResponse {
  status: number;
  /** The parsed body; `undefined` when the status is not 200 or the body is not JSON. */
  body: unknown;
}

/**
 * GET a JSON document. Redirects are not followed (an IdP's metadata,
 * key set and userinfo live at the URLs it published); network errors and
 * timeouts reject, HTTP errors resolve with their status.
 */
export async function getJson(
  fetchImpl: typeof fetch,
  url: string,
  options: { timeoutMs: number; headers?: Record<string, string> },
): Promise<JsonResponse> {
  const response = await fetchImpl(url, {
    method: 'GET',
    redirect: 'manual',
    headers: { accept: 'application/json', ...options.headers },
    signal: AbortSignal.timeout(options.timeoutMs),
  });
  if (response.status !== 200) {
    await response.body?.cancel();
    return { status: response.status, body: undefined };
  }
  const text = await response.text();
  try {
    return { status: 200, body: JSON.parse(text) as unknown };
  } catch {
    return { status: 200, body: undefined };
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
