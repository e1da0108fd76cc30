// A tiny OpenID provider for the OIDC strategy's tests: real HTTP on
// 127.0.0.1, a discovery document, a key set of keys generated with jose, and
// a userinfo endpoint for opaque tokens. Tests change its state directly
// (published keys, discovery fields, outages) and read its hit counters.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  exportJWK,
  generateKeyPair,
  SignJWT,
  type CryptoKey,
  type JWK,
  type JWTHeaderParameters,
  type JWTPayload,
} from 'jose';
import { HoopError } from '../../../../../src/lib/errors.js';
import {
  OIDC_REFUSALS,
  oidcStrategy,
  type OidcRefusal,
  type OidcStrategyOptions,
} from '../../../../../src/server/auth/oidc/index.js';

/** The tests' clock starts here (ms); token times are set relative to it. */
export const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);
export const T0_SECONDS = T0 / 1000;

export interface SigningKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
}

export interface TestIssuer {
  /** The issuer identifier (with a Keycloak-like path). */
  issuer: string;
  /** Served as the discovery document; tests may change it. */
  discovery: Record<string, unknown>;
  /** The keys the JWKS endpoint serves, in order. */
  published: SigningKey[];
  /** Opaque token → the claims the userinfo endpoint answers with; others get 401. */
  userinfo: Map<string, Record<string, unknown>>;
  hits: { discovery: number; jwks: number; userinfo: number };
  /** When set, every connection is dropped without an answer. */
  down: boolean;
  /** When set, the JWKS endpoint answers this status with no keys. */
  jwksStatus: number | undefined;
  /** A new key (not published until pushed to `published`). */
  newKey(kid: string, alg?: string): Promise<SigningKey>;
  /** The first key, published from the start. */
  key: SigningKey;
  /**
   * A signed token: `iss`, `aud: 'hoop'`, `sub: 'alice'`, `iat` = T0 and
   * `exp` = T0 + 1 h, overridden by `claims` (an `undefined` value drops the claim).
   */
  token(
    claims?: Record<string, unknown>,
    options?: { key?: SigningKey; header?: Partial<JWTHeaderParameters> },
  ): Promise<string>;
  close(): Promise<void>;
}

export async function startIssuer(options: { path?: string } = {}): Promise<TestIssuer> {
  const basePath = options.path ?? '/realms/hoop';
  const root = basePath.replace(/\/$/, '');
  const paths = {
    discovery: `${root}/.well-known/openid-configuration`,
    jwks: `${root}/protocol/openid-connect/certs`,
    userinfo: `${root}/protocol/openid-connect/userinfo`,
  };

  const server = createServer((req, res) => {
    if (state.down) {
      req.socket.destroy();
      return;
    }
    const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === paths.discovery) {
      state.hits.discovery++;
      send(200, state.discovery);
    } else if (path === paths.jwks) {
      state.hits.jwks++;
      if (state.jwksStatus !== undefined) send(state.jwksStatus, { error: 'unavailable' });
      else send(200, { keys: state.published.map((key) => key.publicJwk) });
    } else if (path === paths.userinfo) {
      state.hits.userinfo++;
      const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
      const claims = token === undefined ? undefined : state.userinfo.get(token);
      if (claims) send(200, claims);
      else
        send(
          401,
          { error: 'invalid_token' },
          { 'www-authenticate': 'Bearer error="invalid_token"' },
        );
    } else {
      send(404, { error: 'not_found' });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  const issuer = `${origin}${basePath}`;

  const newKey = async (kid: string, alg = 'RS256'): Promise<SigningKey> => {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
    return { kid, alg, privateKey, publicKey, publicJwk };
  };
  const key = await newKey('key-1');

  const state: TestIssuer = {
    issuer,
    discovery: {
      issuer,
      authorization_endpoint: `${origin}${root}/protocol/openid-connect/auth`,
      token_endpoint: `${origin}${root}/protocol/openid-connect/token`,
      jwks_uri: `${origin}${paths.jwks}`,
      userinfo_endpoint: `${origin}${paths.userinfo}`,
      id_token_signing_alg_values_supported: ['RS256', 'ES256'],
    },
    published: [key],
    userinfo: new Map(),
    hits: { discovery: 0, jwks: 0, userinfo: 0 },
    down: false,
    jwksStatus: undefined,
    newKey,
    key,
    async token(claims = {}, { key: signer = key, header = {} } = {}) {
      const payload: JWTPayload = {
        iss: issuer,
        aud: 'hoop',
        sub: 'alice',
        iat: T0_SECONDS,
        exp: T0_SECONDS + 3600,
      };
      for (const [name, value] of Object.entries(claims)) {
        if (value === undefined) delete payload[name];
        else payload[name] = value;
      }
      return new SignJWT(payload)
        .setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: 'JWT', ...header })
        .sign(signer.privateKey);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return state;
}

/** A controllable clock for `now`, starting at T0. */
export function testClock(): { now: () => number; t: number; advance(seconds: number): void } {
  const clock = {
    t: T0,
    now: () => clock.t,
    advance(seconds: number) {
      clock.t += seconds * 1000;
    },
  };
  return clock;
}

/** The strategy under test, pointed at `idp`, with the test clock and `aud: 'hoop'`. */
export function strategyFor(
  idp: TestIssuer,
  clock: { now: () => number },
  options: Partial<OidcStrategyOptions> = {},
) {
  return oidcStrategy({
    issuer: idp.issuer,
    clientId: 'hoop-cli',
    audience: 'hoop',
    groupsClaim: 'groups',
    now: clock.now,
    ...options,
  });
}

/** Asserts a refusal with the reason's stable code and the given `details.reason`; returns the error. */
export async function assertRefused(
  promise: Promise<unknown>,
  reason: OidcRefusal,
): Promise<HoopError> {
  let caught: unknown;
  await assert.rejects(promise, (error) => {
    caught = error;
    return true;
  });
  assert.ok(caught instanceof HoopError, `expected a HoopError, got ${String(caught)}`);
  assert.equal(caught.code, OIDC_REFUSALS[reason].code);
  assert.equal(caught.details?.['reason'], reason, caught.message);
  assert.ok(caught.hint, 'every refusal carries a hint');
  return caught;
}
