import {
  createLocalJWKSet,
  errors,
  type CryptoKey,
  type FlattenedJWSInput,
  type JSONWebKeySet,
  type JWSHeaderParameters,
} from 'jose';
import { HoopError } from '../../../lib/errors.js';
import { oidcError } from './errors.js';
import { getJson } from './http.js';

export interface KeySetOptions {
  /** Where the keys are; resolved on first use (from discovery). */
  jwksUri: () => Promise<URL>;
  fetch: typeof fetch;
  timeoutMs: number;
  now: () => number;
  /** Keys older than this are fetched again before use, so a key the provider removed stops working. */
  maxAgeMs: number;
  /** An unknown `kid` triggers a refetch at most this often (a flood of made-up kids must not hammer the provider). */
  cooldownMs: number;
  /** After a failed fetch, requests fail fast for this long instead of each trying again. */
  failureBackoffMs: number;
}

export type KeyResolver = (
  header: JWSHeaderParameters,
  token: FlattenedJWSInput,
) => Promise<CryptoKey>;

export interface KeySet {
  getKey: KeyResolver;
}

/**
 * The provider's signing keys (RFC 7517 key set), cached. jose's
 * `createRemoteJWKSet` does the same but measures time with `Date.now()` and
 * its cooldown only from successful fetches; this one takes the strategy's
 * clock and also backs off after failures. Key selection (kid, alg, kty,
 * use, key_ops) is jose's `createLocalJWKSet`.
 */
export function createKeySet(options: KeySetOptions): KeySet {
  let local: ReturnType<typeof createLocalJWKSet> | undefined;
  let fetchedAt = Number.NEGATIVE_INFINITY;
  let attemptedAt = Number.NEGATIVE_INFINITY;
  let failure: HoopError | undefined;
  let pending: Promise<void> | undefined;

  const reload = (): Promise<void> => {
    if (failure && options.now() - attemptedAt < options.failureBackoffMs) {
      return Promise.reject(failure);
    }
    pending ??= fetchKeys()
      .then(
        (next) => {
          local = next;
          fetchedAt = options.now();
          failure = undefined;
        },
        (error: HoopError) => {
          failure = error;
          throw error;
        },
      )
      .finally(() => (pending = undefined));
    return pending;
  };

  const fetchKeys = async (): Promise<ReturnType<typeof createLocalJWKSet>> => {
    attemptedAt = options.now();
    const url = await options.jwksUri();
    let response;
    try {
      response = await getJson(options.fetch, url.href, { timeoutMs: options.timeoutMs });
    } catch (cause) {
      throw oidcError(
        'unavailable',
        `the identity provider's key set cannot be fetched (${url.href})`,
        {
          cause,
        },
      );
    }
    if (response.status !== 200) {
      throw oidcError(
        'unavailable',
        `the identity provider's key set answered HTTP ${response.status} (${url.href})`,
      );
    }
    try {
      return createLocalJWKSet(response.body as JSONWebKeySet);
    } catch (cause) {
      throw oidcError('unavailable', `the identity provider's key set is malformed (${url.href})`, {
        cause,
      });
    }
  };

  const getKey: KeyResolver = async (header, token) => {
    if (!local || options.now() - fetchedAt >= options.maxAgeMs) await reload();
    try {
      return await local!(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
      // An unknown kid may be a key the provider just rotated in (RFC 7517
      // §4.5): fetch again, unless that was tried a moment ago.
      if (pending) await pending;
      else if (options.now() - attemptedAt >= options.cooldownMs) await reload();
      else throw error;
      return local!(header, token);
    }
  };

  return { getKey };
}
