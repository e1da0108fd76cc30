import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { HoopError } from '../lib/errors.js';
import { newId } from '../lib/ids.js';
import { WebSocketStream } from '../tunnel/index.js';
import { apiKeyStrategy } from './auth/api-keys.js';
import { createAuthenticator, type Authenticator } from './auth/authenticator.js';
import type { Identity } from './auth/identity.js';
import { delegationPolicy } from './auth/delegation.js';
import { oidcStrategy } from './auth/oidc/index.js';
import type { AuthStrategy } from './auth/strategy.js';
import type { ConnectionConfig, GatewayConfig } from './config/index.js';
import { createApi } from './http/api.js';
import { decodeSegment, requestPath } from './http/path.js';
import {
  answerClientError,
  refuseUpgrade,
  serveWithoutUpgrade,
  toHoopError,
} from './http/respond.js';
import { validateUpgrade } from './http/upgrade.js';
import { createLogger, type Logger } from './logger.js';
import { Connections } from './connections.js';
import type { ProtocolHandler } from './protocols/handler.js';
import { tcpHandler } from './protocols/tcp.js';
import {
  policyFromRules,
  PolicyReloader,
  type Policy,
  type PolicyStatus,
  type ReloadResult,
} from './policy/index.js';
import { createResultMasker } from './masking/index.js';
import { startRecording } from './audit/index.js';
import { AuditFeed } from './http/audit-feed.js';
import { postgresHandler } from './protocols/postgres/handler.js';
import { SessionGuard } from './session-guard.js';
import {
  admitSession,
  grantAwareGate,
  requestGrant,
  reviewHoldHook,
  ReviewDesk,
  ReviewNotifier,
  type HoldMode,
} from './reviews/index.js';
import { requestFor } from './sql-gate.js';
import { initSqlParser } from './sql/index.js';
import { openStore, type Store } from './store/index.js';
import { RetentionSchedule } from './audit/retention.js';
import { StoreGuard } from './audit/store-guard.js';
import type { SessionAbort } from './protocols/handler.js';

export interface GatewayOptions {
  config: GatewayConfig;
  /** Defaults to the store named in the config. */
  store?: Store;
  /** Defaults to JSON logs on stderr at the configured level. */
  logger?: Logger;
  /** Authentication strategies tried in order; defaults to the config's API keys. */
  strategies?: AuthStrategy[];
  /** Protocol handlers by connection type; defaults to every built-in handler. */
  handlers?: ProtocolHandler[];
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

const TUNNEL_PATH = /^\/api\/tunnel\/([^/?#]+)$/;

/**
 * Starts the gateway: the HTTP JSON API and the tunnel endpoint. Every tunnel
 * goes through one pipeline: authenticate → resolve the connection → record
 * the session → hand the byte stream to the connection type's handler →
 * record how it ended.
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
    onLost: (ids, error) => closeUnrecorded(ids, error),
  });
  await storeGuard.start();
  const store = storeGuard.store;
  const authenticate: Authenticator = createAuthenticator(
    options.strategies ?? defaultStrategies(config),
  );
  // Statement events are recorded where a policy gate classifies statements.
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
  const statements = recording.recorder;
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
  /** Per open session: how statements needing a review are handled, and the grant it opened under. */
  const reviewSessions = new Map<string, { mode: HoldMode; grantRule?: string }>();
  const handlers = new Map(
    (
      options.handlers ?? [
        tcpHandler,
        postgresHandler(
          policy
            ? {
                gate: grantAwareGate(
                  policy,
                  (session) => reviewSessions.get(session.id)?.grantRule,
                ),
                ...(desk
                  ? {
                      hold: reviewHoldHook({
                        desk,
                        mode: (id) => reviewSessions.get(id)?.mode ?? { type: 'wait' },
                      }),
                    }
                  : {}),
                masker: createResultMasker,
                ...(options.recordStatements === false
                  ? {}
                  : { onStatement: statements.onStatement, preview: config.audit.preview }),
              }
            : {},
        ),
      ]
    ).map((handler) => [handler.type, handler]),
  );
  const connections = new Connections(config.connections);
  const live = new Map<
    string,
    { stream: WebSocketStream; ended: Promise<void>; abort: AbortController }
  >();
  let closing = false;

  /** Fail closed: sessions whose audit records the store (and spool) did not take end now. */
  function closeUnrecorded(ids: readonly string[], error: Error): void {
    const why: SessionAbort = {
      reason: 'store_unavailable',
      message: 'hoop: the audit store is unavailable; the session is closed',
    };
    for (const id of ids) {
      const entry = live.get(id);
      if (!entry || entry.abort.signal.aborted) continue;
      log.warn(
        { event: 'session_unrecorded_closed', session: id, err: error },
        'closing a session whose audit records cannot be stored',
      );
      entry.abort.abort(why);
      // Handlers that do not follow the signal (plain TCP) end with the tunnel.
      setTimeout(() => {
        if (!entry.stream.destroyed) entry.stream.closeWith(why.reason, why.message);
      }, 1000).unref();
    }
  }

  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: config.tunnel.maxFrameBytes,
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

  const runTunnel = async (
    req: http.IncomingMessage,
    socket: Duplex,
    head: Buffer,
  ): Promise<void> => {
    const match = TUNNEL_PATH.exec(requestPath(req));
    if (!match?.[1]) throw new HoopError('HOOP_NOT_FOUND', 'no such WebSocket endpoint');
    if (closing)
      throw new HoopError('HOOP_SHUTTING_DOWN', 'the gateway is shutting down', {
        hint: 'Retry in a moment.',
      });
    const identity = await authenticate(req.headers.authorization);
    const connection = connections.resolve(decodeSegment(match[1]), identity);
    const handler = handlers.get(connection.type);
    if (!handler) {
      throw new HoopError(
        'HOOP_PROTOCOL_UNSUPPORTED',
        `connections of type ${connection.type} are not supported by this gateway yet`,
      );
    }
    // A session-level review rule lets the session open only under an approved grant.
    const { grant } = policy
      ? await admitSession(policy(), desk, requestFor({ identity, connection }))
      : { grant: undefined };
    const mode = holdMode(req);
    validateUpgrade(req);
    const id = newId('ses');
    const clientAddr = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
    const started = {
      id,
      subject: identity.subject,
      identityName: identity.name,
      identityKind: identity.kind,
      authMethod: identity.method,
      groups: identity.groups,
      connection: connection.name,
      connectionType: connection.type,
      clientAddr,
      startedAt: new Date(),
      ...(identity.actors ? { actors: identity.actors } : {}),
      ...(identity.jti ? { tokenId: identity.jti } : {}),
    };
    try {
      await store.startSession(started);
      // The session's start record is its chain's genesis.
      statements.begin(started);
    } catch (error) {
      // Fail closed: a session that cannot be recorded does not start.
      throw new HoopError(
        'HOOP_STORE_UNAVAILABLE',
        'the gateway cannot record sessions right now',
        {
          hint: 'Retry later; an administrator should check the store.',
          cause: error,
        },
      );
    }
    reviewSessions.set(id, { mode, ...(grant ? { grantRule: grant.requirement.rule } : {}) });
    const sessionLog = log.child({
      session: id,
      subject: identity.subject,
      connection: connection.name,
    });
    if (socket.destroyed) {
      // The client left while the session was being recorded: ws would drop the
      // socket without calling back, and 'close' has been and gone.
      await endSession(id, { bytesUp: 0, bytesDown: 0, reason: 'client_vanished' }, sessionLog);
      return;
    }
    let upgraded = false;
    socket.once('close', () => {
      // ws drops an upgrade whose socket closed meanwhile without calling back.
      if (!upgraded)
        void endSession(id, { bytesUp: 0, bytesDown: 0, reason: 'client_vanished' }, sessionLog);
    });
    wss.handleUpgrade(req, socket, head, (ws) => {
      upgraded = true;
      const stream = new WebSocketStream(ws, {
        pingIntervalMs: config.tunnel.pingIntervalMs,
        highWaterMark: config.tunnel.maxBufferedBytes,
      });
      stream.on('error', () => {
        // Reported through the handler's outcome.
      });
      sessionLog.info({ event: 'session_start', client: clientAddr }, 'session started');
      const abort = new AbortController();
      const ended = serve(
        handler,
        { id, identity, connection, log: sessionLog, signal: abort.signal },
        stream,
      );
      live.set(id, { stream, ended, abort });
      void ended.finally(() => live.delete(id));
    });
  };

  const serve = async (
    handler: ProtocolHandler,
    session: {
      id: string;
      identity: Identity;
      connection: ConnectionConfig;
      log: Logger;
      signal: AbortSignal;
    },
    stream: WebSocketStream,
  ): Promise<void> => {
    // Ends the session when its credential expires or is no longer refreshed;
    // refreshed tokens from the CLI arrive as 'token' control messages.
    const guard = new SessionGuard({
      identity: session.identity,
      authenticate,
      revocationWindowMs: config.auth.oidc?.revocationWindowMs ?? 60_000,
      onUnauthorized: (detail) => {
        session.log.info({ event: 'session_unauthorized', detail }, 'authorization ended');
        stream.closeWith('unauthorized', detail);
      },
    });
    stream.on('token', (token: string) => void guard.present(token));
    // A session opened under a grant ends when the grant does.
    let closedAs: { reason: 'grant_expired'; detail: string } | undefined;
    const grantRule = reviewSessions.get(session.id)?.grantRule;
    const grant =
      grantRule === undefined
        ? undefined
        : await desk?.activeGrant(session.identity, session.connection.name);
    const grantTimer =
      grant?.grantedUntil &&
      setTimeout(
        () => {
          closedAs = {
            reason: 'grant_expired',
            detail: `grant ${grant.id} ended at ${grant.grantedUntil?.toISOString()}`,
          };
          session.log.info({ event: 'grant_expired', review: grant.id }, 'access grant expired');
          stream.closeWith('grant_expired', closedAs.detail);
        },
        Math.max(0, grant.grantedUntil.getTime() - Date.now()),
      );
    let outcome;
    try {
      outcome = await handler.serve(session, stream);
    } catch (error) {
      session.log.error({ err: error }, 'protocol handler failed');
      stream.closeWith('internal_error');
      outcome = {
        bytesUp: 0,
        bytesDown: 0,
        reason: 'internal_error' as const,
        detail: (error as Error).message,
      };
    }
    guard.stop();
    if (grantTimer) clearTimeout(grantTimer);
    if (closedAs) outcome = { ...outcome, reason: closedAs.reason, detail: closedAs.detail };
    if (session.signal.aborted) {
      const why = session.signal.reason as SessionAbort;
      outcome = { ...outcome, reason: why.reason, detail: why.message };
    }
    // A handler that is done with its client (a cancel request, a refused
    // start-up) leaves the tunnel to us: closing it is what the client waits for.
    if (!stream.destroyed) stream.destroy();
    await endSession(session.id, outcome, session.log);
  };

  const endSession = async (
    id: string,
    outcome: {
      bytesUp: number;
      bytesDown: number;
      reason: Parameters<Store['endSession']>[1]['closeReason'];
      detail?: string;
    },
    sessionLog: Logger,
  ): Promise<void> => {
    const end = {
      endedAt: new Date(),
      bytesUp: outcome.bytesUp,
      bytesDown: outcome.bytesDown,
      closeReason: outcome.reason,
      ...(outcome.detail === undefined ? {} : { closeDetail: outcome.detail }),
    };
    reviewSessions.delete(id);
    sessionLog.info({ event: 'session_end', ...end }, 'session ended');
    try {
      // The end closes the session's chain, signed, after its last event.
      await statements.end(id, end);
    } catch (error) {
      sessionLog.error(
        { err: error, event: 'session_end_unrecorded', ...end },
        'could not record the end of a session',
      );
    }
  };

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
    if (!TUNNEL_PATH.test(path)) {
      serveWithoutUpgrade(api, req, socket);
      return;
    }
    runTunnel(req, socket, head).catch((error: unknown) => {
      const refusal = toHoopError(error);
      // The path only: a query string is the client's and may hold anything.
      if (refusal.code === 'HOOP_INTERNAL')
        log.error({ err: error, path }, 'tunnel upgrade failed');
      else log.info({ event: 'tunnel_refused', code: refusal.code, path }, refusal.message);
      refuseUpgrade(socket, refusal);
    });
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
      return live.size;
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
      const ended = [...live.values()].map((entry) => {
        entry.stream.closeWith('gateway_shutdown');
        return entry.ended;
      });
      await Promise.allSettled(ended);
      await Promise.allSettled([...handlers.values()].map(async (handler) => handler.close?.()));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      wss.close();
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

/**
 * How the tunnel's client wants statements that need a review handled, from
 * its URL: `?review=ID` runs the approved statement of review ID (`hoop exec
 * --review ID`); `?hold=false` answers at once with the new review's ID
 * (`hoop exec`); otherwise (psql, `hoop exec --wait`) the statement waits.
 */
function holdMode(req: http.IncomingMessage): HoldMode {
  const query = new URL(req.url ?? '/', 'http://gateway').searchParams;
  const review = query.get('review');
  if (review) return { type: 'review', id: review };
  return query.get('hold') === 'false' ? { type: 'no-wait' } : { type: 'wait' };
}

/** API keys first (cheap, recognised by prefix), then the identity provider's tokens. */
function defaultStrategies(config: GatewayConfig): AuthStrategy[] {
  const strategies = [apiKeyStrategy(config.auth.apiKeys)];
  const { oidc } = config.auth;
  if (oidc) {
    strategies.push(
      oidcStrategy({
        issuer: oidc.issuer,
        clientId: oidc.clientId,
        groupsClaim: oidc.groupsClaim,
        ...(oidc.audience === undefined ? {} : { audience: oidc.audience }),
        allowDelegation: delegationPolicy(config.auth.delegation),
      }),
    );
  }
  return strategies;
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
