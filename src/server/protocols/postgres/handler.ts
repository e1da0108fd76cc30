import net from 'node:net';
import type { Duplex } from 'node:stream';
import { randomBytes } from 'node:crypto';
import type { ProtocolHandler, SessionContext, SessionOutcome } from '../handler.js';
import { CancelKeys } from './cancel-keys.js';
import { CatalogCache } from './catalog.js';
import { SharedCatalogs } from './shared-catalogs.js';
import { FrameSource } from './frame-source.js';
import { abortSqlState, sessionAbortOf } from './session-abort.js';
import { PostgresSessionError } from './session-error.js';
import { ResultFilter } from './result-filter.js';
import type { ResultMaskerFactory } from './result-masker.js';
import {
  allowAll,
  type GateDecision,
  type HoldHook,
  type StatementGate,
  type StatementHook,
} from './statement-gate.js';
import { StatementOutcomes } from './statement-outcomes.js';
import { frameOf, type PreviewLimits } from './result-preview.js';
import { connectTarget, type TargetConnection, type TargetOptions } from './target.js';
import { TargetPool, type IdleTarget, type TargetPoolOptions } from './target-pool.js';
import {
  BackendCode,
  Framer,
  FrontendCode,
  PgProtocolError,
  buildAuthenticationOk,
  buildBackendKeyData,
  buildCancelRequest,
  buildEncryptionResponse,
  buildErrorResponse,
  buildNoticeResponse,
  buildParse,
  buildQuery,
  buildReadyForQuery,
  frameBytes,
  parseBackend,
  parseFrontend,
  type Frame,
} from './protocol/index.js';

export interface PostgresHandlerOptions {
  /** Decides every Query and Parse; defaults to allowing everything. */
  gate?: StatementGate;
  /** Largest message accepted from the client. */
  maxMessageBytes?: number;
  /**
   * Builds the masker for the mask rules the gate attached to a statement;
   * without it, results are never masked. Column origins come from the
   * target's catalog over a connection of the gateway's own.
   */
  masker?: ResultMaskerFactory;
  /** Table columns shared across sessions; defaults to one cache per handler (30 s TTL). */
  catalogCache?: CatalogCache;
  /** Told how every Query and Execute ended, with the gate's `audit` payload (e.g. for the audit trail). */
  onStatement?: StatementHook;
  /**
   * With `onStatement`: the first rows of each result, as the client is sent
   * them (after masking), go with the outcome, up to these limits. Default: none.
   */
  preview?: PreviewLimits;
  /**
   * Keeps the target connections of sessions that ended cleanly for the next
   * session of the same identity (see {@link TargetPool}); `false` logs in
   * anew for every session. Defaults: 60 s idle, 4 per key, 100 in all.
   */
  pool?: TargetPoolOptions | false;
  /**
   * Decides messages the gate marked `hold` (a statement waiting for a
   * review); without it they are refused. While one waits, later client
   * messages queue behind it in order, up to `maxHeldBytes`, then the client
   * is no longer read.
   */
  hold?: HoldHook;
  /** Bytes queued behind a held message before the client is paused. Default 1 MiB. */
  maxHeldBytes?: number;
}

/** The relay's ending; `idle` when the client said Terminate while the target was idle and the target was left untouched. */
type RelayOutcome = SessionOutcome & { idle?: boolean };

/** Extended-protocol messages the result filter follows to tie results to their statements. */
const TRACKED_FRONTEND = new Set<number>([
  FrontendCode.Bind,
  FrontendCode.Describe,
  FrontendCode.Execute,
  FrontendCode.Close,
  FrontendCode.Sync,
]);

/** Start-up parameters a client may pass on to the target. Others are dropped; a few are refused. */
const FORWARDED_PARAMETERS = new Set([
  'application_name',
  'client_encoding',
  'datestyle',
  'intervalstyle',
  'timezone',
  'extra_float_digits',
]);

/**
 * `type: postgres`: the gateway terminates protocol v3 on the client side
 * (any user name, no password: the tunnel is already authenticated), logs in
 * to the target with the connection's own credentials, and relays message by
 * message so that every Query and Parse passes the statement gate first.
 *
 * A refused statement is replaced by one the target itself rejects (an
 * identifier that is not SQL), so the target keeps its own transaction
 * semantics — an implicit transaction is rolled back, an explicit one is
 * aborted — and message order is exactly what the client expects; the
 * target's syntax error is then swapped for the gateway's ErrorResponse
 * (SQLSTATE 42501 naming the rule).
 */
export function postgresHandler(options: PostgresHandlerOptions = {}): ProtocolHandler {
  const gate = options.gate ?? allowAll;
  const cancelKeys = new CancelKeys();
  const catalogs = new SharedCatalogs({ cache: options.catalogCache ?? new CatalogCache() });
  const pool = options.pool === false ? undefined : new TargetPool(options.pool);

  return {
    type: 'postgres',
    close() {
      pool?.close();
      catalogs.close();
    },
    async serve(session: SessionContext, client: Duplex): Promise<SessionOutcome> {
      const counts = { bytesUp: 0, bytesDown: 0 };
      let target: TargetConnection | undefined;
      let key: ReturnType<CancelKeys['issue']> | undefined;
      let catalog: ReturnType<SharedCatalogs['acquire']> | undefined;
      let stopOnAbort: (() => void) | undefined;
      try {
        const startup = await readStartup(client, session);
        if (startup.kind === 'cancel') {
          await forwardCancel(cancelKeys, startup.processId, startup.secretKey);
          return { ...counts, reason: 'client_closed', detail: 'cancel request' };
        }
        const { connection } = session;
        const targetOptions: TargetOptions = {
          host: connection.host,
          port: connection.port,
          user: connection.user ?? startup.user,
          ...(connection.password === undefined ? {} : { password: connection.password }),
          database: connection.database ?? startup.database,
          ...(connection.tls ? { tls: true } : {}),
          parameters: startup.parameters,
        };
        const poolKey = pool && targetKey(session, targetOptions);
        const reused = poolKey ? await pool.take(poolKey) : undefined;
        target = reused?.connection ?? (await connectTarget(targetOptions));
        if (session.signal) {
          // The gateway ends the session (its audit store is gone): a FATAL
          // ErrorResponse after the last whole message the client was sent.
          const { signal } = session;
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
        }
        const idle: IdleTarget = reused ?? {
          connection: target,
          parameters: parameterStatuses(target.greeting),
        };
        client.write(buildAuthenticationOk());
        if (target.backendKey) {
          // A new key per session, reused backend or not: an earlier session's key cancels nothing.
          key = cancelKeys.issue({
            host: connection.host,
            port: connection.port,
            ...target.backendKey,
          });
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
        let filter: ResultFilter | undefined;
        if (options.masker) {
          catalog = catalogs.acquire(
            `${targetOptions.host}:${targetOptions.port}/${targetOptions.database}/${targetOptions.user}`,
            // Same credentials and database, none of the client's parameters.
            () => connectTarget({ ...targetOptions, parameters: new Map() }),
          );
          filter = new ResultFilter({
            masker: options.masker,
            catalog: catalog.lookup,
            onCatalogFailure: (error) =>
              session.log.warn(
                { event: 'postgres_catalog_failed', err: error },
                'catalog lookup failed; masking table columns whole',
              ),
          });
        }
        const { onStatement } = options;
        const outcomes = onStatement
          ? new StatementOutcomes(
              (audit, outcome) => onStatement(session, audit, outcome),
              options.preview,
            )
          : undefined;
        const { idle: clean, ...outcome } = await relayMessages(
          session,
          client,
          target.socket,
          startup.leftover,
          gate,
          counts,
          filter,
          options.maxMessageBytes,
          outcomes,
          // Bytes that reached the client around the relay would go untracked: such a connection is not reused.
          pool && target.leftover.length === 0 ? idle.parameters : undefined,
          options.hold && { hook: options.hold, maxBytes: options.maxHeldBytes ?? 1024 * 1024 },
        );
        if (clean && poolKey) pool.park(poolKey, idle);
        return outcome;
      } catch (error) {
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
        target?.socket.destroy();
        session.log.info(
          { event: 'postgres_session_refused', sqlState: failure.sqlState },
          failure.message,
        );
        return { ...counts, reason: 'protocol_error', detail: failure.message };
      } finally {
        if (stopOnAbort) session.signal?.removeEventListener('abort', stopOnAbort);
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
function targetKey(session: SessionContext, target: TargetOptions): string {
  const parameters = [...target.parameters]
    .map(([name, value]) => [name.toLowerCase(), value])
    .sort(([a], [b]) => (a! < b! ? -1 : a! > b! ? 1 : 0));
  return JSON.stringify([
    session.connection.name,
    session.identity.subject,
    `${target.host}:${target.port}`,
    target.user,
    target.database,
    parameters,
  ]);
}

/** The ParameterStatus frames of a greeting, by lower-cased name. */
function parameterStatuses(greeting: Buffer[]): Map<string, Buffer> {
  const parameters = new Map<string, Buffer>();
  for (const bytes of greeting) {
    if (bytes[0] !== BackendCode.ParameterStatus) continue;
    const name = bytes.toString('utf8', 5, bytes.indexOf(0, 5));
    parameters.set(name.toLowerCase(), bytes);
  }
  return parameters;
}

type Startup =
  | { kind: 'cancel'; processId: number; secretKey: Buffer }
  | {
      kind: 'session';
      user: string;
      database: string;
      parameters: Map<string, string>;
      leftover: Buffer[];
    };

/**
 * Protocol §55.2.1: SSLRequest and GSSENCRequest are answered 'N' (the tunnel
 * is already encrypted), then a StartupMessage or CancelRequest follows.
 */
async function readStartup(client: Duplex, session: SessionContext): Promise<Startup> {
  const source = new FrameSource(client, { startup: true, name: 'the client' });
  for (;;) {
    const frame = await source.next();
    const message = parseFrontend(frame);
    switch (message.type) {
      case 'sslRequest':
      case 'gssEncRequest':
        client.write(buildEncryptionResponse('N'));
        continue;
      case 'cancelRequest':
        source.release();
        return { kind: 'cancel', processId: message.processId, secretKey: message.secretKey };
      case 'startup': {
        if (message.majorVersion !== 3) {
          throw new PostgresSessionError(
            '0A000',
            `protocol version ${message.majorVersion}.${message.minorVersion} is not supported`,
          );
        }
        const parameters = new Map<string, string>();
        for (const [name, value] of message.parameters) {
          const lower = name.toLowerCase();
          if (lower === 'replication')
            throw new PostgresSessionError(
              '42501',
              'replication connections are not allowed through the gateway',
            );
          if (lower === 'options') {
            throw new PostgresSessionError(
              '42501',
              'the start-up parameter "options" is not allowed through the gateway; use SET after connecting',
            );
          }
          if (FORWARDED_PARAMETERS.has(lower)) parameters.set(name, value);
        }
        const user = message.parameters.get('user') ?? '';
        const requested = message.parameters.get('database') ?? user;
        const configured = session.connection.database;
        // The connection reaches one database; asking for another is an error, not a silent redirect.
        if (
          configured !== undefined &&
          requested !== configured &&
          requested !== user &&
          requested !== ''
        ) {
          throw new PostgresSessionError(
            '3D000',
            `connection ${session.connection.name} reaches database "${configured}" only`,
          );
        }
        const { frames, partial } = source.release();
        const leftover = frames.map((f) => Buffer.from(frameBytes(f)));
        if (partial) leftover.push(Buffer.from(partial));
        return { kind: 'session', user, database: configured ?? requested, parameters, leftover };
      }
      default:
        throw new PostgresSessionError(
          '08P01',
          `unexpected ${message.type} message during start-up`,
        );
    }
  }
}

async function forwardCancel(
  keys: CancelKeys,
  processId: number,
  secretKey: Buffer,
): Promise<void> {
  const target = keys.lookup(processId, secretKey);
  // An unknown key is ignored, as PostgreSQL itself does (no error reaches the client).
  if (!target) return;
  await new Promise<void>((resolve) => {
    const socket = net.connect({ host: target.host, port: target.port }, () => {
      socket.end(buildCancelRequest(target.processId, target.secretKey));
    });
    socket.on('error', () => resolve());
    socket.on('close', () => resolve());
  });
}

/**
 * The relay after start-up: client frames go through the gate; target frames
 * go back unchanged (forwarded as runs of their original bytes) except the
 * target's rejection of a substituted statement, which becomes the gateway's
 * ErrorResponse.
 *
 * With `parameters` (the connection may be pooled), the relay keeps the
 * target's latest ParameterStatus frames there and follows whether the target
 * is idle; a Terminate that arrives while it is (last ReadyForQuery 'I',
 * every request answered and forwarded, no unsynced extended message) is not
 * forwarded: the relay lets go of the target and reports `idle`.
 */
function relayMessages(
  session: SessionContext,
  client: Duplex,
  target: Duplex,
  early: Buffer[],
  gate: StatementGate,
  counts: { bytesUp: number; bytesDown: number },
  filter: ResultFilter | undefined,
  maxMessageBytes?: number,
  outcomes?: StatementOutcomes,
  parameters?: Map<string, Buffer>,
  hold?: { hook: HoldHook; maxBytes: number },
): Promise<RelayOutcome> {
  return new Promise((resolve) => {
    const clientFramer = new Framer(maxMessageBytes === undefined ? {} : { maxMessageBytes });
    const targetFramer = new Framer({ maxMessageBytes: 1024 * 1024 * 1024 });
    /** Markers of substituted statements, in the order the target will reject them, with the client's error. */
    const refusals = new Map<string, { message: string; sqlState: string }>();
    let settled = false;
    /** Requests the target has yet to answer with ReadyForQuery (Query, Sync, FunctionCall). */
    let awaiting = 0;
    /** Extended-protocol messages sent since the last Sync. */
    let unsynced = false;
    /** The last ReadyForQuery's transaction status byte ('I' after start-up). */
    let status = 0x49;
    /** The target is no longer ours: the session ended cleanly and the connection goes back to the pool. */
    let released = false;

    /** While a message is held for review: the client frames behind it, in order. */
    let held: Frame[] | undefined;
    let heldBytes = 0;
    /** Aborts the held message's wait when the session ends. */
    let heldAbort: AbortController | undefined;

    const finish = (outcome: Omit<RelayOutcome, 'bytesUp' | 'bytesDown'>): void => {
      if (settled) return;
      settled = true;
      heldAbort?.abort(new Error('the client went away'));
      resolve({ ...counts, ...outcome });
    };

    const refuse = (message: string, sqlState: string): string => {
      const marker = `hoop_refused_${randomBytes(8).toString('hex')}`;
      refusals.set(marker, { message, sqlState });
      return marker;
    };

    const fromClient = (chunk: Buffer): void => {
      counts.bytesUp += chunk.length;
      let frames: Frame[];
      try {
        frames = clientFramer.push(chunk);
      } catch (error) {
        protocolFailure(error as Error);
        return;
      }
      if (held) {
        // Behind a held message: queued in order, bounded.
        held.push(...frames);
        heldBytes += chunk.length;
        if (heldBytes > (hold?.maxBytes ?? 0)) client.pause();
        return;
      }
      relayFrames(frames);
    };

    /** The bytes to forward for a decided Query or Parse, telling the filter and the outcomes. */
    const applyDecision = (
      message: { type: 'query'; sql: string } | { type: 'parse'; sql: string; name: string },
      frame: Frame,
      decision: GateDecision,
    ): Buffer => {
      let replaced: Buffer | undefined;
      if (!decision.allow) {
        const marker = refuse(decision.message, decision.sqlState);
        replaced =
          message.type === 'query' ? buildQuery(marker) : buildParse(message.name, marker, []);
      }
      filter?.onClientMessage(
        message as Parameters<ResultFilter['onClientMessage']>[0],
        decision.allow ? decision.masks : undefined,
        decision.allow ? decision.copyOut : undefined,
      );
      outcomes?.onStatement(
        message as Parameters<StatementOutcomes['onStatement']>[0],
        decision.audit,
        decision.allow ? undefined : { sqlState: decision.sqlState, message: decision.message },
      );
      return replaced ?? frameBytes(frame);
    };

    /**
     * Holds a Query or Parse for review: what came before it has gone to the
     * target, what follows waits in `held`; the hook's decision then sends or
     * refuses it, and the queue goes on from there, in order.
     */
    const startHold = (
      message: { type: 'query'; sql: string } | { type: 'parse'; sql: string; name: string },
      frame: Frame,
      decision: Extract<GateDecision, { allow: false }>,
      rest: Frame[],
    ): void => {
      held = rest;
      heldBytes = 0;
      const controller = new AbortController();
      heldAbort = controller;
      const fallback: GateDecision = {
        allow: false,
        sqlState: decision.sqlState,
        message: decision.message,
        audit: decision.audit,
      };
      hold!
        .hook(session, {
          sql: message.sql,
          hold: decision.hold,
          notice: (text) => {
            if (!settled && client.writable) {
              client.write(
                buildNoticeResponse({ severity: 'NOTICE', code: '00000', message: text }),
              );
            }
          },
          signal: controller.signal,
        })
        .catch((error: unknown) => {
          session.log.warn({ err: error, event: 'postgres_hold_failed' }, 'held statement failed');
          return fallback;
        })
        .then((final) => {
          if (settled || controller.signal.aborted) return;
          heldAbort = undefined;
          let bytes: Buffer;
          try {
            bytes = applyDecision(message, frame, final);
          } catch (error) {
            protocolFailure(error as Error);
            return;
          }
          const queued = held ?? [];
          held = undefined;
          heldBytes = 0;
          if (!target.write(bytes)) client.pause();
          else client.resume();
          relayFrames(queued);
        });
    };

    const relayFrames = (frames: Frame[]): void => {
      const out: Buffer[] = [];
      for (let index = 0; index < frames.length; index++) {
        const frame = frames[index]!;
        if (parameters) {
          switch (frame.code) {
            case FrontendCode.Query:
            case FrontendCode.FunctionCall:
              awaiting++;
              break;
            case FrontendCode.Sync:
              awaiting++;
              unsynced = false;
              break;
            case FrontendCode.Terminate:
              if (targetIdle()) {
                release();
                return;
              }
              break;
            case FrontendCode.CopyData:
            case FrontendCode.CopyDone:
            case FrontendCode.CopyFail:
              // Part of a request already counted.
              break;
            default:
              unsynced = true;
          }
        }
        if (frame.code === FrontendCode.Query || frame.code === FrontendCode.Parse) {
          let bytes: Buffer = frameBytes(frame);
          try {
            const message = parseFrontend(frame);
            if (message.type === 'query' || message.type === 'parse') {
              const decision = gate(session, message.sql);
              if (!decision.allow && decision.hold !== undefined && hold) {
                if (out.length > 0) writeTarget(out);
                startHold(message, frame, decision, frames.slice(index + 1));
                return;
              }
              bytes = applyDecision(message, frame, decision);
            }
          } catch (error) {
            protocolFailure(error as Error);
            return;
          }
          out.push(bytes);
        } else if (frame.code === FrontendCode.FunctionCall && gate !== allowAll) {
          // The fastpath FunctionCall (§55.2.5) names a function by OID with
          // no SQL for the gate to read: refuse it. As a refused Query, the
          // target answers ErrorResponse + ReadyForQuery, which is also what
          // the client awaits for a failed call.
          const refusal = {
            sqlState: '42501',
            message:
              'hoop: the fastpath FunctionCall message is refused; call the function in SQL so policy can decide it',
          };
          const stand = { type: 'query' as const, sql: '-- fastpath FunctionCall' };
          filter?.onClientMessage(stand, undefined);
          outcomes?.onStatement(stand, undefined, refusal);
          out.push(buildQuery(refuse(refusal.message, refusal.sqlState)));
        } else {
          if ((filter || outcomes) && TRACKED_FRONTEND.has(frame.code)) {
            try {
              const message = parseFrontend(frame);
              filter?.onClientMessage(message);
              outcomes?.onClientMessage(message);
            } catch (error) {
              protocolFailure(error as Error);
              return;
            }
          }
          out.push(frameBytes(frame));
        }
      }
      if (out.length > 0) writeTarget(out);
    };

    const writeTarget = (out: Buffer[]): void => {
      const ok = out.length === 1 ? target.write(out[0]) : target.write(Buffer.concat(out));
      if (!ok) client.pause();
    };

    /** Target frames not yet looked at, held while a result's masking plan is computed or a statement's event is journaled. */
    const backlog: Frame[] = [];
    /** Bytes ready for the client, written together when the backlog is drained. */
    const unsent: Buffer[] = [];
    let waiting = false;
    let clientFull = false;

    const fromTarget = (chunk: Buffer): void => {
      counts.bytesDown += chunk.length;
      try {
        for (const frame of targetFramer.push(chunk)) {
          if (parameters) trackTarget(frame);
          backlog.push(frame);
        }
      } catch (error) {
        protocolFailure(error as Error);
        return;
      }
      if (!waiting) drainBacklog();
    };

    /**
     * Writes what is ready as one write: one write per target chunk, however
     * many rows masking rewrote in it or statements completed in it (a write
     * per row or per held completion would become a tunnel frame each, and a
     * slow reader would hold thousands of small queued writes at once).
     */
    const sendUnsent = (): void => {
      if (unsent.length === 0) return;
      const bytes = unsent.length === 1 ? unsent[0]! : Buffer.concat(unsent);
      unsent.length = 0;
      if (!client.write(bytes)) {
        clientFull = true;
        target.pause();
      }
    };

    /**
     * Moves backlog frames to the client in order, as runs of their original
     * bytes where nothing changes. It stops at a frame whose masking plan
     * needs the catalog, and at a frame that completes a statement until the
     * statement's event is durable; what is ready by then waits with it, so
     * a response normally leaves in one write.
     */
    const drainBacklog = (): void => {
      let runStart: Frame | undefined;
      let runEnd: Frame | undefined;
      const flushRun = (): void => {
        if (runStart && runEnd) {
          unsent.push(
            runStart.buffer === runEnd.buffer
              ? runStart.buffer.subarray(runStart.start, runEnd.end)
              : Buffer.concat([frameBytes(runStart), frameBytes(runEnd)]),
          );
        }
        runStart = runEnd = undefined;
      };
      /** Queues a frame (or its replacement) after the statement it completes is recorded; true when it must wait. */
      const complete = (frame: Frame, replacement: Buffer | undefined): boolean => {
        // The outcomes see what the client is sent: masked rows, the gateway's errors.
        const hold = outcomes?.onTargetFrame(replacement ? frameOf(replacement) : frame);
        if (!hold) return false;
        flushRun();
        unsent.push(replacement ?? frameBytes(frame));
        holdFor(hold);
        return true;
      };
      while (backlog.length > 0) {
        const frame = backlog[0]!;
        let replacement: Buffer | undefined;
        try {
          replacement =
            refusals.size > 0 && frame.code === BackendCode.ErrorResponse
              ? swapRefusal(frame)
              : undefined;
          const filtered = filter?.handle(frame);
          if (filtered instanceof Promise) {
            // The plan needs the catalog: hold this frame and every later one until it is ready.
            flushRun();
            sendUnsent();
            waiting = true;
            target.pause();
            filtered.then(
              (bytes) => {
                if (settled) return;
                backlog.shift();
                const changed = bytes ?? replacement;
                waiting = false;
                if (!clientFull) target.resume();
                if (complete(frame, changed)) return;
                unsent.push(changed ?? frameBytes(frame));
                drainBacklog();
              },
              (error: unknown) => protocolFailure(error as Error),
            );
            return;
          }
          replacement ??= filtered;
        } catch (error) {
          protocolFailure(error as Error);
          return;
        }
        backlog.shift();
        if (complete(frame, replacement)) return;
        if (replacement) {
          flushRun();
          unsent.push(replacement);
          continue;
        }
        if (runStart && runEnd && (runEnd.buffer !== frame.buffer || runEnd.end !== frame.start))
          flushRun();
        runStart ??= frame;
        runEnd = frame;
      }
      flushRun();
      sendUnsent();
    };

    /**
     * Holds the frame that completes a statement, and every frame after it,
     * until the statement's audit event is durable; a client never receives
     * a response whose event could be lost. If it cannot be recorded, the
     * session ends (fail closed).
     */
    const holdFor = (hold: Promise<void>): void => {
      // A hold lasts until the next journal write, one event-loop turn: the
      // target is not paused for it; frames arriving meanwhile wait in the backlog.
      waiting = true;
      hold.then(
        () => {
          if (settled) return;
          waiting = false;
          drainBacklog();
        },
        (error: unknown) => {
          unsent.length = 0;
          session.log.error(
            { err: error, event: 'statement_event_unrecorded' },
            'closing a session whose statement could not be recorded',
          );
          if (client.writable)
            client.end(
              buildErrorResponse({
                severity: 'FATAL',
                code: '58030',
                message:
                  'hoop: the gateway cannot record this statement, so its response is withheld and the session is closed (HOOP_AUDIT_UNRECORDED)',
              }),
            );
          target.destroy();
          finish({ reason: 'internal_error', detail: (error as Error).message });
        },
      );
    };

    const trackTarget = (frame: Frame): void => {
      if (frame.code === BackendCode.ReadyForQuery) {
        awaiting--;
        status = frame.buffer[frame.bodyStart] ?? 0;
      } else if (frame.code === BackendCode.ParameterStatus) {
        const message = parseBackend(frame);
        if (message.type === 'parameterStatus')
          parameters?.set(message.name.toLowerCase(), Buffer.from(frameBytes(frame)));
      }
    };

    const targetIdle = (): boolean =>
      awaiting === 0 &&
      !unsynced &&
      status === 0x49 &&
      backlog.length === 0 &&
      !waiting &&
      targetFramer.bufferedBytes === 0;

    /** Leaves the target as it is, unwatched, for the handler to reset and pool. */
    const release = (): void => {
      released = true;
      client.off('data', fromClient);
      target.off('data', fromTarget);
      target.off('drain', onTargetDrain);
      target.off('end', onTargetEnd);
      target.off('error', onTargetError);
      target.off('close', onTargetClose);
      target.pause();
      finish({ reason: 'client_closed', idle: true });
    };

    const swapRefusal = (frame: Frame): Buffer | undefined => {
      const message = parseBackend(frame);
      if (message.type !== 'errorResponse') return undefined;
      for (const [marker, refusal] of refusals) {
        if (message.fields.message?.includes(marker)) {
          refusals.delete(marker);
          return buildErrorResponse({
            severity: 'ERROR',
            code: refusal.sqlState,
            message: refusal.message,
          });
        }
      }
      return undefined;
    };

    const protocolFailure = (error: Error): void => {
      const sqlState = error instanceof PgProtocolError ? error.sqlState : '08P01';
      if (client.writable)
        client.end(
          buildErrorResponse({ severity: 'FATAL', code: sqlState, message: error.message }),
        );
      target.destroy();
      finish({ reason: 'protocol_error', detail: error.message });
    };

    const onTargetDrain = (): void => {
      client.resume();
    };
    const onTargetEnd = (): void => {
      client.end();
      finish({ reason: 'target_closed' });
    };
    const onTargetError = (error: NodeJS.ErrnoException): void => {
      if (client.writable)
        client.end(
          buildErrorResponse({
            severity: 'FATAL',
            code: '08006',
            message: `the target connection failed: ${error.code ?? error.message}`,
          }),
        );
      finish({ reason: 'target_reset', detail: error.message });
    };
    const onTargetClose = (): void => {
      if (!client.writableEnded) client.end();
      finish({ reason: 'target_closed' });
    };

    client.on('data', fromClient);
    target.on('data', fromTarget);
    client.on('drain', () => {
      clientFull = false;
      if (!waiting && !released) target.resume();
    });
    target.on('drain', onTargetDrain);
    client.on('end', () => {
      if (!released) target.end();
      finish({ reason: 'client_closed' });
    });
    target.on('end', onTargetEnd);
    client.on('error', (error: Error) => {
      if (!released) target.destroy();
      finish({ reason: 'client_vanished', detail: error.message });
    });
    target.on('error', onTargetError);
    client.on('close', () => {
      if (!released) target.destroy();
      finish({ reason: 'client_closed' });
    });
    target.on('close', onTargetClose);
    for (const bytes of early) fromClient(bytes);
    client.resume();
    target.resume();
  });
}
