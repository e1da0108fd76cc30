import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { HoopError } from '../lib/errors.js';
import { startRecording } from './audit/index.js';
import { RetentionSchedule } from './audit/retention.js';
import { StoreGuard } from './audit/store-guard.js';
import { createAuthenticator } from './auth/authenticator.js';
import type { AuthStrategy } from './auth/strategy.js';
import type { GatewayConfig } from './config/index.js';
import { Connections } from './connections.js';
import { defaultStrategies } from './auth/default-strategies.js';
import { createApi } from './http/api.js';
import { AuditFeed } from './http/audit-feed.js';
import { requestPath } from './http/path.js';
import {
  answerClientError,
  refuseUpgrade,
  serveWithoutUpgrade,
  toHoopError,
} from './http/respond.js';
import { createLogger, type Logger } from './logger.js';
import {
  policyFromRules,
  PolicyReloader,
  requestFor,
  type Policy,
  type PolicyStatus,
  type ReloadResult,
} from './policy/index.js';
import type { HandlerFactory, ProtocolHandler } from './protocols/handler.js';
import { PROTOCOLS } from './protocols/registry.js';
import { requestGrant, ReviewDesk, ReviewNotifier } from './reviews/index.js';
import { TunnelEndpoint, TUNNEL_PATH } from './sessions/endpoint.js';
import { SessionLifecycle } from './sessions/lifecycle.js';
import { initSqlParser } from './sql/index.js';
import { openStore, type Store } from './store/index.js';
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
  /** Stops accepting, closes open tunnels as `gateway_shutdown`, waits for their records, closes the store. */
  close(): Promise<void>;
}

/**
 * Starts the gateway: the HTTP JSON API and the tunnel endpoint, composed
 * from their parts. A tunnel goes through the endpoint (authenticate, admit,
 * record, upgrade), then the session lifecycle serves it with its
 * connection type's protocol handler, which reaches the target through the
 * connector and decides, masks and records through the session's enforcer.
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const { config } = options;
  const log = options.logger ?? createLogger(config.log.level);
  const startedAt = new Date().toISOString();
  // Policy first: a broken policy refuses the start before anything is opened.
  const configured = await loadConfiguredPolicy(config, log, options.watchPolicy ?? true);
  // The policy in force: a file's is replaced when the file changes and is valid.
  const policy: (() => Policy) | undefined =
    configured instanceof PolicyReloader
      ? () => configured.current
      : configured && (() => configured);
  if (policy) await initSqlParser();
  const opened = options.store ?? (await openStore(config.store));
  // Between the gateway and its store: a record the store cannot take closes
  // the sessions it was for, or waits in the local spool (audit.onStoreFailure).
  const storeGuard = new StoreGuard({
    store: opened,
    log,
    mode: config.audit.onStoreFailure,
    spool: config.audit.spool,
    onLost: (ids, error) =>
      lifecycle.abort(
        ids,
        {
          reason: 'store_unavailable',
          message: 'hoop: the audit store is unavailable; the session is closed',
        },
        (id) =>
          log.warn(
            { event: 'session_unrecorded_closed', session: id, err: error },
            'closing a session whose audit records cannot be stored',
          ),
      ),
  });
  await storeGuard.start();
  const store = storeGuard.store;
  const authenticate = createAuthenticator(options.strategies ?? defaultStrategies(config));
  // Every recorded event also goes to the live tail (`GET /api/audit/tail`).
  const auditFeed = new AuditFeed();
  // The journal a killed gateway left goes into the store before anything is served.
  const recording = await startRecording({
    audit: config.audit,
    storeUrl: config.store,
    configFile: config.file,
    store,
    log,
    onRecorded: auditFeed.publish,
  });
  // Reviews decide what a policy's review rules hold: no policy, no reviews.
  const notifier = policy
    ? new ReviewNotifier({
        targets: config.reviews.notify,
        retries: config.reviews.notifyRetries,
        log,
      })
    : undefined;
  const desk =
    policy &&
    new ReviewDesk({
      store,
      approvedStatementTtlMs: config.reviews.approvedStatementTtlMs,
      ...(notifier ? { onEvent: notifier.notify } : {}),
    });
  await desk?.start();
  const connector = new LocalConnector(config.connections);
  const handlers = new Map<string, ProtocolHandler>();
  for (const [type, factory] of Object.entries(options.protocols ?? PROTOCOLS)) {
    if (factory) handlers.set(type, factory({ connector }));
  }
  const connections = new Connections(config.connections);
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
    audit: { store, auditors: config.audit.auditors, feed: auditFeed },
    log,
    policy: () => policyStatus(),
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
  const server = http.createServer(api);

  function policyStatus(): PolicyStatus | undefined {
    if (configured instanceof PolicyReloader) return configured.status();
    return configured && { hash: configured.hash, source: config.file, loadedAt: startedAt };
  }
  server.on('clientError', answerClientError);
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {
      // A client that resets mid-handshake is not the gateway's problem.
    });
    let path: string;
    try {
      path = requestPath(req);
    } catch (error) {
      refuseUpgrade(socket, toHoopError(error));
      return;
    }
    // Anything but the tunnel endpoint is an ordinary API request that asked for
    // another protocol (`curl --http2` sends `Upgrade: h2c`): answer it in HTTP/1.1.
    if (!TUNNEL_PATH.test(path)) serveWithoutUpgrade(api, req, socket);
    else endpoint.upgrade(req, socket, head, path);
  });

  const listenHost = options.listen?.host ?? config.listen.host;
  const listenPort = options.listen?.port ?? config.listen.port;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(listenPort, listenHost, () => resolve());
    });
  } catch (error) {
    // Nothing half-started: the store this call opened is closed again.
    if (configured instanceof PolicyReloader) configured.close();
    await recording.close().catch(() => {});
    await storeGuard.close().catch(() => {});
    if (!options.store) await store.close().catch(() => {});
    throw listenError(error as NodeJS.ErrnoException, listenHost, listenPort, config.file);
  }
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  log.info({ event: 'gateway_listening', address: `${host}:${address.port}` }, 'gateway listening');
  // Older records go at start and then hourly; each purge is recorded in the store.
  const { retentionMs } = config.audit;
  const retention =
    retentionMs === undefined ? undefined : new RetentionSchedule({ store, retentionMs, log });

  return {
    url: `http://${host}:${address.port}`,
    address,
    store,
    auditPublicKey: recording.signer.publicKeyPem,
    get activeSessions() {
      return lifecycle.size;
    },
    policyStatus,
    async reloadPolicy(trigger = 'api') {
      if (!(configured instanceof PolicyReloader)) {
        if (configured) {
          log.warn(
            { event: 'policy_reload_unsupported', trigger },
            'the policy is written inline in the config; restart the gateway to change it',
          );
        }
        return undefined;
      }
      return configured.reload(trigger);
    },
    async close() {
      if (closing) return;
      closing = true;
      desk?.close();
      notifier?.close();
      if (configured instanceof PolicyReloader) configured.close();
      await lifecycle.closeAll();
      await Promise.allSettled([...handlers.values()].map(async (handler) => handler.close?.()));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      endpoint.close();
      await recording.close();
      await retention?.close();
      await storeGuard.close();
      if (!options.store) await store.close();
    },
  };
}

/**
 * The policy named in the config: a file (held by a reloader that follows
 * it) or rules inline; none means statements are not checked.
 */
async function loadConfiguredPolicy(
  config: GatewayConfig,
  log: Logger,
  watch: boolean,
): Promise<PolicyReloader | Policy | undefined> {
  if (config.policy === undefined) return undefined;
  return typeof config.policy === 'string'
    ? PolicyReloader.open({ file: config.policy, log, watch })
    : policyFromRules(config.policy, { file: config.file });
}

/** Why the gateway cannot listen, in the config's terms. */
function listenError(
  error: NodeJS.ErrnoException,
  host: string,
  port: number,
  file: string,
): HoopError {
  const why =
    error.code === 'EADDRINUSE'
      ? 'the port is already in use'
      : error.code === 'EACCES'
        ? 'permission denied (ports below 1024 need privileges)'
        : error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND'
          ? 'no network interface has this address'
          : error.message;
  return new HoopError('HOOP_CONFIG_INVALID', `cannot listen on ${host}:${port}: ${why}`, {
    hint: `Change \`listen\` in ${file === '<inline>' ? 'the config' : file}, or stop what uses the port.`,
    cause: error,
    details: { file, key: 'listen' },
  });
}
