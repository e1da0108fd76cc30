import { looksLikeApiKey } from '../../../lib/api-key.js';
import { HoopError } from '../../../lib/errors.js';
import { namespaceProblem } from '../identity.js';
import type { AuthStrategy } from '../strategy.js';
import { actorChain, identityFromClaims, type OidcIdentity } from './claims.js';
import { createDiscovery } from './discovery.js';
import { oidcError } from './errors.js';
import { isSecureEnough } from './http.js';
import { createKeySet } from './jwks.js';
import { jwtHeader, verifyJwt } from './jwt.js';
import { createUserinfo } from './userinfo.js';

export type { OidcIdentity } from './claims.js';
export { OIDC_REFUSALS, type OidcRefusal } from './errors.js';

/** Asymmetric JWS algorithms (RFC 7518 §3.1, RFC 8037): never `none`, never HMAC. */
export const DEFAULT_ALGORITHMS = [
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA',
] as const; // prettier-ignore

/** RFC 6750 §2.1 `b64token`: what an opaque token may contain before it is sent to userinfo. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

const ACCEPTABLE_ALGORITHMS: ReadonlySet<string> = new Set([...DEFAULT_ALGORITHMS, 'Ed25519']);

export interface OidcStrategyOptions {
  /** The provider's issuer identifier, exactly as its discovery document and tokens spell it. */
  issuer: string;
  /** The `aud` tokens must carry; defaults to `clientId` (the ID-token shape). */
  audience?: string;
  clientId: string;
  /** Where the groups are: a claim name (`groups`, `https://example.com/groups`) or a dotted path (`realm_access.roles`). */
  groupsClaim: string;
  /** Accepted signature algorithms; default {@link DEFAULT_ALGORITHMS}. `none` and `HS*` are refused. */
  algorithms?: string[];
  /** Allowed clock skew for `exp` and `nbf`; default 30. */
  clockToleranceSeconds?: number;
  /** How long a userinfo answer for an opaque token is reused; default 30. */
  userinfoCacheSeconds?: number;
  /** Opaque tokens remembered at once; default 10 000. */
  userinfoCacheMaxEntries?: number;
  /** Signing keys are fetched again after this long, so removed keys stop working; default 600. */
  jwksCacheSeconds?: number;
  /** An unknown `kid` refetches the key set at most this often; default 10. */
  jwksRefetchCooldownSeconds?: number;
  /** Timeout of each request to the provider; default 5000. */
  httpTimeoutMs?: number;
  /** Longer tokens are refused unread; default 16 384. */
  maxTokenBytes?: number;
  /** Longest RFC 8693 actor chain accepted; default 4. */
  maxDelegationDepth?: number;
  /**
   * Whether `actors` (current actor first) may act for `subject` (RFC 8693
   * `act` claim). Without it every delegated token is refused.
   */
  allowDelegation?: (subject: string, actors: readonly string[]) => boolean | Promise<boolean>;
  fetch?: typeof fetch;
  /**
   * Allow plain-http provider URLs on hosts other than loopback. Loopback
   * (`localhost`, 127.0.0.0/8, `::1`) is always allowed for dev IdPs and
   * tests; anything else must be https unless this is set.
   */
  allowInsecureHttp?: boolean;
  /** The clock, in milliseconds since the epoch; default `Date.now`. */
  now?: () => number;
}

export interface OidcStrategy extends AuthStrategy {
  readonly name: 'oidc';
  /**
   * The identity for an OIDC token: a JWT verified against the provider's
   * keys, or an opaque token the provider's userinfo endpoint accepts.
   * `undefined` for an API key (another strategy's); throws a HoopError with
   * `details.reason` for anything refused.
   */
  authenticate(token: string): Promise<OidcIdentity | undefined>;
  /**
   * Checks again a token a live session was opened with: a JWT against the
   * clock and the current key set, an opaque token at the userinfo endpoint,
   * bypassing the cache, so that expiry and revocation end the session.
   */
  recheck(token: string): Promise<OidcIdentity>;
}

/** Authenticates bearer tokens issued by one OpenID Connect provider. */
export function oidcStrategy(options: OidcStrategyOptions): OidcStrategy {
  const issuer = checkIssuer(options.issuer, options.allowInsecureHttp ?? false);
  const algorithms = checkAlgorithms(options.algorithms ?? [...DEFAULT_ALGORITHMS]);
  const audience = options.audience ?? options.clientId;
  const now = options.now ?? Date.now;
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.httpTimeoutMs ?? 5000;
  const maxTokenBytes = options.maxTokenBytes ?? 16_384;
  const maxDelegationDepth = options.maxDelegationDepth ?? 4;
  const allowDelegation = options.allowDelegation ?? (() => false);

  const metadata = createDiscovery({
    issuer,
    fetch: fetchImpl,
    timeoutMs,
    allowInsecureHttp: options.allowInsecureHttp ?? false,
  });
  const keys = createKeySet({
    jwksUri: async () => (await metadata()).jwksUri,
    fetch: fetchImpl,
    timeoutMs,
    now,
    maxAgeMs: (options.jwksCacheSeconds ?? 600) * 1000,
    cooldownMs: (options.jwksRefetchCooldownSeconds ?? 10) * 1000,
    failureBackoffMs: 1000,
  });
  const userinfo = createUserinfo({
    endpoint: async () => (await metadata()).userinfoEndpoint,
    fetch: fetchImpl,
    timeoutMs,
    now,
    cacheMs: (options.userinfoCacheSeconds ?? 30) * 1000,
    maxEntries: options.userinfoCacheMaxEntries ?? 10_000,
  });

  const check = async (token: string, fresh: boolean): Promise<OidcIdentity> => {
    if (Buffer.byteLength(token, 'utf8') > maxTokenBytes) {
      throw oidcError('too_large', `the token is longer than ${maxTokenBytes} bytes`);
    }
    const header = jwtHeader(token);
    if (!header && !B64TOKEN.test(token)) {
      throw oidcError('malformed', 'the token is neither a JWT nor an RFC 6750 bearer token');
    }
    const claims = header
      ? await verifyJwt(token, header, {
          issuer,
          audience,
          algorithms,
          clockToleranceSeconds: options.clockToleranceSeconds ?? 30,
          now,
          getKey: keys.getKey,
        })
      : await userinfo.claims(token, { fresh });
    const actors = actorChain(claims, maxDelegationDepth);
    const jti = typeof claims['jti'] === 'string' ? claims['jti'] : undefined;
    // A provider identity never takes a subject of another kind's namespace
    // (`apikey:agent-1` is the API key's): src/lib/principal.ts.
    const problem = namespaceProblem('oidc', claims.sub, actors);
    if (problem !== undefined) {
      throw oidcError('reserved_subject', problem, {
        subject: claims.sub,
        ...(jti === undefined ? {} : { jti }),
      });
    }
    if (actors && (await allowDelegation(claims.sub, [...actors])) !== true) {
      throw oidcError(
        'delegation_denied',
        'the token is delegated (RFC 8693 "act" claim) and this actor may not act for this subject',
        { subject: claims.sub, ...(jti === undefined ? {} : { jti }) },
      );
    }
    return identityFromClaims(claims, {
      groupsClaim: options.groupsClaim,
      tokenKind: header ? 'jwt' : 'opaque',
      ...(actors ? { actors } : {}),
      ...(header && typeof claims['exp'] === 'number'
        ? { expiresAt: new Date(claims['exp'] * 1000) }
        : {}),
      ...(header && typeof claims['iat'] === 'number'
        ? { issuedAt: new Date(claims['iat'] * 1000) }
        : {}),
    });
  };

  return {
    name: 'oidc',
    async authenticate(token) {
      if (looksLikeApiKey(token)) return undefined;
      return check(token, false);
    },
    async recheck(token) {
      if (looksLikeApiKey(token)) {
        throw oidcError('malformed', 'the token is an API key, not an OIDC token');
      }
      return check(token, true);
    },
  };
}

function checkIssuer(issuer: string, allowInsecureHttp: boolean): string {
  // OIDC Core §2 (iss): an https URL with no query or fragment.
  const url = URL.canParse(issuer) ? new URL(issuer) : undefined;
  if (!url || url.search !== '' || url.hash !== '' || !isSecureEnough(url, allowInsecureHttp)) {
    throw new HoopError(
      'HOOP_CONFIG_INVALID',
      `auth.oidc.issuer ${JSON.stringify(issuer)} is not an https URL without query or fragment`,
      {
        hint: 'Use the issuer exactly as the identity provider publishes it, e.g. https://idp.example.com/realms/main.',
      },
    );
  }
  return issuer;
}

function checkAlgorithms(algorithms: readonly string[]): string[] {
  const refused = algorithms.filter((alg) => !ACCEPTABLE_ALGORITHMS.has(alg));
  if (algorithms.length === 0 || refused.length > 0) {
    throw new HoopError(
      'HOOP_CONFIG_INVALID',
      algorithms.length === 0
        ? 'no token signature algorithm is accepted'
        : `token signature algorithm(s) ${refused.join(', ')} cannot be accepted`,
      {
        hint: `Choose from ${[...ACCEPTABLE_ALGORITHMS].join(', ')}; "none" and HMAC (HS*) algorithms are never accepted.`,
      },
    );
  }
  return [...algorithms];
}
