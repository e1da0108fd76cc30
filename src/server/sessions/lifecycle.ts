import type { WebSocketStream } from '../../tunnel/index.js';
import type { AuditRecorder } from '../audit/index.js';
import type { Authenticator } from '../auth/authenticator.js';
import type { Identity } from '../auth/identity.js';
import type { ConnectionConfig } from '../config/index.js';
import type { Logger } from '../logger.js';
import type { ProtocolHandler, SessionAbort, SessionOutcome } from '../protocols/handler.js';
import type { HoldMode, ReviewDesk } from '../reviews/index.js';
import type { SessionEnd } from '../store/index.js';
import { targetInfo } from '../targets/local.js';
import { sessionEnforcer, type EnforcementParts } from './enforcer.js';
import { SessionGuard } from './guard.js';

/** A session admitted at the tunnel endpoint and recorded as started, ready to be served. */
export interface AdmittedSession {
  id: string;
  identity: Identity;
  connection: ConnectionConfig;
  mode: HoldMode;
  /** The grant rule the session opens under, when a session-level review rule asked for one. */
  grantRule?: string;
  log: Logger;
  /** The Authorization header it was opened with: an API key's is checked again at each config reload. */
  credential?: string;
}

export interface SessionLifecycleOptions {
  authenticate: Authenticator;
  /** How often people's sessions need a fresh token (the OIDC revocation window). */
  revocationWindowMs: number;
  handlers: ReadonlyMap<string, ProtocolHandler>;
  enforcement: EnforcementParts;
  recorder: AuditRecorder;
  /** For what belongs to no one session (ends recorded at the shutdown deadline). */
  log: Logger;
  desk?: ReviewDesk;
}

interface Live {
  session: AdmittedSession;
  stream: WebSocketStream;
  ended: Promise<void>;
  abort: AbortController;
  /** Its end was recorded at the shutdown deadline: the session's own ending records nothing more. */
  forced?: boolean;
}

/**
 * How a gateway stop ends a session, in PostgreSQL's own words for it
 * (57P01 admin_shutdown: what a PostgreSQL server tells its clients on a
 * fast shutdown).
 */
export const GATEWAY_SHUTDOWN: SessionAbort = {
  reason: 'gateway_shutdown',
  message:
    'terminating connection due to administrator command (hoop: the gateway is shutting down)',
};

/**
 * A session from its tunnel's upgrade to its end record: serves it with
 * its connection type's handler and an enforcer bound to it, keeps its
 * authorization alive (refreshed tokens arrive on the tunnel), ends it when
 * its grant ends, when the gateway ends it from outside (the audit store is
 * gone, the gateway stops), and records how it ended.
 */
export class SessionLifecycle {
  private readonly live = new Map<string, Live>();
  /** The gateway stops: a session served from now on is ended at once. */
  private stopping = false;

  constructor(private readonly options: SessionLifecycleOptions) {}

  /** Number of sessions being served. */
  get size(): number {
    return this.live.size;
  }

  /** Serves an admitted session over its tunnel until it ends. */
  serve(session: AdmittedSession, handler: ProtocolHandler, stream: WebSocketStream): void {
    const abort = new AbortController();
    const entry: Live = { session, stream, ended: Promise.resolve(), abort };
    this.live.set(session.id, entry);
    entry.ended = this.run(session, handler, stream, abort.signal, entry);
    void entry.ended.finally(() => this.live.delete(session.id));
    // Admitted while the gateway began to stop: it ends as the others do.
    if (this.stopping) this.abort([session.id], GATEWAY_SHUTDOWN);
  }

  /**
   * Records the end of a session that was never served (its client left
   * while it was being admitted), or of one that was.
   */
  async end(
    id: string,
    outcome: Pick<SessionOutcome, 'bytesUp' | 'bytesDown' | 'reason' | 'detail'>,
    log: Logger,
  ): Promise<void> {
    const end: SessionEnd = {
      endedAt: new Date(),
      bytesUp: outcome.bytesUp,
      bytesDown: outcome.bytesDown,
      closeReason: outcome.reason,
      ...(outcome.detail === undefined ? {} : { closeDetail: outcome.detail }),
    };
    log.info({ event: 'session_end', ...end }, 'session ended');
    try {
      // The end closes the session's chain, signed, after its last event.
      await this.options.recorder.end(id, end);
    } catch (error) {
      log.error(
        { err: error, event: 'session_end_unrecorded', ...end },
        'could not record the end of a session',
      );
    }
  }

  /**
   * Ends sessions from outside, each told `why` in its protocol's terms
   * (handlers follow the abort signal); a handler that does not (plain TCP)
   * ends with its tunnel a moment later.
   */
  abort(ids: Iterable<string>, why: SessionAbort, onAbort?: (id: string) => void): void {
    for (const id of ids) {
      const entry = this.live.get(id);
      if (!entry || entry.abort.signal.aborted) continue;
      onAbort?.(id);
      entry.abort.abort(why);
      setTimeout(() => {
        // A stop needs no detail in the close frame: its reason says it all.
        if (!entry.stream.destroyed)
          entry.stream.closeWith(why.reason, why === GATEWAY_SHUTDOWN ? undefined : why.message);
      }, 1000).unref();
    }
  }

  /**
   * Asks `check` of every open session whether it may go on (after a config
   * reload: its API key may be gone, its connection closed to its groups);
   * each it says why not of is ended as `unauthorized`, its client told why.
   */
  async recheck(check: (session: AdmittedSession) => Promise<string | undefined>): Promise<number> {
    let ended = 0;
    await Promise.all(
      [...this.live.entries()].map(async ([id, entry]) => {
        const why = await check(entry.session);
        if (why === undefined) return;
        ended++;
        entry.session.log.info(
          { event: 'session_unauthorized', detail: why },
          'authorization ended',
        );
        this.abort([id], { reason: 'unauthorized', message: `hoop: ${why}` });
      }),
    );
    return ended;
  }

  /**
   * Ends every session for a gateway stop: each client is told in its
   * protocol's terms ({@link GATEWAY_SHUTDOWN}; a login under way is
   * abandoned), and each session records its end as `gateway_shutdown`.
   * Resolves once all have, or after `timeoutMs`: then the sessions left are
   * cut (their tunnels destroyed) and their ends recorded here. Events
   * already acknowledged are in the journal either way.
   */
  async shutdown(timeoutMs: number): Promise<void> {
    this.stopping = true;
    this.abort(this.live.keys(), GATEWAY_SHUTDOWN);
    const ended = Promise.allSettled([...this.live.values()].map((entry) => entry.ended));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<true>((resolve) => {
      timer = setTimeout(() => resolve(true), timeoutMs);
    });
    const cut = await Promise.race([ended.then(() => false), late]);
    clearTimeout(timer);
    if (!cut) return;
    const left = [...this.live.entries()];
    await Promise.allSettled(
      left.map(async ([id, entry]) => {
        entry.forced = true;
        entry.stream.destroy();
        await this.end(
          id,
          {
            bytesUp: 0,
            bytesDown: 0,
            reason: 'gateway_shutdown',
            detail: `not ended within the shutdown timeout (${timeoutMs} ms)`,
          },
          this.options.log,
        );
      }),
    );
  }

  private async run(
    session: AdmittedSession,
    handler: ProtocolHandler,
    stream: WebSocketStream,
    signal: AbortSignal,
    entry: Live,
  ): Promise<void> {
    const { options } = this;
    // Ends the session when its credential expires or is no longer refreshed;
    // refreshed tokens from the CLI arrive as 'token' control messages.
    const guard = new SessionGuard({
      identity: session.identity,
      authenticate: options.authenticate,
      revocationWindowMs: options.revocationWindowMs,
      onUnauthorized: (detail) => {
        session.log.info({ event: 'session_unauthorized', detail }, 'authorization ended');
        stream.closeWith('unauthorized', detail);
      },
    });
    stream.on('token', (token: string) => void guard.present(token));
    // A session opened under a grant ends when the grant does.
    let closedAs: { reason: 'grant_expired'; detail: string } | undefined;
    const grant =
      session.grantRule === undefined
        ? undefined
        : await options.desk?.activeGrant(session.identity, session.connection.name);
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
    const enforcer = sessionEnforcer(options.enforcement, {
      id: session.id,
      identity: session.identity,
      connection: session.connection,
      mode: session.mode,
      ...(session.grantRule === undefined ? {} : { grantRule: session.grantRule }),
      log: session.log,
    });
    let outcome: SessionOutcome;
    try {
      outcome = await handler.serve(
        {
          id: session.id,
          identity: session.identity,
          target: targetInfo(session.connection),
          log: session.log,
          enforcer,
          signal,
        },
        stream,
      );
    } catch (error) {
      // Ended from outside (the gateway stops): its tunnel may be gone under the handler.
      if (signal.aborted) session.log.info({ err: error }, 'protocol handler ended by the gateway');
      else session.log.error({ err: error }, 'protocol handler failed');
      stream.closeWith(signal.aborted ? (signal.reason as SessionAbort).reason : 'internal_error');
      outcome = {
        bytesUp: 0,
        bytesDown: 0,
        reason: 'internal_error',
        detail: (error as Error).message,
      };
    }
    guard.stop();
    if (grantTimer) clearTimeout(grantTimer);
    if (closedAs) outcome = { ...outcome, reason: closedAs.reason, detail: closedAs.detail };
    if (signal.aborted) {
      const why = signal.reason as SessionAbort;
      outcome = { ...outcome, reason: why.reason, detail: why.message };
    }
    // A handler that is done with its client (a cancel request, a refused
    // start-up) leaves the tunnel to us: closing it is what the client waits for.
    if (!stream.destroyed) stream.destroy();
    if (entry.forced) return;
    await this.end(session.id, outcome, session.log);
  }
}
