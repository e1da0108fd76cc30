import { newId } from '../../lib/ids.js';
import type { SessionContext } from '../protocols/handler.js';
import type { StatementOutcome } from '../protocols/postgres/statement-gate.js';
import type { StatementEvent, Store } from '../store/index.js';
import { isStatementAudit } from './statement-audit.js';

export interface StatementRecorderOptions {
  store: Store;
  /** Most events written in one append; more wait for the next. Default 2000. */
  maxBatch?: number;
  /** How long the first event of a batch waits for others to join it, in ms. Default 5. */
  batchWindowMs?: number;
  /** Called with each event once the store has it (the live audit tail); must not throw. */
  onRecorded?: (event: StatementEvent) => void;
}

interface Queued {
  event: StatementEvent;
  session: SessionContext;
}

/**
 * Turns the relay's statement outcomes into audit events, numbered per
 * session from 1, and appends them to the store in batches.
 *
 * Events queue in memory and are written together a few milliseconds after
 * the first of them (`batchWindowMs`), one append at a time: under load one
 * transaction carries hundreds of statements instead of one each (a SQLite
 * commit costs several page writes and file locks), which keeps recording
 * off the relay's hot path. A session's events are all written before
 * `settle` resolves.
 *
 * An append that fails is logged and the session goes on. Whether the
 * gateway must instead stop a session it can no longer audit (fail closed,
 * as it does for a session that cannot be recorded at start) is decided in
 * a later issue.
 */
export class StatementRecorder {
  private readonly seqs = new Map<string, number>();
  private queue: Queued[] = [];
  private scheduled = false;
  private running = false;
  /** Settles when the queue is empty and nothing is being written. */
  private writing: Promise<void> = Promise.resolve();
  private readonly maxBatch: number;
  private readonly batchWindowMs: number;

  constructor(private readonly options: StatementRecorderOptions) {
    this.maxBatch = options.maxBatch ?? 2000;
    this.batchWindowMs = options.batchWindowMs ?? 5;
  }

  /** The handler's `onStatement` hook. */
  readonly onStatement = (
    session: SessionContext,
    audit: unknown,
    outcome: StatementOutcome,
  ): void => {
    if (!isStatementAudit(audit)) return;
    const seq = (this.seqs.get(session.id) ?? 0) + 1;
    this.seqs.set(session.id, seq);
    const event: StatementEvent = {
      id: newId('evt'),
      sessionId: session.id,
      seq,
      at: new Date(),
      kind: 'statement',
      text: audit.text,
      kinds: audit.kinds,
      tables: audit.tables,
      decision: audit.decision,
      policyHash: audit.policyHash,
      durationMs: outcome.durationMs,
      ...(audit.fingerprint === undefined ? {} : { fingerprint: audit.fingerprint }),
      ...(audit.rule === undefined ? {} : { rule: audit.rule }),
      ...(audit.review ? { reviewId: audit.review.id, reviewOutcome: audit.review.outcome } : {}),
      ...(outcome.rows === undefined ? {} : { rows: outcome.rows }),
      ...(outcome.error
        ? { errorCode: outcome.error.code, errorMessage: outcome.error.message }
        : {}),
    };
    this.queue.push({ event, session });
    if (!this.scheduled) {
      this.scheduled = true;
      setTimeout(this.flush, this.batchWindowMs);
    }
  };

  /** Waits until the session's events are written (or have failed) and forgets it; called as the session ends. */
  async settle(sessionId: string): Promise<void> {
    this.flush();
    await this.writing;
    this.seqs.delete(sessionId);
  }

  /** Starts the writer unless it runs: it takes what has queued each time the previous append is done. */
  private readonly flush = (): void => {
    this.scheduled = false;
    if (this.running || this.queue.length === 0) return;
    this.running = true;
    this.writing = (async () => {
      while (this.queue.length > 0) await this.write(this.queue.splice(0, this.maxBatch));
      this.running = false;
    })();
  };

  private async write(batch: Queued[]): Promise<void> {
    try {
      await this.options.store.appendEvents(batch.map((queued) => queued.event));
      for (const { event } of batch) this.options.onRecorded?.(event);
    } catch (error) {
      for (const { event, session } of batch) {
        session.log.error(
          {
            err: error,
            event: 'statement_event_unrecorded',
            seq: event.seq,
            fingerprint: event.fingerprint,
          },
          'could not record a statement event',
        );
      }
    }
  }
}
