import type { AddressInfo } from 'node:net';
import { auditDataDir } from './audit/recording.js';
import { openAuditTrail } from './audit/trail.js';
import { ApiKeyRing } from './auth/api-keys.js';
import { createAuthenticator } from './auth/authenticator.js';
import { defaultStrategies } from './auth/default-strategies.js';
import type { AuthStrategy } from './auth/strategy.js';
import type { GatewayConfig } from './config/index.js';
import { ConfigReloader, type ConfigReloadResult } from './config/reloader.js';
import { Connections } from './connections.js';
import { createApi } from './http/api.js';
import { AuditFeed } from './http/audit-feed.js';
import { listenGateway } from './http/server.js';
import { createLogger, type Logger } from './logger.js';
import { ConfiguredPolicy } from './policy/configured.js';
import { requestFor, type PolicyStatus, type ReloadResult } from './policy/index.js';
import type { HandlerFactory, ProtocolHandler } from './protocols/handler.js';
import { PROTOCOLS } from './protocols/registry.js';
import { loadGatewayHostKey } from './protocols/ssh/host-key.js';
import { requestGrant } from './reviews/index.js';
import { startReviews } from './reviews/start.js';
import { TunnelEndpoint, TUNNEL_PATH } from './sessions/endpoint.js';
import { SessionLifecycle } from './sessions/lifecycle.js';
import { initSqlParser } from './sql/index.js';
import type { Store } from './store/index.js';
import { LocalConnector } from './targets/local.js';

export interface GatewayOptions {
  config: GatewayConfig;
  /** Defaults to the store named in the config. */
  store?: Store;
  /** Defaults to JSON logs on stderr at the configured level. */
  logger?: Logger;
  /** Authentication strategies tried in order; defaults to the config's API keys and identity provider. */
  strategies?: AuthStrategy[];
  /** Protocol handlers by connection type; defaults to the registry's. */
  protocols?: Partial<Record<string, HandlerFactory>>;
  /** Override `config.listen`, e.g. `{ port: 0 }` in tests. */
  listen?: { host?: string; port?: number };
  /**
   * `false` classifies and decides statements but records no statement
   * events: only `npm run bench:audit` uses it, to measure what recording costs.
   */
  recordStatements?: boolean;
  /** Reload a policy file when it changes; default true (SIGHUP and {@link Gateway.reloadPolicy} work either way). */
  watchPolicy?: boolean;
}

export interface Gateway {
  /** `http://host:port` the gateway listens on. */
  readonly url: string;
  readonly address: AddressInfo;
  readonly store: Store;
  /** Number of tunnels currently open. */
  readonly activeSessions: number;
  /** The public key (PEM) that verifies this gateway's audit signatures, for the API to serve. */
  readonly auditPublicKey: string;
  /** The policy in force and the last reload, or undefined when the gateway has no policy. */
  policyStatus(): PolicyStatus | undefined;
  /**
   * Reads the policy file again (what SIGHUP does). A broken file is refused
   * and logged, and the policy in force stays. Undefined when the policy is
   * not a file (none, or rules inline in the config, which need a restart).
   */
  reloadPolicy(trigger?: string): Promise<ReloadResult | undefined>;
  /**
   * Reads the config file again (SIGHUP does, and a change of the file):
   * API keys, connections and their groups take effect at once, and open
   * sessions whose key is gone or whose connection no longer admits them
   * end as `unauthorized`. A broken file is refused and logged; the config
   * in force stays. Other keys take effect at the next start.
   */
  reloadConfig(trigger?: string): Promise<ConfigReloadResult>;
  /**
   * Stops: refuses new tunnels, ends open sessions as `gateway_shutdown`
   * (PostgreSQL clients get FATAL 57P01; logins under way are abandoned),
   * waits for their records at most `shutdown.timeout` (then cuts what is
   * left), closes the store.
   */
  close(): Promise<void>;
}

/**
 * Starts the gateway, composed from its parts. A tunnel goes through the
 * endpoint (authenticate, admit, record, upgrade), then the session
 * lifecycle serves it with its connection type's protocol handler, which
 * reaches the target through the connector and decides, masks and records
 * through the session's enforcer (docs/ARCHITECTURE.md).
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const { config } = options;
  const log = options.logger ?? createLogger(config.log.level);
  // Policy first: a broken policy refuses the start before anything is opened.
  const configured = await ConfiguredPolicy.open(config, log, options.watchPolicy ?? true);
  const policy = configured.current;
  // The SQL parser serves policy and the session's pinned settings alike,
  // and a policy may arrive later by reload: load it whatever is configured.
  await initSqlParser();
  // Every recorded event also goes to the live tail (`GET /api/audit/tail`).
  const feed = new AuditFeed();
  // Fail closed: sessions whose records the store (and spool) did not take end now.
  let endUnrecorded = (_ids: readonly string[], _error: Error): void => {};
  const trail = await openAuditTrail({
    config,
    log,
    ...(options.store ? { given: options.store } : {}),
    onLost: (ids, error) => endUnrecorded(ids, error),
    onRecorded: feed.publish,
  });
  const { store, recording } = trail;
  // Reviews decide what a policy's review rules hold: no policy, no reviews.
  const reviews = policy && (await startReviews(config.reviews, store, log));
  const desk = reviews?.desk;
  const connector = new LocalConnector(config.connections);
  // The gateway's SSH host key, made once in its state directory (next to the audit key).
  const sshHostKey = config.connections.some((connection) => connection.type === 'ssh')
    ? loadGatewayHostKey(config.ssh.hostPrivateKey, auditDataDir(config.store, config.file))
    : undefined;
  const handlers = new Map<string, ProtocolHandler>();
  for (const [type, factory] of Object.entries(options.protocols ?? PROTOCOLS)) {
    if (factory) {
      handlers.set(
        type,
        factory({
          connector,
          sql: config.sql,
          maxMessageBytes: config.postgres.maxMessageBytes,
          catalogTtlMs: config.postgres.catalogTtlMs,
          ...(sshHostKey ? { ssh: { ...config.ssh, hostKey: sshHostKey.privateKey } } : {}),
          mysqlMaxPacketBytes: config.mysql.maxPacketBytes,
        }),
      );
    }
  }
  const keyRing = new ApiKeyRing(config.auth.apiKeys);
  const authenticate = createAuthenticator(
    options.strategies ?? defaultStrategies(config, keyRing),
    { log },
  );
  const connections = new Connections(config.connections, sshHostKey?.publicKey);
  const lifecycle = new SessionLifecycle({
    authenticate,
    revocationWindowMs: config.auth.oidc?.revocationWindowMs ?? 60_000,
    handlers,
    enforcement: {
      ...(policy ? { policy } : {}),
      ...(desk ? { desk } : {}),
      ...(options.recordStatements === false ? {} : { recorder: recording.recorder }),
      preview: config.audit.preview,
    },
    recorder: recording.recorder,
    ...(desk ? { desk } : {}),
    log,
  });
  endUnrecorded = (ids, error) =>
    lifecycle.abort(ids, STORE_LOST, (id) =>
      log.warn(
        { event: 'session_unrecorded_closed', session: id, err: error },
        'closing a session whose audit records cannot be stored',
      ),
    );
  const reloader = new ConfigReloader({
    config,
    log,
    watch: options.watchPolicy ?? true,
    apply: async (next, trigger) => {
      keyRing.replace(next.auth.apiKeys);
      connections.replace(next.connections);
      connector.replace(next.connections);
      const ended = await lifecycle.recheck(async (session) => {
        if (session.identity.method === 'apikey') {
          try {
            await authenticate(session.credential);
          } catch (error) {
            return `the API key is no longer accepted: ${(error as Error).message} (HOOP_AUTH_INVALID)`;
          }
        }
        try {
          connections.resolve(session.connection.name, session.identity);
        } catch (error) {
          return `${(error as Error).message} (${(error as { code?: string }).code ?? 'HOOP_CONNECTION_FORBIDDEN'})`;
        }
        return undefined;
      });
      log.info(
        {
          event: 'config_reloaded',
          trigger,
          apiKeys: next.auth.apiKeys.length,
          connections: next.connections.length,
          sessionsEnded: ended,
        },
        'config reloaded: API keys and connections in force; other keys take effect at the next start',
      );
    },
  });
  let closing = false;
  const endpoint = new TunnelEndpoint({
    authenticate,
    connections,
    handlers,
    ...(policy ? { policy } : {}),
    ...(desk ? { desk } : {}),
    store,
    recorder: recording.recorder,
    lifecycle,
    tunnel: config.tunnel,
    log,
    closing: () => closing,
  });
  const api = createApi({
    authenticate,
    connections,
    store,
    audit: { store, auditors: config.audit.auditors, feed },
    log,
    policy: () => configured.status(),
    ...(policy && desk
      ? {
          reviews: {
            desk,
            requestGrant: (identity, ask) =>
              requestGrant(
                policy(),
                desk,
                requestFor({ identity, connection: connections.resolve(ask.connection, identity) }),
                { ...ask, maxDurationMs: config.reviews.maxGrantDurationMs },
              ),
          },
        }
      : {}),
    ...(config.auth.oidc ? { oidc: config.auth.oidc } : {}),
  });
  let listening;
  try {
    listening = await listenGateway({
      api,
      tunnelPath: TUNNEL_PATH,
      upgrade: (req, socket, head, path) => endpoint.upgrade(req, socket, head, path),
      host: options.listen?.host ?? config.listen.host,
      port: options.listen?.port ?? config.listen.port,
      file: config.file,
    });
  } catch (error) {
    // Nothing half-started: what this call opened is closed again.
    configured.close();
    reloader.close();
    reviews?.close();
    await trail.close();
    throw error;
  }
  const { server, address, url } = listening;
  trail.listening(url);
  log.info(
    { event: 'gateway_listening', address: url.slice('http://'.length) },
    'gateway listening',
  );
  // Older records go at start and then hourly; each purge is recorded in the store.
  trail.startRetention();

  return {
    url,
    address,
    store,
    auditPublicKey: recording.signer.publicKeyPem,
    get activeSessions() {
      return lifecycle.size;
    },
    policyStatus: () => configured.status(),
    reloadPolicy: (trigger = 'api') => configured.reload(trigger),
    reloadConfig: (trigger = 'api') => reloader.reload(trigger),
    async close() {
      if (closing) return;
      closing = true;
      reviews?.close();
      configured.close();
      reloader.close();
      await lifecycle.shutdown(config.shutdown.timeoutMs);
      await Promise.allSettled([...handlers.values()].map(async (handler) => handler.close?.()));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      endpoint.close();
      await trail.close();
    },
  };
}

/** Why a session ends when its audit records cannot be stored. */
const STORE_LOST = {
  reason: 'store_unavailable',
  message: 'hoop: the audit store is unavailable; the session is closed',
} as const;
