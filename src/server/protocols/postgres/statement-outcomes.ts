import { performance } from 'node:perf_hooks';
import type { ActionRecord, Enforcer, OutcomeError, SqlOutcome } from '../../enforcement/index.js';
import { describedFields, type Answer, type Operation, type Portal } from './exchange.js';
import { PreviewCapture } from './result-preview.js';
import { BackendCode, parseBackend, type Frame } from './protocol/index.js';

/** How far one operation has got. */
interface Progress {
  end?: number;
  rows?: number;
  error?: OutcomeError;
  preview?: PreviewCapture;
}

/**
 * Tells the enforcer how each Query, Execute and refused Parse ended, from
 * the frames the client is sent (masked rows, the gateway's own errors),
 * reading which operation each frame belongs to from the session's
 * {@link Exchange}.
 *
 * A simple Query may hold several statements: it ends at its
 * ReadyForQuery, with the counts of its CommandCompletes summed. An Execute
 * ends at its CommandComplete, EmptyQueryResponse, PortalSuspended or
 * ErrorResponse; after an error the target skips to Sync, so the messages
 * after it never ran and are not reported. With preview limits, the first
 * rows of each result are kept, up to the limits.
 *
 * `onTargetFrame` returns the enforcer's promise when a frame completed an
 * operation whose record must be durable before the frame may go on. A
 * statement of a Query holding several is answered before the Query ends:
 * unless the Query's ReadyForQuery follows at once, its CommandComplete (or
 * the error that ends the Query) waits for the Query's progress to be
 * durable (`Enforcer.progress`), so whatever the client was told ran is in
 * the record even if the gateway stops before the Query's end.
 */
export class StatementOutcomes {
  private readonly progress = new WeakMap<Operation, Progress>();
  /** Column names a Describe of a portal gave, for the preview of its Execute. */
  private readonly portalColumns = new WeakMap<Portal, Frame>();

  constructor(private readonly enforcer: Enforcer) {}

  /**
   * Every target frame as the client is sent it, with what it answers;
   * `readyNext` when the next frame is a ReadyForQuery already received.
   */
  onTargetFrame(frame: Frame, answer: Answer, readyNext = false): Promise<void> | undefined {
    switch (answer.kind) {
      case 'portalDescribed':
        if (this.enforcer.preview && answer.portal && frame.code === BackendCode.RowDescription)
          this.portalColumns.set(answer.portal, frameCopy(frame));
        return undefined;
      case 'result':
        this.capture(answer.op)?.describe(describedFields(frame));
        return undefined;
      case 'data':
        if (frame.code === BackendCode.DataRow) this.capture(answer.op)?.row(frame);
        return undefined;
      case 'completed': {
        const progress = this.of(answer.op);
        progress.end = performance.now();
        const rows = frame.code === BackendCode.CommandComplete ? tagRows(frame) : undefined;
        if (answer.op.kind === 'query') {
          if (rows !== undefined) progress.rows = (progress.rows ?? 0) + rows;
          return readyNext ? undefined : this.emit(answer.op, true);
        }
        if (rows !== undefined) progress.rows = rows;
        return this.emit(answer.op);
      }
      case 'failed': {
        const op = answer.op;
        if (!op) return undefined;
        const progress = this.of(op);
        progress.end = performance.now();
        const refusal = op.kind === 'execute' ? undefined : op.decided.refusal;
        progress.error = refusal
          ? { code: refusal.sqlState, message: refusal.message }
          : errorOf(frame);
        // A Query ends at its ReadyForQuery; an Execute or a refused Parse ends here.
        if (op.kind !== 'query') return this.emit(op);
        return readyNext ? undefined : this.emit(op, true);
      }
      case 'ready':
        return answer.op ? this.emit(answer.op) : undefined;
      default:
        return undefined;
    }
  }

  private of(op: Operation): Progress {
    let progress = this.progress.get(op);
    if (!progress) {
      progress = {};
      this.progress.set(op, progress);
    }
    return progress;
  }

  /** The preview of an operation, when previews are on and it is recorded. */
  private capture(op: Operation): PreviewCapture | undefined {
    const limits = this.enforcer.preview;
    if (!limits || !recordOf(op)) return undefined;
    const progress = this.of(op);
    if (!progress.preview) {
      progress.preview = new PreviewCapture(
        limits,
        op.kind === 'execute' ? op.portal?.formats : undefined,
      );
      if (op.kind === 'execute' && op.portal) {
        const described = this.portalColumns.get(op.portal);
        if (described) progress.preview.describe(describedFields(described));
      }
    }
    return progress.preview;
  }

  /** Records how an operation ended, or (`unfinished`) how far it has got. */
  private emit(op: Operation, unfinished = false): Promise<void> | undefined {
    const record = recordOf(op);
    if (!record) return undefined;
    const progress = this.of(op);
    const outcome: SqlOutcome = {
      type: 'sql',
      durationMs: (progress.end ?? performance.now()) - op.start,
    };
    if (progress.rows !== undefined) outcome.rows = progress.rows;
    if (progress.error) outcome.error = progress.error;
    const preview = progress.preview?.result();
    if (!unfinished) {
      if (preview) outcome.preview = preview;
      return this.enforcer.record(record, outcome);
    }
    // The capture goes on: the journal is written later, with the rows as they are now.
    if (preview) outcome.preview = { ...preview, rows: preview.rows.slice() };
    return this.enforcer.progress(record, outcome);
  }
}

/** What the audit trail keeps for an operation: its string's record (an Execute's is its statement's). */
function recordOf(op: Operation): ActionRecord | undefined {
  return op.kind === 'execute' ? op.portal?.statement?.decided.record : op.decided.record;
}

/** A frame kept beyond its chunk (a portal's description, read at its Execute). */
function frameCopy(frame: Frame): Frame {
  const buffer = Buffer.from(frame.buffer.subarray(frame.start, frame.end));
  return {
    code: frame.code,
    buffer,
    start: 0,
    bodyStart: frame.bodyStart - frame.start,
    end: buffer.length,
  };
}

/** The row count in a CommandComplete tag (§55.7): `SELECT 5`, `INSERT 0 3`, `UPDATE 2`; none for `CREATE TABLE`. */
export function tagRows(frame: Frame): number | undefined {
  const message = parseBackend(frame);
  if (message.type !== 'commandComplete') return undefined;
  return rowsOfTag(message.tag);
}

const COUNTED = new Set(['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'MERGE', 'FETCH', 'MOVE', 'COPY']);

export function rowsOfTag(tag: string): number | undefined {
  const words = tag.split(' ');
  if (words.length < 2 || !COUNTED.has(words[0]!)) return undefined;
  const count = Number(words[words.length - 1]);
  return Number.isSafeInteger(count) ? count : undefined;
}

function errorOf(frame: Frame): OutcomeError {
  const message = parseBackend(frame);
  if (message.type !== 'errorResponse') return { code: 'XX000', message: 'unknown error' };
  return { code: message.fields.code ?? 'XX000', message: message.fields.message ?? '' };
}
