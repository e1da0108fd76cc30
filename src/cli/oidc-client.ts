import * as oidc from 'openid-client';
import { HoopError } from '../lib/errors.js';

/** What the gateway says about its identity provider (`GET /api/auth/config`). */
export interface AuthConfig {
  issuer: string;
  clientId: string;
  scopes: string[];
  audience?: string;
  /** People's open sessions need a freshly issued token this often (seconds). */
  revocationWindowSeconds?: number;
}

/** Tokens as the CLI keeps them. */
export interface Tokens {
  accessToken: string;
  refreshToken?: string;
  idToken?: string;
  /** Seconds since the epoch. */
  expiresAt?: number;
  subject?: string;
  email?: string;
}

/** True for loopback hosts, where plain http is acceptable (the dev identity provider). */
function isLoopback(url: URL): boolean {
  return (
    ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname) || url.hostname.startsWith('127.')
  );
}

/**
 * Discovers the identity provider as a public client (device code grant, no
 * secret). Plain http is allowed only on loopback; openid-client refuses it
 * otherwise, as it should.
 */
export async function discover(auth: AuthConfig): Promise<oidc.Configuration> {
  const issuer = new URL(auth.issuer);
  try {
    return await oidc.discovery(issuer, auth.clientId, undefined, oidc.None(), {
      ...(issuer.protocol === 'http:' && isLoopback(issuer)
        ? { execute: [oidc.allowInsecureRequests] }
        : {}),
      timeout: 15,
    });
  } catch (error) {
    throw new HoopError(
      'HOOP_AUTH_UNAVAILABLE',
      `cannot reach the identity provider ${auth.issuer}: ${describe(error)}`,
      {
        hint: 'Check the network, or ask an administrator whether the identity provider is up.',
        cause: error,
      },
    );
  }
}

/** Extra token-request parameters: Auth0 and others take the API as `audience`. */
function audienceParameters(auth: AuthConfig): Record<string, string> {
  return auth.audience ? { audience: auth.audience } : {};
}

/** RFC 8628 §3.1: asks for a device code and user code. */
export async function startDeviceAuthorization(
  config: oidc.Configuration,
  auth: AuthConfig,
): Promise<oidc.DeviceAuthorizationResponse> {
  try {
    return await oidc.initiateDeviceAuthorization(config, {
      scope: auth.scopes.join(' '),
      ...audienceParameters(auth),
    });
  } catch (error) {
    throw new HoopError(
      'HOOP_LOGIN_FAILED',
      `the identity provider refused the device login: ${describe(error)}`,
      {
        hint: 'Ask an administrator to allow the device code grant for the client the gateway names.',
        cause: error,
      },
    );
  }
}

/**
 * RFC 8628 §3.4–3.5: polls the token endpoint, honouring `interval` and
 * `slow_down` (openid-client waits between polls), until the user approves,
 * denies, or the code expires.
 */
export async function waitForDeviceAuthorization(
  config: oidc.Configuration,
  device: oidc.DeviceAuthorizationResponse,
  auth: AuthConfig,
  signal?: AbortSignal,
): Promise<Tokens> {
  try {
    const response = await oidc.pollDeviceAuthorizationGrant(
      config,
      device,
      audienceParameters(auth),
      signal ? { signal } : {},
    );
    return toTokens(response);
  } catch (error) {
    const code = (error as { error?: string }).error;
    const reason =
      code === 'access_denied'
        ? 'the login was denied'
        : code === 'expired_token'
          ? 'the code expired before it was approved'
          : describe(error);
    throw new HoopError('HOOP_LOGIN_FAILED', `login failed: ${reason}`, {
      hint: 'Run `hoop login` again.',
      cause: error,
    });
  }
}

/**
 * Uses the refresh token. No `scope` is sent: some providers (oidc-provider)
 * then issue a token for other scopes in another format.
 */
export async function refreshTokens(
  config: oidc.Configuration,
  refreshToken: string,
  auth: AuthConfig,
): Promise<Tokens> {
  try {
    const response = await oidc.refreshTokenGrant(config, refreshToken, audienceParameters(auth));
    const tokens = toTokens(response);
    // Providers that do not rotate refresh tokens answer without one: keep the old.
    tokens.refreshToken ??= refreshToken;
    return tokens;
  } catch (error) {
    if (error instanceof oidc.ResponseBodyError) {
      throw new HoopError(
        'HOOP_AUTH_REVOKED',
        `your login has expired or was revoked (${error.error})`,
        {
          hint: 'Run `hoop login` again.',
          cause: error,
        },
      );
    }
    throw new HoopError('HOOP_AUTH_UNAVAILABLE', `cannot refresh the login: ${describe(error)}`, {
      hint: 'Check the network, or run `hoop login` again.',
      cause: error,
    });
  }
}

/** RFC 7009 revocation of the refresh token (which ends the whole login at most providers); best effort. */
export async function revoke(config: oidc.Configuration, token: string): Promise<boolean> {
  if (!config.serverMetadata().revocation_endpoint) return false;
  try {
    await oidc.tokenRevocation(config, token, { token_type_hint: 'refresh_token' });
    return true;
  } catch {
    return false;
  }
}

function toTokens(
  response: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers,
): Tokens {
  const tokens: Tokens = { accessToken: response.access_token };
  if (response.refresh_token) tokens.refreshToken = response.refresh_token;
  if (response.id_token) tokens.idToken = response.id_token;
  const expiresIn = response.expiresIn();
  if (expiresIn !== undefined) tokens.expiresAt = Math.floor(Date.now() / 1000) + expiresIn;
  const claims = response.claims();
  if (claims?.sub) tokens.subject = claims.sub;
  if (typeof claims?.['email'] === 'string') tokens.email = claims['email'];
  return tokens;
}

function describe(error: unknown): string {
  if (error instanceof oidc.ResponseBodyError) return error.error_description ?? error.error;
  const cause = (error as { cause?: { code?: string } }).cause;
  return cause?.code ?? (error as Error).message;
}
