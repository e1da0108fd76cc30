import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import {
  refusedInstead,
  type ActionRecord,
  type Allowed,
  type Held,
  type Refused,
  type RunSql,
} from '../../enforcement/index.js';
import type { ProtocolSession, SessionOutcome } from '../handler.js';
import type { CopyOutRequest } from './copy-out-request.js';
import type { DecidedSql, Exchange } from './exchange.js';
import type { ResultFilter } from './result-filter.js';
import { frameOf } from './result-preview.js';
import type { SessionPins } from './session-pins.js';
import type { SqlDecider, SqlVerdict } from './sql-decider.js';
import type { ClassifiedStatement } from '../../sql/index.js';
import type { StatementOutcomes } from './statement-outcomes.js';
import {
  BackendCode,
  Framer,
  FrontendCode,
  PgProtocolError,
  buildErrorResponse,
  buildNoticeResponse,
  buildBind,
  buildParse,
  buildQuery,
  frameBytes,
  parseBackend,
  parseFrontend,
  type Frame,
} from './protocol/index.js';

/** The relay's ending; `idle` when the client said Terminate while the target was idle and the target was left untouched. */
export type RelayOutcome = SessionOutcome & { idle?: boolean };

/**
 * The SQLSTATE a refusal is answered with: 42501 insufficient_privilege for
 * policy and reviews, 42601 syntax_error with the parser's message and
 * position, 54000 program_limit_exceeded for the gateway's limits on input.
 */
const SQLSTATE_OF: Record<Refused['reason'], string> = {
  policy: '42501',
  review: '42501',
  syntax: '42601',
  limit: '54000',
};

/** A Query or a Parse: the messages that carry SQL for the enforcer to decide. */
type SqlMessage = { type: 'query'; sql: string } | { type: 'parse'; sql: string; name: string };

export interface RelayOptions {
  session: ProtocolSession;
  client: Duplex;
  target: Duplex;
  /** Client bytes that arrived during start-up, relayed first. */
  early: Buffer[];
  /** Bytes each way, counted as they pass. */
  counts: { bytesUp: number; bytesDown: number };
  decider: SqlDecider;
  exchange: Exchange;
  /** Follows the target's reports of the settings that decide how it lexes SQL. */
  lexer: SessionPins;
  /** Masks results; none when no policy is configured. */
  filter?: ResultFilter;
  /** Records how statements ended; none when nothing is recorded. */
  outcomes?: StatementOutcomes;
  /** Largest message accepted from the client. */
  maxMessageBytes?: number;
  /**
   * With pooling: the target's latest ParameterStatus frames, kept up to
   * date here; a Terminate while the target is idle is then not forwarded
   * and the relay ends `idle`, leaving the target to be reset and pooled.
   */
  parameters?: Map<string, Buffer>;
  /** Bytes queued behind a message held for review before the client is paused. */
  maxHeldBytes: number;
}

/**
 * The relay after start-up. Client frames pass the enforcer first: every
 * Query and Parse is decided; a refused one is replaced by SQL the target
 * itself rejects (an identifier that is not SQL), so the target keeps its
 * own transaction semantics and message order is exactly what the client
 * expects, and the target's error is then swapped for the gateway's; one
 * held for review waits with every later client message behind it. Target
 * frames go back as runs of their original bytes, except rows the filter
 * masks, and the frame that completes a statement waits until its record is
 * durable. The session's {@link Exchange} follows both directions, so every
 * target frame is tied to what the target was answering.
 */
export class PostgresRelay {
  private readonly clientFramer: Framer;
  private readonly targetFramer = new Framer({ maxMessageBytes: 1024 * 1024 * 1024 });
  private settled = false;
  /** The target is no longer ours: the session ended cleanly and the connection goes back to the pool. */
  private released = false;
  /** While a message is held for review: the client frames behind it, in order. */
  private held: Frame[] | undefined;
  private heldBytes = 0;
  /** Aborts the held message's wait when the session ends. */
  private heldAbort: AbortController | undefined;
  /** Target frames not yet looked at, held while a result's masking plan is computed or a statement's record is made durable. */
  private readonly backlog: Frame[] = [];
  /** Bytes ready for the client, written together when the backlog is drained. */
  private readonly unsent: Buffer[] = [];
  /** Journal writes the bytes in `unsent` wait for: records of what they complete. */
  private holds: Promise<void>[] = [];
  /** The bytes in `unsent` wait for records to be durable; the backlog is still drained into it meanwhile. */
  private holding = false;
  /** A frame's masking plan needs the catalog: the backlog waits for it. */
  private waiting = false;
  private clientFull = false;
  private resolve!: (outcome: RelayOutcome) => void;

  constructor(private readonly options: RelayOptions) {
    const { maxMessageBytes } = options;
    this.clientFramer = new Framer(maxMessageBytes === undefined ? {} : { maxMessageBytes });
  }

  /** Relays until the session ends. */
  run(): Promise<RelayOutcome> {
    const { client, target, early } = this.options;
    return new Promise((resolve) => {
      this.resolve = resolve;
      client.on('data', this.fromClient);
      target.on('data', this.fromTarget);
      client.on('drain', this.onClientDrain);
      target.on('drain', this.onTargetDrain);
      client.on('end', this.onClientEnd);
      target.on('end', this.onTargetEnd);
      client.on('error', this.onClientError);
      target.on('error', this.onTargetError);
      client.on('close', this.onClientClose);
      target.on('close', this.onTargetClose);
      for (const bytes of early) this.fromClient(bytes);
      client.resume();
      target.resume();
    });
  }

  private finish(outcome: Omit<RelayOutcome, 'bytesUp' | 'bytesDown'>): void {
    if (this.settled) return;
    this.settled = true;
    this.heldAbort?.abort(new Error('the client went away'));
    this.resolve({ ...this.options.counts, ...outcome });
  }

  // ---- client → target ----

  private readonly fromClient = (chunk: Buffer): void => {
    this.options.counts.bytesUp += chunk.length;
    let frames: Frame[];
    try {
      frames = this.clientFramer.push(chunk);
    } catch (error) {
      this.protocolFailure(error as Error);
      return;
    }
    if (this.held) {
      // Behind a held message: queued in order, bounded.
      this.held.push(...frames);
      this.heldBytes += chunk.length;
      if (this.heldBytes > this.options.maxHeldBytes) this.options.client.pause();
      return;
    }
    this.relayFrames(frames);
  };

  private relayFrames(frames: Frame[]): void {
    const { exchange, session } = this.options;
    const out: Buffer[] = [];
    for (let index = 0; index < frames.length; index++) {
      const frame = frames[index]!;
      try {
        switch (frame.code) {
          case FrontendCode.Query:
          case FrontendCode.Parse: {
            const message = parseFrontend(frame);
            if (message.type !== 'query' && message.type !== 'parse') break;
            if (message.invalidUtf8 && session.enforcer.active) {
              // Bytes a SQL_ASCII server would read as they are, and the gateway as U+FFFD:
              // the two could end a quoted string or a dollar tag in different places.
              const why =
                'hoop: the SQL text is not valid UTF-8; the gateway reads SQL as UTF-8 and refuses text the server could read otherwise';
              const decided = session.enforcer.decide({
                type: 'sql',
                text: message.sql,
                analysis: { parsed: false, reason: 'syntax', error: { message: why } },
              });
              out.push(
                this.refuse(
                  message,
                  { sqlState: '22021', message: why },
                  refusedInstead(decided, why),
                ),
              );
              continue;
            }
            const verdict = this.options.decider.decide(message.sql, exchange);
            if (verdict instanceof Promise || verdict.decision.effect === 'review') {
              // Decided later (a large string classified off the event loop, a review):
              // what came before goes now, what follows waits behind it, in order.
              if (out.length > 0) this.writeTarget(out);
              this.held = frames.slice(index + 1);
              this.heldBytes = 0;
              if (verdict instanceof Promise) {
                verdict.then(
                  (decided) => this.continueWith(message, frame, decided),
                  (error: unknown) => this.protocolFailure(error as Error),
                );
              } else this.continueWith(message, frame, verdict);
              return;
            }
            out.push(this.apply(message, frame, verdict));
            continue;
          }
          case FrontendCode.FunctionCall:
            if (session.enforcer.active) {
              // The fastpath FunctionCall (§55.2.5) names a function by OID with
              // no SQL for the enforcer to read: refuse it. As a refused Query,
              // the target answers ErrorResponse + ReadyForQuery, which is also
              // what the client awaits for a failed call.
              out.push(
                this.refuse(
                  { type: 'query', sql: '-- fastpath FunctionCall' },
                  {
                    sqlState: '42501',
                    message:
                      'hoop: the fastpath FunctionCall message is refused; call the function in SQL so policy can decide it',
                  },
                ),
              );
              continue;
            }
            exchange.onFunctionCall();
            break;
          case FrontendCode.Bind: {
            const message = parseFrontend(frame);
            if (message.type !== 'bind') break;
            const refusal = session.enforcer.active
              ? this.bindRefusal(message.statement)
              : undefined;
            if (refusal) {
              out.push(this.refuseBind(message.statement, refusal));
              continue;
            }
            exchange.onBind(message.portal, message.statement, message.resultFormats);
            break;
          }
          case FrontendCode.Describe: {
            const message = parseFrontend(frame);
            if (message.type === 'describe') exchange.onDescribe(message.target, message.name);
            break;
          }
          case FrontendCode.Execute: {
            const message = parseFrontend(frame);
            if (message.type === 'execute') exchange.onExecute(message.portal);
            break;
          }
          case FrontendCode.Close: {
            const message = parseFrontend(frame);
            if (message.type === 'close') exchange.onClose(message.target, message.name);
            break;
          }
          case FrontendCode.Sync:
            exchange.onSync();
            break;
          case FrontendCode.Flush:
            exchange.onFlush();
            break;
          case FrontendCode.Terminate:
            if (this.options.parameters && this.targetIdle()) {
              if (out.length > 0) this.writeTarget(out);
              this.release();
              return;
            }
            break;
          default:
          // CopyData, CopyDone, CopyFail: part of the COPY under way.
        }
      } catch (error) {
        this.protocolFailure(error as Error);
        return;
      }
      out.push(frameBytes(frame));
    }
    if (out.length > 0) this.writeTarget(out);
  }

  /** The bytes to forward for a verdict that is not a hold; what the string does to prepared statements is noted. */
  private apply(message: SqlMessage, frame: Frame, verdict: SqlVerdict): Buffer {
    const { decision } = verdict;
    if (decision.effect === 'review') throw new Error('a held statement is applied once released');
    const bytes = this.forward(
      message,
      frame,
      decision,
      verdict.copyOut,
      verdict.statements,
      false,
      verdict.action,
    );
    if (decision.effect === 'allow' && verdict.replacesPrepared) this.options.exchange.forget();
    return bytes;
  }

  /**
   * Goes on with a message decided while the client's later frames waited
   * in `held`: a hold waits for its review first; then the message is
   * forwarded (or refused) and the queue relayed from there.
   */
  private continueWith(message: SqlMessage, frame: Frame, verdict: SqlVerdict): void {
    if (this.settled) return;
    if (verdict.decision.effect === 'review') {
      this.startHold(message, frame, verdict.decision, verdict.copyOut, verdict.statements);
      return;
    }
    let bytes: Buffer;
    try {
      bytes = this.apply(message, frame, verdict);
    } catch (error) {
      this.protocolFailure(error as Error);
      return;
    }
    this.resumeWith(bytes);
  }

  /** Sends the bytes a waiting message became, then relays the frames queued behind it. */
  private resumeWith(bytes: Buffer): void {
    const { client, target } = this.options;
    const queued = this.held ?? [];
    this.held = undefined;
    this.heldBytes = 0;
    if (!target.write(bytes)) client.pause();
    else client.resume();
    this.relayFrames(queued);
  }

  /** The bytes to forward for a decided Query or Parse, telling the exchange (and the filter) what was decided. */
  private forward(
    message: SqlMessage,
    frame: Frame,
    decision: Allowed | Refused,
    copyOut: readonly CopyOutRequest[],
    statements: readonly ClassifiedStatement[],
    reviewed = false,
    timed?: RunSql,
  ): Buffer {
    if (decision.effect === 'deny') {
      return this.refuse(
        message,
        {
          sqlState: SQLSTATE_OF[decision.reason],
          message: decision.message,
          ...(decision.position === undefined ? {} : { position: decision.position }),
        },
        decision,
      );
    }
    const decided: DecidedSql = {
      text: message.sql,
      copyOut,
      ...(decision.masks ? { masks: decision.masks } : {}),
      ...(decision.record ? { record: decision.record } : {}),
      ...(statements.length > 0 ? { statements } : {}),
      ...(this.options.session.enforcer.policyVersion === undefined
        ? {}
        : { policyVersion: this.options.session.enforcer.policyVersion }),
      ...(reviewed ? { reviewed: true as const } : timed ? { timed } : {}),
    };
    this.track(message, decided);
    return frameBytes(frame);
  }

  /**
   * Why a Bind of the prepared statement `name` cannot go as decided at its
   * Parse: the policy changed since (the statement must be decided again,
   * so prepared again: 26000, which drivers answer by preparing anew), it
   * was released by a review, which approves one run, or it was decided by
   * the clock (a rule's time window or a condition reading the time) and,
   * decided again now, is refused (the rule's refusal) or decided otherwise
   * (held for review, other masks: 26000, so that its Parse is decided anew).
   */
  private bindRefusal(
    name: string,
  ): { sqlState: string; message: string; record?: ActionRecord } | undefined {
    const prepared = this.options.exchange.statementFor(name);
    if (!prepared) return undefined;
    const { decided } = prepared;
    const shown = name === '' ? 'the unnamed prepared statement' : `prepared statement "${name}"`;
    if (decided.reviewed && prepared.binds > 0) {
      return {
        sqlState: '42501',
        message: `hoop: ${shown} was approved by review to run once; prepare it again to ask for another review`,
      };
    }
    const now = this.options.session.enforcer.policyVersion;
    if (decided.policyVersion !== undefined && decided.policyVersion !== now) {
      return {
        sqlState: '26000',
        message: `hoop: ${shown} was decided under an earlier policy; prepare it again`,
      };
    }
    if (decided.timed) {
      const again = this.options.session.enforcer.decide(decided.timed);
      if (again.effect === 'deny') {
        return {
          sqlState: SQLSTATE_OF[again.reason],
          message: again.message,
          ...(again.record ? { record: again.record } : {}),
        };
      }
      const sameMasks =
        again.effect === 'allow' && JSON.stringify(again.masks) === JSON.stringify(decided.masks);
      if (!sameMasks) {
        return {
          sqlState: '26000',
          message: `hoop: ${shown} was decided by a rule that depends on the time, and is decided otherwise now; prepare it again`,
        };
      }
    }
    return undefined;
  }

  /** A Bind the target will reject in place of a refused one; its error becomes the refusal. */
  private refuseBind(
    name: string,
    refusal: { sqlState: string; message: string; record?: ActionRecord },
  ): Buffer {
    const marker = `hoop_refused_${randomBytes(8).toString('hex')}`;
    const prepared = this.options.exchange.statementFor(name);
    const record = refusal.record ?? prepared?.decided.record;
    this.options.exchange.onRefusedBind({
      text: prepared?.decided.text ?? '',
      copyOut: [],
      refusal: { sqlState: refusal.sqlState, message: refusal.message, marker },
      ...(record ? { record: { ...record, decision: 'deny' as const } } : {}),
    });
    return buildBind('', marker);
  }

  /** A marker the target will reject, in place of a refused message; its error becomes this refusal. */
  private refuse(
    message: SqlMessage,
    refusal: { sqlState: string; message: string; position?: number },
    decision?: Refused,
  ): Buffer {
    const marker = `hoop_refused_${randomBytes(8).toString('hex')}`;
    const decided: DecidedSql = {
      text: message.sql,
      copyOut: [],
      refusal: { ...refusal, marker },
      ...(decision?.record ? { record: decision.record } : {}),
    };
    this.track(message, decided);
    return message.type === 'query' ? buildQuery(marker) : buildParse(message.name, marker, []);
  }

  private track(message: SqlMessage, decided: DecidedSql): void {
    this.options.filter?.noteMasks(decided.masks);
    if (message.type === 'query') this.options.exchange.onQuery(decided);
    else this.options.exchange.onParse(message.name, decided);
  }

  /**
   * Holds a Query or Parse for review: what came before it has gone to the
   * target, what follows waits in `held`; the enforcer's decision then
   * sends or refuses it, and the queue goes on from there, in order.
   */
  private startHold(
    message: SqlMessage,
    frame: Frame,
    decision: Held,
    copyOut: readonly CopyOutRequest[],
    statements: readonly ClassifiedStatement[],
  ): void {
    const { session, client } = this.options;
    const controller = new AbortController();
    this.heldAbort = controller;
    const fallback: Refused = {
      effect: 'deny',
      reason: 'review',
      message: decision.message,
      ...(decision.record ? { record: decision.record } : {}),
    };
    session.enforcer
      .hold(decision, {
        notice: (text) => {
          if (!this.settled && client.writable) {
            client.write(buildNoticeResponse({ severity: 'NOTICE', code: '00000', message: text }));
          }
        },
        signal: controller.signal,
      })
      .catch((error: unknown) => {
        session.log.warn({ err: error, event: 'postgres_hold_failed' }, 'held statement failed');
        return fallback;
      })
      .then((released) => {
        if (this.settled || controller.signal.aborted) return;
        this.heldAbort = undefined;
        let bytes: Buffer;
        try {
          bytes = this.forward(
            message,
            frame,
            released,
            released.effect === 'allow' ? copyOut : [],
            statements,
            released.effect === 'allow',
          );
        } catch (error) {
          this.protocolFailure(error as Error);
          return;
        }
        this.resumeWith(bytes);
      });
  }

  private writeTarget(out: Buffer[]): void {
    const { target, client } = this.options;
    const ok = out.length === 1 ? target.write(out[0]) : target.write(Buffer.concat(out));
    if (!ok) client.pause();
  }

  // ---- target → client ----

  private readonly fromTarget = (chunk: Buffer): void => {
    this.options.counts.bytesDown += chunk.length;
    try {
      for (const frame of this.targetFramer.push(chunk)) this.backlog.push(frame);
    } catch (error) {
      this.protocolFailure(error as Error);
      return;
    }
    if (!this.waiting) this.drainBacklog();
  };

  /**
   * Writes what is ready as one write: one write per target chunk, however
   * many rows masking rewrote in it or statements completed in it (a write
   * per row or per held completion would become a tunnel frame each, and a
   * slow reader would hold thousands of small queued writes at once).
   * While the records of statements these bytes complete are not yet
   * durable, they wait for them: one wait for all of the chunk's records
   * (the recorder journals each event-loop turn's records in one write).
   */
  private sendUnsent(): void {
    const { unsent } = this;
    if (this.holding) return;
    if (this.holds.length > 0) {
      this.holdFor(this.holds);
      this.holds = [];
      return;
    }
    if (unsent.length === 0) return;
    const bytes = unsent.length === 1 ? unsent[0]! : Buffer.concat(unsent);
    unsent.length = 0;
    if (!this.options.client.write(bytes)) {
      this.clientFull = true;
      this.options.target.pause();
    }
  }

  /**
   * Moves backlog frames to the client in order, as runs of their original
   * bytes where nothing changes. Each frame is first tied to what it answers
   * (the exchange), then masked, then seen by the outcomes. It stops at a
   * frame whose masking plan needs the catalog, and at a frame that
   * completes a statement until the statement's record is durable; what is
   * ready by then waits with it, so a response normally leaves in one write.
   */
  private drainBacklog(): void {
    const { backlog, unsent } = this;
    const { exchange, filter, target } = this.options;
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
    while (backlog.length > 0) {
      const frame = backlog[0]!;
      let replacement: Buffer | undefined;
      let answer;
      try {
        answer = exchange.onTargetFrame(frame);
        if (frame.code === BackendCode.ParameterStatus) this.noteParameter(frame);
        else if (frame.code === BackendCode.ReadyForQuery) {
          this.options.decider.onReadyForQuery(exchange.idle);
        }
        if (answer.kind === 'failed') replacement = swapRefusal(frame, answer.op);
        const filtered = filter?.handle(frame, answer);
        if (filtered instanceof Promise) {
          // The plan needs the catalog: hold this frame and every later one until it is ready.
          flushRun();
          this.sendUnsent();
          this.waiting = true;
          target.pause();
          const settledAnswer = answer;
          const swapped = replacement;
          filtered.then(
            (bytes) => {
              if (this.settled) return;
              backlog.shift();
              const changed = bytes ?? swapped;
              this.waiting = false;
              if (!this.clientFull) target.resume();
              this.complete(frame, changed, settledAnswer);
              unsent.push(changed ?? frameBytes(frame));
              this.drainBacklog();
            },
            (error: unknown) => this.protocolFailure(error as Error),
          );
          return;
        }
        replacement = filtered ?? replacement;
      } catch (error) {
        this.protocolFailure(error as Error);
        return;
      }
      backlog.shift();
      this.complete(frame, replacement, answer);
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
    this.sendUnsent();
  }

  /**
   * Tells the outcomes what the client is sent (masked rows, the gateway's
   * errors); when the frame completes a statement (or a statement of
   * several in a Query, unless the Query's ReadyForQuery follows at once),
   * the bytes from here on wait for its record.
   */
  private complete(
    frame: Frame,
    replacement: Buffer | undefined,
    answer: ReturnType<Exchange['onTargetFrame']>,
  ): void {
    const hold = this.options.outcomes?.onTargetFrame(
      replacement ? frameOf(replacement) : frame,
      answer,
      this.backlog[0]?.code === BackendCode.ReadyForQuery,
    );
    if (hold && this.holds[this.holds.length - 1] !== hold) this.holds.push(hold);
  }

  /**
   * Holds what is unsent, and every frame after it, until the records of
   * the statements it completes are durable; a client never receives a
   * response whose record could be lost. If one cannot be recorded, the
   * session ends (fail closed).
   */
  private holdFor(holds: readonly Promise<void>[]): void {
    const { client, target, session } = this.options;
    // A hold lasts until the next journal write, one event-loop turn: the
    // target is not paused for it; frames arriving meanwhile join `unsent`.
    this.holding = true;
    (holds.length === 1 ? holds[0]! : Promise.all(holds)).then(
      () => {
        if (this.settled) return;
        this.holding = false;
        this.sendUnsent();
      },
      (error: unknown) => {
        if (this.settled) return;
        this.unsent.length = 0;
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
        this.finish({ reason: 'internal_error', detail: (error as Error).message });
      },
    );
  }

  /**
   * A parameter the target reports: the lexing settings are followed, and
   * with pooling the latest value of each is kept, as a new client must be
   * told it.
   */
  private noteParameter(frame: Frame): void {
    const message = parseBackend(frame);
    if (message.type !== 'parameterStatus') return;
    this.options.lexer.report(message.name, message.value);
    this.options.parameters?.set(message.name.toLowerCase(), Buffer.from(frameBytes(frame)));
  }

  private targetIdle(): boolean {
    return (
      this.options.exchange.idle &&
      this.backlog.length === 0 &&
      !this.waiting &&
      !this.holding &&
      this.holds.length === 0 &&
      this.targetFramer.bufferedBytes === 0
    );
  }

  /** Leaves the target as it is, unwatched, for the handler to reset and pool. */
  private release(): void {
    const { client, target } = this.options;
    this.released = true;
    client.off('data', this.fromClient);
    target.off('data', this.fromTarget);
    target.off('drain', this.onTargetDrain);
    target.off('end', this.onTargetEnd);
    target.off('error', this.onTargetError);
    target.off('close', this.onTargetClose);
    target.pause();
    this.finish({ reason: 'client_closed', idle: true });
  }

  private protocolFailure(error: Error): void {
    const { client, target } = this.options;
    const sqlState = error instanceof PgProtocolError ? error.sqlState : '08P01';
    if (client.writable)
      client.end(buildErrorResponse({ severity: 'FATAL', code: sqlState, message: error.message }));
    target.destroy();
    this.finish({ reason: 'protocol_error', detail: error.message });
  }

  // ---- stream events ----

  private readonly onClientDrain = (): void => {
    this.clientFull = false;
    if (!this.waiting && !this.released) this.options.target.resume();
  };
  private readonly onTargetDrain = (): void => {
    this.options.client.resume();
  };
  private readonly onClientEnd = (): void => {
    if (!this.released) this.options.target.end();
    this.finish({ reason: 'client_closed' });
  };
  private readonly onTargetEnd = (): void => {
    this.options.client.end();
    this.finish({ reason: 'target_closed' });
  };
  private readonly onClientError = (error: Error): void => {
    if (!this.released) this.options.target.destroy();
    this.finish({ reason: 'client_vanished', detail: error.message });
  };
  private readonly onTargetError = (error: NodeJS.ErrnoException): void => {
    const { client } = this.options;
    if (client.writable)
      client.end(
        buildErrorResponse({
          severity: 'FATAL',
          code: '08006',
          message: `the target connection failed: ${error.code ?? error.message}`,
        }),
      );
    this.finish({ reason: 'target_reset', detail: error.message });
  };
  private readonly onClientClose = (): void => {
    if (!this.released) this.options.target.destroy();
    this.finish({ reason: 'client_closed' });
  };
  private readonly onTargetClose = (): void => {
    const { client } = this.options;
    if (!client.writableEnded) client.end();
    this.finish({ reason: 'target_closed' });
  };
}

/**
 * The gateway's own error in place of the target's rejection of a refused
 * string's marker; `undefined` when the error is not that rejection.
 */
function swapRefusal(
  frame: Frame,
  op: ReturnType<Exchange['onTargetFrame']> extends infer A
    ? A extends { kind: 'failed'; op: infer O }
      ? O
      : never
    : never,
): Buffer | undefined {
  if (!op || op.kind === 'execute') return undefined;
  const refusal = op.decided.refusal;
  if (!refusal) return undefined;
  const message = parseBackend(frame);
  if (message.type !== 'errorResponse' || !message.fields.message?.includes(refusal.marker))
    return undefined;
  return buildErrorResponse({
    severity: 'ERROR',
    code: refusal.sqlState,
    message: refusal.message,
    ...(refusal.position === undefined ? {} : { position: String(refusal.position) }),
  });
}
