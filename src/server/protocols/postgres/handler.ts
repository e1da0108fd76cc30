import type { Duplex } from 'node:stream';
import type {
  HandlerContext,
  ProtocolHandler,
  ProtocolSession,
  SessionOutcome,
} from '../handler.js';
import { CancelKeys } from './cancel-keys.js';
import { forwardCancel } from './cancel.js';
import { CatalogCache } from './catalog.js';
import { Exchange } from './exchange.js';
import { connectTarget, type LoginOptions, type TargetConnection } from './login.js';
import { PostgresRelay } from './relay.js';
import { ResultFilter } from './result-filter.js';
import { RoutineCache, RoutineResolver } from './routines/index.js';
import { abortSqlState, sessionAbortOf, unlessAborted } from './session-abort.js';
import { PostgresSessionError } from './session-error.js';
import { SharedCatalogs } from './shared-catalogs.js';
import { SessionPins } from './session-pins.js';
import { PostgresClassifier } from './sql-classifier.js';
import { SqlDecider } from './sql-decider.js';
import { readStartup, StartupAbandoned } from './startup.js';
import { StatementOutcomes } from './statement-outcomes.js';
import { TargetPool, type IdleTarget, type TargetPoolOptions } from './target-pool.js';
import {
  BackendCode,
  PgProtocolError,
  buildAuthenticationOk,
  buildBackendKeyData,
  buildErrorResponse,
  buildReadyForQuery,
} from './protocol/index.js';

export interface PostgresOptions {
  /** Table columns shared across sessions; defaults to one cache per handler (`postgres.catalogTtl`, 2 s). */
  catalogCache?: CatalogCache;
  /** What targets' functions, triggers, rules and views run, shared across sessions; defaults to one per handler (`postgres.catalogTtl`, 2 s). */
  routineCache?: RoutineCache;
  /**
   * Keeps the target connections of sessions that ended cleanly for the next
   * session of the same identity (see {@link TargetPool}); `false` logs in
   * anew for every session. Defaults: 60 s idle, 4 per key, 100 in all.
   */
  pool?: TargetPoolOptions | false;
  /** Bytes queued behind a message held for review before the client is paused. Default 1 MiB. */
  maxHeldBytes?: number;
}

/**
 * `type: postgres`: the gateway terminates protocol v3 on the client side
 * (any user name, no password: the tunnel is already authenticated), logs in
 * to the target through the connector with the connection's own
 * credentials, and relays message by message so that every Query and Parse
 * is decided by the session's enforcer first (see {@link PostgresRelay}).
 */
export function postgresProtocol(options: PostgresOptions = {}) {
  return (context: HandlerContext): ProtocolHandler => postgresHandler(context, options);
}

function postgresHandler(context: HandlerContext, options: PostgresOptions): ProtocolHandler {
  const { connector } = context;
  const cancelKeys = new CancelKeys();
  const classifier = new PostgresClassifier(context.sql);
  const ttl = context.catalogTtlMs === undefined ? {} : { ttlMs: context.catalogTtlMs };
  const catalogs = new SharedCatalogs({ cache: options.catalogCache ?? new CatalogCache(ttl) });
  const routines = options.routineCache ?? new RoutineCache(ttl);
  const pool = options.pool === false ? undefined : new TargetPool(options.pool);

  return {
    type: 'postgres',
    async close() {
      pool?.close();
      catalogs.close();
      await classifier.close();
    },
    async serve(session: ProtocolSession, client: Duplex): Promise<SessionOutcome> {
      const counts = { bytesUp: 0, bytesDown: 0 };
      const { target: info, enforcer } = session;
      let target: TargetConnection | undefined;
      let key: ReturnType<CancelKeys['issue']> | undefined;
      let catalog: ReturnType<SharedCatalogs['acquire']> | undefined;
      let stopOnAbort: (() => void) | undefined;
      try {
        // Until the relay runs, a gateway stop abandons the session where it is (57P01).
        const { signal } = session;
        const startup = await unlessAborted(readStartup(client, info), signal);
        if (startup.kind === 'cancel') {
          await forwardCancel(connector, cancelKeys, startup);
          return { ...counts, reason: 'client_closed', detail: 'cancel request' };
        }
        const login: LoginOptions = {
          target: info,
          user: info.user ?? startup.user,
          database: startup.database,
          parameters: startup.parameters,
        };
        const poolKey = pool && targetKey(session, login);
        const reused = poolKey
          ? await unlessAborted(pool.take(poolKey), signal, (late) =>
              late?.connection.socket.destroy(),
            )
          : undefined;
        target =
          reused?.connection ??
          (await unlessAborted(connectTarget(connector, login), signal, (late) =>
            late.socket.destroy(),
          ));
        // The gateway ends the session (its audit store is gone, it stops): a
        // FATAL ErrorResponse after the last whole message the client was sent.
        const connected = target;
        stopOnAbort = () => {
          const abort = sessionAbortOf(signal);
          connected.socket.destroy();
          if (client.writable) {
            client.end(
              buildErrorResponse({
                severity: 'FATAL',
                code: abortSqlState(abort),
                message: abort.message,
              }),
            );
          }
        };
        if (signal.aborted) stopOnAbort();
        else signal.addEventListener('abort', stopOnAbort, { once: true });
        const idle: IdleTarget = reused ?? {
          connection: target,
          parameters: parameterStatuses(target.greeting),
        };
        // The session must start lexing SQL as the gateway does (a role's or database's defaults could differ).
        const lexer = new SessionPins();
        for (const frame of idle.parameters.values()) {
          const [name, value] = parameterOf(frame);
          lexer.report(name, value);
        }
        if (enforcer.active && lexer.unsafe) {
          throw new PostgresSessionError(
            '42501',
            `hoop: ${lexer.unsafe}; the gateway reads SQL with standard_conforming_strings on and client_encoding UTF8, so this session is refused (an administrator should reset the role's or database's setting)`,
            { refusal: true },
          );
        }
        client.write(buildAuthenticationOk());
        if (target.backendKey) {
          // A new key per session, reused backend or not: an earlier session's key cancels nothing.
          key = cancelKeys.issue({ target: info, ...target.backendKey });
          client.write(buildBackendKeyData(key.processId, key.secretKey));
        }
        if (reused) {
          // The parameters as the backend has them now, then ready, as a fresh login would end.
          for (const message of reused.parameters.values()) client.write(message);
          client.write(buildReadyForQuery('I'));
        } else {
          for (const message of target.greeting) client.write(message);
          for (const bytes of target.leftover) client.write(bytes);
        }
        const exchange = new Exchange();
        let filter: ResultFilter | undefined;
        let resolver: RoutineResolver | undefined;
        if (enforcer.active) {
          catalog = catalogs.acquire(
            `${info.host}:${info.port}/${login.database}/${login.user}`,
            `${info.host}:${info.port}/${login.database}`,
            // Same credentials and database, none of the client's parameters.
            () => connectTarget(connector, { ...login, parameters: new Map() }),
          );
          resolver = new RoutineResolver({
            catalog: catalog.lookup,
            cache: routines,
            database: `${info.host}:${info.port}/${login.database}`,
          });
          filter = new ResultFilter({
            enforcer,
            catalog: catalog.lookup,
            exchange,
            onCatalogFailure: (error) =>
              session.log.warn(
                { event: 'postgres_catalog_failed', err: error },
                'catalog lookup failed; masking table columns whole',
              ),
          });
        }
        const relay = new PostgresRelay({
          session,
          client,
          target: target.socket,
          early: startup.leftover,
          counts,
          decider: new SqlDecider(enforcer, lexer, classifier, resolver, catalog?.lookup),
          lexer,
          exchange,
          ...(filter ? { filter } : {}),
          ...(enforcer.active ? { outcomes: new StatementOutcomes(enforcer) } : {}),
          maxMessageBytes: context.maxMessageBytes,
          // Bytes that reached the client around the relay would go untracked: such a connection is not reused.
          ...(pool && target.leftover.length === 0 ? { parameters: idle.parameters } : {}),
          maxHeldBytes: options.maxHeldBytes ?? 1024 * 1024,
        });
        const { idle: clean, ...outcome } = await relay.run();
        if (clean && poolKey) pool.park(poolKey, idle);
        return outcome;
      } catch (error) {
        target?.socket.destroy();
        if (error instanceof StartupAbandoned) {
          // As PostgreSQL does: no reply; the tunnel closes.
          session.log.info({ event: 'postgres_startup_abandoned' }, error.message);
          return { ...counts, reason: error.reason, detail: error.message };
        }
        const failure =
          error instanceof PostgresSessionError
            ? error
            : error instanceof PgProtocolError
              ? new PostgresSessionError(error.sqlState, error.message)
              : undefined;
        if (!failure) throw error;
        if (client.writable) {
          client.end(
            buildErrorResponse({
              severity: 'FATAL',
              code: failure.sqlState,
              message: failure.message,
            }),
          );
        }
        session.log.info(
          { event: 'postgres_session_refused', sqlState: failure.sqlState },
          failure.message,
        );
        return {
          ...counts,
          reason: failure.refusal ? 'startup_refused' : 'protocol_error',
          detail: failure.message,
        };
      } finally {
        if (stopOnAbort) session.signal.removeEventListener('abort', stopOnAbort);
        key?.release();
        catalog?.release();
      }
    },
  };
}

/**
 * Who may take over a pooled target connection: the same connection and
 * identity, the same target role and database, the same start-up parameters
 * (RESET ALL returns settings to what they made them).
 */
function targetKey(session: ProtocolSession, login: LoginOptions): string {
  const parameters = [...login.parameters]
    .map(([name, value]) => [name.toLowerCase(), value])
    .sort(([a], [b]) => (a! < b! ? -1 : a! > b! ? 1 : 0));
  return JSON.stringify([
    session.target.name,
    session.identity.subject,
    `${login.target.host}:${login.target.port}`,
    login.user,
    login.database,
    parameters,
  ]);
}

/** The ParameterStatus frames of a greeting, by lower-cased name. */
function parameterStatuses(greeting: Buffer[]): Map<string, Buffer> {
  const parameters = new Map<string, Buffer>();
  for (const bytes of greeting) {
    if (bytes[0] !== BackendCode.ParameterStatus) continue;
    parameters.set(parameterOf(bytes)[0].toLowerCase(), bytes);
  }
  return parameters;
}

/** A ParameterStatus message's name and value (§55.7: Byte1('S'), Int32, String name, String value). */
function parameterOf(bytes: Buffer): [string, string] {
  const nameEnd = bytes.indexOf(0, 5);
  return [
    bytes.toString('utf8', 5, nameEnd),
    bytes.toString('utf8', nameEnd + 1, bytes.length - 1),
  ];
}
