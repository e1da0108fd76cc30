import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import type { Middleware, Provider } from 'oidc-provider';
import { defaultAgents, defaultUsers, Directory, type DevAgent, type DevUser } from './accounts.js';
import { providerConfiguration, type ProviderSettings } from './configuration.js';
import { createInteractions, INTERACTION_PREFIX } from './interactions.js';
import { KeyRing, type SigningAlg } from './keys.js';
import { loadOidcProvider } from './load-provider.js';
import { MemoryStore } from './memory-adapter.js';

export interface DevIdpOptions {
  /** A loopback address; anything else is refused. Default `127.0.0.1`. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /** The `aud` of every access token. Default `hoop`. */
  audience?: string;
  /** The public client `hoop login` uses (device code + refresh token grants, no secret). Default `hoop-cli`. */
  cliClientId?: string;
  /** Default: alice (engineering), bob (dba, the approver), carol (support: no database access). */
  users?: DevUser[];
  /** Default: agent-1 (agents) with a random secret. */
  agents?: DevAgent[];
  /** Default 300. */
  accessTokenTtlSeconds?: number;
  /** Absolute lifetime of a login's refresh tokens, across rotations. Default 43200 (12 h). */
  refreshTokenTtlSeconds?: number;
  /** The claim listing groups in access tokens, ID tokens and userinfo. Default `groups`. */
  groupsClaim?: string;
  /** ES256 (default, fast to generate) or RS256 (what most production IdPs use). */
  signingAlg?: SigningAlg;
  /**
   * The `interval` the device authorization response asks clients to poll
   * at, in seconds. Default 5 (RFC 8628 §3.2); tests use less, e.g. 0.2.
   */
  pollIntervalSeconds?: number;
  /** Receives the start-up warning. Default: stderr. */
  warn?: (message: string) => void;
}

export interface DevIdp {
  /** `http://127.0.0.1:PORT`, exactly as in discovery and in the tokens' `iss`; no trailing slash. */
  issuer: string;
  audience: string;
  /**
   * The RFC 8707 resource indicator that stands for `audience` (resource
   * indicators must be absolute URIs; `hoop` is not). Clients need not send
   * it: it is the default resource.
   */
  resource: string;
  cliClientId: string;
  /**
   * A confidential client (`client_secret_basic`) that may introspect any
   * token, as a gateway would. Public clients such as the CLI may introspect
   * only their own tokens.
   */
  gatewayClient: { clientId: string; clientSecret: string };
  users: DevUser[];
  agents: DevAgent[];
  /** Disable a user: their refresh fails, userinfo/introspection for their tokens fails from now on. */
  disableUser(username: string): void;
  /** Rotate the signing key: new tokens get a new kid; old key stays published for `keepOld` (default true) so you can test rotation both ways. */
  rotateKeys(options?: { keepOld?: boolean }): Promise<void>;
  /**
   * Mint a token for tests with arbitrary claims, signed by the current key
   * or by any key this IdP held (`kid`, also one no longer published).
   * Defaults `iss`, `aud`, `iat`, `exp` and `jti`; `claims` override them.
   */
  signToken(
    claims: Record<string, unknown>,
    options?: { expiresInSeconds?: number; kid?: string },
  ): Promise<string>;
  close(): Promise<void>;
}

const LOOPBACK_NAMES = new Set(['localhost', '::1']);

/**
 * Starts the built-in DEVELOPMENT identity provider: a real oidc-provider
 * (discovery, JWKS, device authorization, token, userinfo, introspection,
 * revocation) with demo users and agents, on a loopback port.
 *
 * It is deliberately not reachable from `hoop.yaml`: only `hoop demo` and
 * tests start it, in code, and it announces itself through `warn`.
 */
export async function startDevIdp(options: DevIdpOptions = {}): Promise<DevIdp> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopback(host)) {
    throw new Error(`dev IdP: refusing to listen on ${host}; it serves loopback addresses only`);
  }
  const audience = options.audience ?? 'hoop';
  const cliClientId = options.cliClientId ?? 'hoop-cli';
  const gatewayClient = {
    clientId: 'hoop-gateway',
    clientSecret: randomBytes(32).toString('base64url'),
  };
  const users = options.users ?? defaultUsers();
  const agents = options.agents ?? defaultAgents();
  const directory = new Directory(users, agents, [cliClientId, gatewayClient.clientId]);
  const accessTokenTtl = seconds(options.accessTokenTtlSeconds ?? 300, 'accessTokenTtl', true);
  const refreshTokenTtl = seconds(
    options.refreshTokenTtlSeconds ?? 43_200,
    'refreshTokenTtl',
    true,
  );
  const pollInterval = seconds(options.pollIntervalSeconds ?? 5, 'pollInterval', false);
  const resource = URL.canParse(audience) ? audience : `urn:hoop:audience:${audience}`;
  const clientName = (clientId: string) => (clientId === cliClientId ? 'hoop CLI' : clientId);

  const [{ Provider, errors }, keys] = await Promise.all([
    loadOidcProvider(),
    KeyRing.create(options.signingAlg ?? 'ES256'),
  ]);

  // Set once listening (the issuer needs the port), replaced on key rotation.
  let live: { provider: Provider; handle: http.RequestListener } | undefined;
  const interactions = createInteractions(
    () => {
      if (!live) throw new Error('dev IdP: not started');
      return live.provider;
    },
    directory,
    clientName,
  );
  const server = http.createServer((req, res) => {
    if (!live) {
      res.writeHead(503).end();
    } else if (req.url?.startsWith(INTERACTION_PREFIX)) {
      interactions(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    } else {
      live.handle(req, res);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const issuer = `http://${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
  const close = () =>
    new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      server.closeAllConnections();
    });

  const settings: Omit<ProviderSettings, 'jwks'> = {
    directory,
    resource,
    audience,
    cliClientId,
    gatewayClient,
    groupsClaim: options.groupsClaim ?? 'groups',
    alg: keys.alg,
    accessTokenTtlSeconds: accessTokenTtl,
    refreshTokenTtlSeconds: refreshTokenTtl,
    deviceCodeTtlSeconds: 600,
    cookieKeys: [randomBytes(32).toString('base64url')],
    adapter: new MemoryStore().adapter,
    invalidTarget: () => new errors.InvalidTarget(),
    clientName,
  };
  // oidc-provider reads its keys once, at construction; a rotation builds a
  // new Provider over the same store, cookie keys and clients.
  const build = () => {
    const provider = new Provider(
      issuer,
      providerConfiguration({ ...settings, jwks: keys.jwks() }),
    );
    provider.use(advertisePollInterval(pollInterval));
    live = { provider, handle: provider.callback() };
  };
  try {
    build();
  } catch (error) {
    await close();
    throw error;
  }

  (options.warn ?? ((message) => process.stderr.write(`${message}\n`)))(
    `WARNING: hoop DEVELOPMENT identity provider at ${issuer}. Its users have published ` +
      'passwords, its state lives in memory and its keys are thrown away on exit. ' +
      'Use it for `hoop demo` and tests only; never point a production gateway at it.',
  );

  return {
    issuer,
    audience,
    resource,
    cliClientId,
    gatewayClient,
    users,
    agents,
    disableUser: (username) => directory.disable(username),
    async rotateKeys({ keepOld = true } = {}) {
      await keys.rotate({ keepOld });
      build();
    },
    async signToken(claims, { expiresInSeconds = accessTokenTtl, kid } = {}) {
      const key = kid === undefined ? keys.current : keys.get(kid);
      if (!key) throw new Error(`dev IdP: no key with kid ${kid}`);
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({
        iss: issuer,
        aud: audience,
        iat: now,
        exp: now + expiresInSeconds,
        jti: randomUUID(),
        ...claims,
      })
        .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt' })
        .sign(key.privateKey);
    },
    close,
  };
}

/**
 * oidc-provider sends no `interval` in the device authorization response,
 * which tells clients to wait 5 s between polls (RFC 8628 §3.2). Adding one
 * lets tests finish a login in a fraction of that.
 */
function advertisePollInterval(seconds: number): Middleware {
  return async (ctx, next) => {
    await next();
    if (ctx.oidc?.route === 'device_authorization' && ctx.status === 200) {
      const body = ctx.body as Record<string, unknown> | undefined;
      if (body && typeof body === 'object' && 'device_code' in body) body.interval = seconds;
    }
  };
}

function isLoopback(host: string): boolean {
  return LOOPBACK_NAMES.has(host) || (isIP(host) === 4 && host.startsWith('127.'));
}

/** oidc-provider takes lifetimes in whole seconds only. */
function seconds(value: number, name: string, whole: boolean): number {
  if (!(value > 0) || !Number.isFinite(value) || (whole && !Number.isInteger(value))) {
    throw new Error(
      `dev IdP: ${name} must be a positive ${whole ? 'whole ' : ''}number of seconds`,
    );
  }
  return value;
}
