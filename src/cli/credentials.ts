import { HoopError } from '../lib/errors.js';
import type { AuthConfig } from './oidc-client.js';
import { configDir } from './settings.js';
import type { StoredLogin, TokenStore } from './token-store.js';

/** Refresh this long before the access token expires, so a request never carries one that dies in flight. */
const REFRESH_MARGIN_SECONDS = 30;

export interface Credentials {
  /** The bearer token for the next request. */
  token: string;
  source: 'HOOP_TOKEN' | 'login';
  /** For a stored login: when the access token expires (seconds since the epoch). */
  expiresAt?: number;
}

/**
 * The bearer token for a gateway. `HOOP_TOKEN` (an API key or a token from
 * the identity provider) replaces any stored login: the way agents and CI
 * authenticate. Otherwise the login stored by `hoop login` is used, refreshed
 * silently when it is about to expire; only a failed refresh asks the user to
 * log in again.
 */
export async function resolveCredentials(
  gateway: string,
  env: NodeJS.ProcessEnv = process.env,
  options: { forceRefresh?: boolean } = {},
): Promise<Credentials> {
  const token = env.HOOP_TOKEN?.trim();
  if (token) return { token, source: 'HOOP_TOKEN' };
  // Loaded here, not above: with HOOP_TOKEN (agents, one process per `hoop exec`) neither the
  // store nor the OIDC client is needed, and their modules cost start-up time.
  const { openTokenStore } = await import('./token-store.js');
  const store = await openTokenStore(configDir(env), env);
  const login = await store.load(gateway);
  if (!login) {
    throw new HoopError('HOOP_AUTH_MISSING', `not logged in to ${gateway}`, {
      hint: 'Run `hoop login`, or set HOOP_TOKEN to an API key.',
    });
  }
  const fresh = await ensureFresh(login, store, options.forceRefresh);
  return {
    token: fresh.accessToken,
    source: 'login',
    ...(fresh.expiresAt === undefined ? {} : { expiresAt: fresh.expiresAt }),
  };
}

export async function resolveToken(
  gateway: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  return (await resolveCredentials(gateway, env)).token;
}

/** Returns the login as is while its access token is fresh; otherwise refreshes and stores it. */
export async function ensureFresh(
  login: StoredLogin,
  store: TokenStore,
  force = false,
): Promise<StoredLogin> {
  const now = Math.floor(Date.now() / 1000);
  if (!force && (login.expiresAt === undefined || login.expiresAt - REFRESH_MARGIN_SECONDS > now))
    return login;
  if (!login.refreshToken) {
    throw new HoopError('HOOP_AUTH_EXPIRED', 'your login has expired', {
      hint: 'Run `hoop login` again.',
    });
  }
  const auth: AuthConfig = {
    issuer: login.issuer,
    clientId: login.clientId,
    scopes: [],
    ...(login.audience ? { audience: login.audience } : {}),
  };
  const { discover, refreshTokens } = await import('./oidc-client.js');
  const tokens = await refreshTokens(await discover(auth), login.refreshToken, auth);
  const refreshed: StoredLogin = { ...login, ...tokens };
  await store.save(refreshed);
  return refreshed;
}
