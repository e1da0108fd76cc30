import { createHash } from 'node:crypto';
import { HoopError } from '../../../lib/errors.js';
import { oidcError, refusalReason } from './errors.js';
import { getJson, isRecord } from './http.js';

export type UserinfoClaims = Record<string, unknown> & { sub: string };

export interface UserinfoOptions {
  /** The provider's userinfo endpoint, resolved on first use (from discovery). */
  endpoint: () => Promise<URL | undefined>;
  fetch: typeof fetch;
  timeoutMs: number;
  now: () => number;
  /** How long an answer (accepted or refused) is reused. */
  cacheMs: number;
  /** Bound on remembered tokens; the oldest go first. */
  maxEntries: number;
}

export interface Userinfo {
  /** The claims the provider returns for `token`; `fresh` skips the cache (a live session's recheck). */
  claims(token: string, options?: { fresh?: boolean }): Promise<UserinfoClaims>;
}

type Entry = { at: number; claims: UserinfoClaims } | { at: number; error: HoopError };

/**
 * Opaque access tokens, checked by presenting them to the provider's
 * userinfo endpoint (OIDC Core §5.3). Answers are cached briefly under the
 * token's SHA-256, never the token itself; a refusal is cached too, so a
 * replayed revoked token does not reach the provider each time, but an
 * outage is not.
 */
export function createUserinfo(options: UserinfoOptions): Userinfo {
  const cache = new Map<string, Entry>();
  const pending = new Map<string, Promise<UserinfoClaims>>();

  const remember = (key: string, entry: Entry): void => {
    cache.delete(key);
    if (cache.size >= options.maxEntries) {
      const oldest = cache.keys().next();
      if (!oldest.done) cache.delete(oldest.value);
    }
    cache.set(key, entry);
  };

  return {
    claims(token, { fresh = false } = {}) {
      const key = createHash('sha256').update(token, 'utf8').digest('hex');
      const entry = cache.get(key);
      if (!fresh && entry && options.now() - entry.at < options.cacheMs) {
        return 'error' in entry ? Promise.reject(entry.error) : Promise.resolve(entry.claims);
      }
      let request = pending.get(key);
      if (!request) {
        request = ask(token, options)
          .then(
            (claims) => {
              remember(key, { at: options.now(), claims });
              return claims;
            },
            (error: unknown) => {
              if (refusalReason(error) === 'revoked') {
                remember(key, { at: options.now(), error: error as HoopError });
              }
              throw error;
            },
          )
          .finally(() => pending.delete(key));
        pending.set(key, request);
      }
      return request;
    },
  };
}

async function ask(token: string, options: UserinfoOptions): Promise<UserinfoClaims> {
  const endpoint = await options.endpoint();
  if (!endpoint) {
    throw oidcError(
      'malformed',
      'the token is not a JWT, and the identity provider has no userinfo endpoint to check it with',
    );
  }
  let response;
  try {
    response = await getJson(options.fetch, endpoint.href, {
      timeoutMs: options.timeoutMs,
      headers: { authorization: `Bearer ${token}` },
    });
  } catch (cause) {
    throw oidcError(
      'unavailable',
      `the identity provider's userinfo endpoint cannot be reached (${endpoint.href})`,
      { cause },
    );
  }
  // RFC 6750 §3.1: 401 invalid_token (expired, revoked, never valid); 403 is
  // insufficient_scope, still a token this gateway cannot accept.
  if (response.status === 401 || response.status === 403) {
    throw oidcError(
      'revoked',
      'the identity provider does not accept this token (it expired, was revoked or was never valid)',
    );
  }
  if (response.status !== 200) {
    throw oidcError(
      'unavailable',
      `the identity provider's userinfo endpoint answered HTTP ${response.status} (${endpoint.href})`,
    );
  }
  const claims = response.body;
  if (!isRecord(claims) || typeof claims['sub'] !== 'string' || claims['sub'] === '') {
    throw oidcError(
      'unavailable',
      `the identity provider's userinfo response is not a JSON object with a subject (${endpoint.href})`,
    );
  }
  return claims as UserinfoClaims;
}
