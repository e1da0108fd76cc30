import { performance } from 'node:perf_hooks';
import { PreviewCapture, type PreviewLimits } from './result-preview.js';
import type { StatementOutcome } from './statement-gate.js';
import { BackendCode, parseBackend, type Frame, type FrontendMessage } from './protocol/index.js';

/** A refusal the relay substituted: the client sees this error, not the target's. */
export interface Refusal {
  sqlState: string;
  message: string;
}

/** One Query, Execute or refused Parse waiting for its completion. */
interface Pending {
  audit: unknown;
  refusal: Refusal | undefined;
  /** A refused Parse: only its ErrorResponse completes it. */
  parse: boolean;
  start: number;
  end?: number;
  rows?: number;
  error?: { code: string; message: string };
  /** Bind's result format codes, for an Execute. */
  formats?: readonly number[];
  preview?: PreviewCapture;
}

/** A Bind's portal: the statement's audit payload and the result formats it asked for. */
interface Portal {
  audit: unknown;
  formats: readonly number[];
}

/** One Query, or the extended-protocol messages up to a Sync: what one ReadyForQuery ends. */
interface Unit {
  simple: boolean;
  pending: Pending[];
}

/**
 * Ties each Query and Execute to the CommandComplete, EmptyQueryResponse or
 * ErrorResponse that answers it, and reports how it ended.
 *
 * Protocol §55.2: the target answers in the order the client sent, so a FIFO
 * per ReadyForQuery is enough. A simple Query may hold several statements:
 * it ends at its ReadyForQuery, with the counts of its CommandCompletes
 * summed. In the extended protocol an ErrorResponse makes the target skip to
 * Sync, so the Executes after it never ran and are not reported. Only tags
 * and errors are read, and with `preview` limits the first rows of each
 * result, up to the limits (the frames as the client gets them: the relay
 * calls {@link onTargetFrame} with masked rows).
 *
 * `report` may return a promise (the event being made durable): the frame
 * that completed the statement is then held until it resolves, which
 * `onTargetFrame` passes on to the relay.
 */
export class StatementOutcomes {
  private readonly statements = new Map<string, unknown>();
  private readonly portals = new Map<string, Portal>();
  private readonly units: Unit[] = [];
  private open: Unit | undefined;

  constructor(
    private readonly report: (audit: unknown, outcome: StatementOutcome) => void | Promise<void>,
    private readonly preview?: PreviewLimits,
  ) {}

  /** A Query or Parse as forwarded, with the gate's audit payload and its refusal if refused. */
  onStatement(message: FrontendMessage, audit: unknown, refusal?: Refusal): void {
    if (message.type === 'query') {
      this.open = undefined;
      this.units.push({ simple: true, pending: [this.pending(audit, refusal, false)] });
    } else if (message.type === 'parse') {
      this.statements.set(message.name, audit);
      if (refusal) this.extendedUnit().pending.push(this.pending(audit, refusal, true));
    }
  }

  /** The other extended-protocol messages: Bind, Execute, Close, Sync. */
  onClientMessage(message: FrontendMessage): void {
    switch (message.type) {
      case 'bind':
        this.portals.set(message.portal, {
          audit: this.statements.get(message.statement),
          formats: message.resultFormats,
        });
        return;
      case 'execute': {
        const portal = this.portals.get(message.portal);
        const pending = this.pending(portal?.audit, undefined, false);
        if (portal) pending.formats = portal.formats;
        this.extendedUnit().pending.push(pending);
        return;
      }
      case 'close':
        if (message.target === 'S') this.statements.delete(message.name);
        else this.portals.delete(message.name);
        return;
      case 'sync':
        this.extendedUnit();
        this.open = undefined;
        return;
      default:
    }
  }

  /**
   * Every target frame, in order, as the client is sent it. Returns a
   * promise when this frame completed a statement whose report must finish
   * before the frame may go on.
   */
  onTargetFrame(frame: Frame): Promise<void> | undefined {
    switch (frame.code) {
      case BackendCode.DataRow:
        if (this.preview) this.capture()?.row(frame);
        return undefined;
      case BackendCode.RowDescription:
        if (this.preview) this.capture()?.describe(frame);
        return undefined;
      case BackendCode.CommandComplete:
      case BackendCode.EmptyQueryResponse:
      case BackendCode.PortalSuspended:
        return this.complete(frame);
      case BackendCode.ErrorResponse:
        return this.fail(frame);
      case BackendCode.ReadyForQuery: {
        const unit = this.units.shift();
        if (unit?.simple && unit.pending[0]) return this.emit(unit.pending[0]);
        return undefined;
      }
      default:
        return undefined;
    }
  }

  /** The preview of the statement the target is answering now. */
  private capture(): PreviewCapture | undefined {
    const head = this.units[0]?.pending[0];
    if (!head || head.parse || head.audit === undefined) return undefined;
    head.preview ??= new PreviewCapture(this.preview!, head.formats);
    return head.preview;
  }

  private complete(frame: Frame): Promise<void> | undefined {
    const unit = this.units[0];
    if (!unit) return undefined;
    const now = performance.now();
    const rows = frame.code === BackendCode.CommandComplete ? tagRows(frame) : undefined;
    if (unit.simple) {
      const pending = unit.pending[0];
      if (!pending) return undefined;
      pending.end = now;
      if (rows !== undefined) pending.rows = (pending.rows ?? 0) + rows;
      return undefined;
    }
    const head = unit.pending[0];
    if (!head || head.parse) return undefined;
    unit.pending.shift();
    head.end = now;
    if (rows !== undefined) head.rows = rows;
    return this.emit(head);
  }

  private fail(frame: Frame): Promise<void> | undefined {
    const unit = this.units[0];
    if (!unit) return undefined;
    const head = unit.pending[0];
    if (!head) return undefined;
    head.end = performance.now();
    head.error = head.refusal
      ? { code: head.refusal.sqlState, message: head.refusal.message }
      : errorOf(frame);
    if (unit.simple) return undefined;
    // The target skips to Sync: nothing else in this unit runs.
    unit.pending.length = 0;
    return this.emit(head);
  }

  private emit(pending: Pending): Promise<void> | undefined {
    if (pending.audit === undefined) return undefined;
    const outcome: StatementOutcome = {
      durationMs: (pending.end ?? performance.now()) - pending.start,
    };
    if (pending.rows !== undefined) outcome.rows = pending.rows;
    if (pending.error) outcome.error = pending.error;
    const preview = pending.preview?.result();
    if (preview) outcome.preview = preview;
    return this.report(pending.audit, outcome) ?? undefined;
  }

  private pending(audit: unknown, refusal: Refusal | undefined, parse: boolean): Pending {
    return { audit, refusal, parse, start: performance.now() };
  }

  private extendedUnit(): Unit {
    if (!this.open) {
      this.open = { simple: false, pending: [] };
      this.units.push(this.open);
    }
    return this.open;
  }
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

function errorOf(frame: Frame): { code: string; message: string } {
  const message = parseBackend(frame);
  if (message.type !== 'errorResponse') return { code: 'XX000', message: 'unknown error' };
  return { code: message.fields.code ?? 'XX000', message: message.fields.message ?? '' };
}
