import type {
  ClientMetadata,
  Configuration,
  ErrorOut,
  KoaContextWithOIDC,
  Token,
  UnknownObject,
} from 'oidc-provider';
import type { Directory, DevUser } from './accounts.js';
import type { SigningAlg } from './keys.js';
import { INTERACTION_PREFIX } from './interactions.js';
import { deviceCodeInputPage, deviceConfirmPage, deviceSuccessPage, errorPage } from './pages.js';

const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** Everything the provider configuration is built from; fixed for the IdP's life except `jwks`. */
export interface ProviderSettings {
  directory: Directory;
  /** The RFC 8707 resource indicator that stands for `audience`. */
  resource: string;
  audience: string;
  cliClientId: string;
  gatewayClient: { clientId: string; clientSecret: string };
  groupsClaim: string;
  alg: SigningAlg;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  deviceCodeTtlSeconds: number;
  cookieKeys: string[];
  adapter: NonNullable<Configuration['adapter']>;
  jwks: NonNullable<Configuration['jwks']>;
  invalidTarget: () => Error;
  /** What the pages call a client. */
  clientName: (clientId: string) => string;
}

/**
 * oidc-provider's configuration for the development IdP. Every hook the
 * library would otherwise warn about ("you SHOULD/MUST change it") is set,
 * so a start prints nothing but our own warning.
 *
 * Token shapes:
 * - Every access token for the audience is a JWT (resource indicators with
 *   `accessTokenFormat: 'jwt'`), also when the client names no `resource`:
 *   `defaultResource` supplies it at the device authorization request and
 *   `useGrantedResource` carries it to the token and refresh requests.
 * - A token request that names its own `scope` (a refresh narrowed to
 *   `openid profile email`, say) without a `resource` gets oidc-provider's
 *   opaque, audience-less token instead: the only kind its userinfo endpoint
 *   accepts and the only kind introspection can look up, because JWT access
 *   tokens are not stored.
 */
export function providerConfiguration(settings: ProviderSettings): Configuration {
  const { directory, groupsClaim } = settings;
  const userClaims = (user: DevUser): UnknownObject => ({
    email: user.email,
    name: user.name,
    preferred_username: user.username,
    [groupsClaim]: [...user.groups],
  });
  const clientName = (ctx: KoaContextWithOIDC) =>
    settings.clientName(ctx.oidc.client?.clientId ?? '');

  return {
    adapter: settings.adapter,
    jwks: settings.jwks,
    cookies: { keys: settings.cookieKeys },
    clients: clients(settings),
    clientDefaults: { id_token_signed_response_alg: settings.alg },
    // A CLI is no browser: no cross-origin calls are allowed.
    clientBasedCORS: () => false,
    scopes: ['openid', 'offline_access', 'profile', 'email'],
    claims: {
      // The groups claim rides with `openid`, as IdPs configured with a groups claim do.
      openid: ['sub', groupsClaim],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username'],
    },

    async findAccount(_ctx, sub) {
      const user = directory.user(sub);
      if (!user) return undefined;
      return {
        accountId: user.username,
        claims: () => ({ sub: user.username, email_verified: true, ...userClaims(user) }),
      };
    },

    // `sub` is set by oidc-provider: the account for people, the client id for agents.
    async extraTokenClaims(_ctx, token: Token) {
      if (token.kind === 'ClientCredentials') {
        const agent = directory.agent(token.clientId);
        return agent ? { [groupsClaim]: [...agent.groups] } : undefined;
      }
      const user = token.accountId ? directory.user(token.accountId) : undefined;
      return user ? userClaims(user) : undefined;
    },

    // Refresh tokens only for the grants that asked for offline access (the CLI's device flow).
    async issueRefreshToken(_ctx, client, source) {
      return client.grantTypeAllowed('refresh_token') && source.scopes.has('offline_access');
    },
    // The CLI is a public client: rotate on every use (RFC 9700 §4.14.2), so a
    // replayed refresh token is detected and revokes the whole grant.
    rotateRefreshToken: true,

    interactions: { url: (_ctx, interaction) => `${INTERACTION_PREFIX}${interaction.uid}` },

    async renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = errorPage('Sign-in failed', out.error_description ?? out.error);
    },

    ttl: {
      AccessToken: settings.accessTokenTtlSeconds,
      ClientCredentials: settings.accessTokenTtlSeconds,
      IdToken: settings.accessTokenTtlSeconds,
      DeviceCode: settings.deviceCodeTtlSeconds,
      Interaction: settings.deviceCodeTtlSeconds,
      // A login lasts refreshTokenTtlSeconds however often it is refreshed:
      // a rotated refresh token keeps its predecessor's expiry.
      RefreshToken: (ctx) => {
        const rotated = ctx?.oidc?.entities?.RotatedRefreshToken as
          { remainingTTL: number } | undefined;
        return rotated ? Math.max(1, rotated.remainingTTL) : settings.refreshTokenTtlSeconds;
      },
      Grant: settings.refreshTokenTtlSeconds,
      Session: settings.refreshTokenTtlSeconds,
    },

    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      userinfo: { enabled: true },
      clientCredentials: { enabled: true },
      deviceFlow: {
        enabled: true,
        charset: 'base-20',
        mask: '****-****',
        async userCodeInputSource(ctx, form, out, err) {
          ctx.type = 'html';
          ctx.body = deviceCodeInputPage(form, err ? deviceError(out, err) : undefined);
        },
        async userCodeConfirmSource(ctx, form, _client, _deviceInfo, userCode) {
          ctx.type = 'html';
          ctx.body = deviceConfirmPage(form, clientName(ctx), userCode);
        },
        async successSource(ctx) {
          ctx.type = 'html';
          ctx.body = deviceSuccessPage(clientName(ctx));
        },
      },
      resourceIndicators: {
        enabled: true,
        async defaultResource(_ctx, _client, oneOf) {
          if (!oneOf) return settings.resource;
          return oneOf.includes(settings.resource) ? settings.resource : oneOf;
        },
        async useGrantedResource(ctx) {
          return ctx.oidc.params?.scope === undefined;
        },
        async getResourceServerInfo(_ctx, indicator) {
          if (indicator !== settings.resource) throw settings.invalidTarget();
          return {
            scope: '',
            audience: settings.audience,
            accessTokenFormat: 'jwt',
            accessTokenTTL: settings.accessTokenTtlSeconds,
            jwt: { sign: { alg: settings.alg } },
          };
        },
      },
      introspection: {
        enabled: true,
        // The gateway client may introspect any token, other clients their own;
        // a disabled user's tokens are inactive for everyone.
        async allowedPolicy(_ctx, client, token) {
          if (token.accountId && !directory.user(token.accountId)) return false;
          return client.clientId === settings.gatewayClient.clientId
            ? true
            : client.clientId === token.clientId;
        },
      },
      revocation: {
        enabled: true,
        // RFC 7009 §2.1: a client revokes only its own tokens; others are ignored.
        async allowedPolicy(_ctx, client, token) {
          return client.clientId === token.clientId;
        },
      },
    },
  };
}

function clients(settings: ProviderSettings): ClientMetadata[] {
  const none = { response_types: [], redirect_uris: [] };
  return [
    {
      ...none,
      client_id: settings.cliClientId,
      client_name: settings.clientName(settings.cliClientId),
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: [DEVICE_CODE_GRANT, 'refresh_token'],
    },
    {
      ...none,
      client_id: settings.gatewayClient.clientId,
      client_secret: settings.gatewayClient.clientSecret,
      client_name: 'hoop gateway',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: [],
    },
    ...settings.directory.agents.map((agent): ClientMetadata => ({
      ...none,
      client_id: agent.clientId,
      client_secret: agent.clientSecret,
      token_endpoint_auth_method: agent.tokenEndpointAuthMethod ?? 'client_secret_basic',
      grant_types: ['client_credentials'],
    })),
  ];
}

/** What the code entry page says after a failed attempt (oidc-provider's re-render errors). */
function deviceError(out: ErrorOut | undefined, err: Error): string {
  switch (err.name) {
    case 'NoCodeError':
    case 'NotFoundError':
      return 'That code is not valid. Check it and try again.';
    case 'ExpiredError':
      return 'That code has expired. Run `hoop login` again.';
    case 'AlreadyUsedError':
      return 'That code has already been used.';
    case 'AbortedError':
      return 'The sign-in was cancelled.';
    default:
      return out?.error_description ?? 'Something went wrong. Run `hoop login` again.';
  }
}
