import { newId } from '../../lib/ids.js';
import type { SessionContext } from '../protocols/handler.js';
import type { StatementOutcome } from '../protocols/postgres/statement-gate.js';
import type { StatementEvent, Store } from '../store/index.js';
import { isStatementAudit } from './statement-audit.js';

export interface StatementRecorderOptions {
  store: Store;
}

/**
 * Turns the relay's statement outcomes into audit events, numbered per
 * session from 1, and appends them to the store.
 *
 * An append that fails is logged and the session goes on. Whether the
 * gateway must instead stop a session it can no longer audit (fail closed,
 * as it does for a session that cannot be recorded at start) is decided in
 * a later issue.
 */
export class StatementRecorder {
  private readonly seqs = new Map<string, number>();
  private readonly writes = new Map<string, Set<Promise<void>>>();

  constructor(private readonly options: StatementRecorderOptions) {}

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
      ...(outcome.rows === undefined ? {} : { rows: outcome.rows }),
      ...(outcome.error
        ? { errorCode: outcome.error.code, errorMessage: outcome.error.message }
        : {}),
    };
    const pending = this.writes.get(session.id) ?? new Set<Promise<void>>();
    this.writes.set(session.id, pending);
    const write = this.options.store.appendEvent(event).catch((error: unknown) => {
      session.log.error(
        { err: error, event: 'statement_event_unrecorded', seq, fingerprint: event.fingerprint },
        'could not record a statement event',
      );
    });
    pending.add(write);
    void write.finally(() => pending.delete(write));
  };

  /** Waits for the session's pending appends and forgets it; called as the session ends. */
  async settle(sessionId: string): Promise<void> {
    const pending = this.writes.get(sessionId);
    if (pending) await Promise.allSettled([...pending]);
    this.writes.delete(sessionId);
    this.seqs.delete(sessionId);
  }
}
