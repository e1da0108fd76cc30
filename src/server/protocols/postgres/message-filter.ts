import type { Enforcer, MaskPlan } from '../../enforcement/index.js';
import type { ClassifiedStatement } from '../../sql/index.js';
import type { Answer, DecidedSql, ExecuteOp, Operation, QueryOp } from './exchange.js';
import {
  hideVariableParts,
  maskNoticeFields,
  maskNotification,
  maskParameterValue,
} from './message-redaction.js';
import type { MessageMasking } from './message-redaction.js';
import {
  BackendCode,
  buildErrorResponse,
  buildNoticeResponse,
  buildNotificationResponse,
  buildParameterStatus,
  buildRowDescription,
  parseBackend,
  type Frame,
} from './protocol/index.js';

/** What the target is running when a message arrives. */
export interface InFlight {
  inFlight(): { op: QueryOp | ExecuteOp; statement: number } | undefined;
}

/**
 * Masks what the target says in words once a mask rule applies to the
 * session (see `message-redaction.ts` for what each message becomes):
 * ErrorResponse, NoticeResponse, NotificationResponse and ParameterStatus.
 * These are a few frames per statement, never per row: DataRows do not
 * come here.
 *
 * A message may carry a masked value when what the target is running (the
 * operation it answers) reads a table a mask rule could name or runs code
 * the gateway cannot see, when it answers nothing the gateway can tie to a
 * statement (a Sync's commit, an unattributed portal), or when an earlier
 * such statement ran in the same transaction: deferred constraints and
 * triggers fire at COMMIT, whose own text reads nothing.
 *
 * Settings are a store of their own: a statement that may carry a masked
 * value and sets a setting from a value it computes (`set_config(…, ssn,
 * …)`, `UPDATE pg_settings`, code the gateway cannot see) taints the
 * session's settings. From then on, what reads settings back (SHOW,
 * `current_setting()`, `pg_settings`) has its rows NULLed, and free-text
 * parameters the target reports are hidden.
 */
export class MessageFilter {
  /** A statement that may carry a masked value ran in the open transaction. */
  private transactionTainted = false;
  /** A setting may hold a masked value. */
  private settingsTaintedFlag = false;

  constructor(
    private readonly enforcer: Enforcer,
    private readonly exchange: InFlight | undefined,
  ) {}

  /** A setting of the session may hold a masked value. */
  get settingsTainted(): boolean {
    return this.settingsTaintedFlag;
  }

  /**
   * The replacement of one target frame, `undefined` to forward it;
   * `masked`: a mask rule has applied in the session.
   */
  handle(frame: Frame, answer: Answer, masked: boolean): Buffer | undefined {
    // Rows never come here (see ResultFilter.handle): a few frames per statement do.
    if (answer.kind === 'ready') {
      // ReadyForQuery's status: 'I' idle, outside any transaction.
      if (frame.buffer[frame.bodyStart] === 0x49) this.transactionTainted = false;
      return undefined;
    }
    if (!masked) return undefined;
    if (answer.kind === 'completed') this.noteRun(answer.op, answer.statement);
    switch (frame.code) {
      case BackendCode.ErrorResponse: {
        if (answer.kind !== 'failed') return this.notice(frame, this.current());
        const op = answer.op;
        // A refused string's error is the gateway's own (the relay swaps it).
        if (op?.kind === 'parse' || (op?.kind === 'query' && op.decided.refusal)) return undefined;
        const running = op?.kind === 'query' ? this.exchange?.inFlight() : undefined;
        const hide = this.tainted(op, running && running.op === op ? running.statement : undefined);
        if (hide && op) this.transactionTainted = true;
        return this.notice(frame, hide);
      }
      case BackendCode.NoticeResponse:
        return this.notice(frame, this.current());
      case BackendCode.NotificationResponse: {
        const message = parseBackend(frame);
        if (message.type !== 'notificationResponse') return undefined;
        const masking = this.masking(true);
        if (!masking) return undefined;
        const next = maskNotification(message.channel, message.payload, masking);
        return next && buildNotificationResponse(message.processId, next.channel, next.payload);
      }
      case BackendCode.ParameterStatus: {
        const message = parseBackend(frame);
        if (message.type !== 'parameterStatus') return undefined;
        const masking = this.masking(this.current() || this.settingsTaintedFlag);
        if (!masking) return undefined;
        const value = maskParameterValue(message.name, message.value, masking);
        return value === undefined ? undefined : buildParameterStatus(message.name, value);
      }
      default:
        return undefined;
    }
  }

  /**
   * A RowDescription as the client may see it. A result's column names are
   * the statement's own text when its outputs are traced; an untraced one
   * (FETCH from a cursor that code opened with `EXECUTE format('select 1 as
   * %I', ssn)`, EXECUTE, SHOW) may carry names built from a value: under
   * masking they are scanned and their variable parts hidden. `undefined`:
   * unchanged.
   */
  fieldNames(
    frame: Frame,
    decided: DecidedSql | undefined,
    statement: number,
    masked: boolean,
  ): Buffer | undefined {
    if (!masked || frame.code !== BackendCode.RowDescription) return undefined;
    const classified = decided?.statements?.[statement];
    if (classified && classified.lineage !== null) return undefined;
    const message = parseBackend(frame);
    if (message.type !== 'rowDescription') return undefined;
    const masking = this.masking(true);
    if (!masking) return undefined;
    let changed = false;
    const fields = message.fields.map((field) => {
      const name = hideVariableParts(masking.scan(field.name) ?? field.name);
      if (name === field.name) return field;
      changed = true;
      return { ...field, name };
    });
    return changed ? buildRowDescription(fields) : undefined;
  }

  /** Whether a result of this statement reads settings back while they may hold a masked value. */
  readsTaintedSettings(statement: ClassifiedStatement | undefined): boolean {
    if (!this.settingsTaintedFlag) return false;
    // Not classified (the gateway forwarded it unread): fail closed.
    if (!statement) return true;
    return (
      statement.kinds.includes('show') ||
      statement.functions.some((f) => SETTING_READERS.has(lastPart(f))) ||
      statement.tables.some((t) => SETTING_TABLES.has(lastPart(t)))
    );
  }

  /** An operation that ran (its rows or its completion came back): it may taint the transaction and the settings. */
  private noteRun(op: QueryOp | ExecuteOp, statement: number): void {
    if (!this.tainted(op, statement)) return;
    this.transactionTainted = true;
    const classified = statementOf(op, statement);
    if (!classified || setsComputedSetting(classified)) this.settingsTaintedFlag = true;
  }

  /** The taint of what the target runs now (for a notice or a parameter with no request of its own). */
  private current(): boolean {
    const running = this.exchange?.inFlight();
    if (!running) return true;
    if (this.tainted(running.op, running.statement)) {
      this.noteRun(running.op, running.statement);
      return true;
    }
    return this.transactionTainted;
  }

  /** Whether a message answering `op` may carry a masked value. */
  private tainted(op: Operation | undefined, statement: number | undefined): boolean {
    if (this.transactionTainted || !op) return true;
    if (op.kind === 'parse') return false;
    const decided = op.kind === 'query' ? op.decided : op.portal?.statement?.decided;
    // A portal the gateway never saw bound (a SQL cursor): unknown.
    if (!decided) return true;
    return reachesMasked(this.enforcer, decided, statement);
  }

  private masking(hide: boolean): MessageMasking | undefined {
    const plan = this.lastPlan;
    if (!plan) return hide ? { hide, scan: () => undefined } : undefined;
    const masker = this.enforcer.masker(plan);
    return { hide, scan: (text) => masker.scanText(text) };
  }

  /** The session's latest mask plan: whose detectors scan what answers no statement of its own. */
  private lastPlan: MaskPlan | undefined;

  /** A string forwarded with masks. */
  noteMasks(plan: MaskPlan): void {
    this.lastPlan = plan;
  }

  private notice(frame: Frame, hide: boolean): Buffer | undefined {
    const message = parseBackend(frame);
    if (message.type !== 'errorResponse' && message.type !== 'noticeResponse') return undefined;
    const masking = this.masking(hide);
    if (!masking) return undefined;
    const fields = maskNoticeFields(message.fields, masking);
    if (!fields) return undefined;
    const input = {
      ...fields,
      severity: fields.severity ?? 'ERROR',
      code: fields.code ?? 'XX000',
      message: fields.message ?? '',
    };
    return message.type === 'errorResponse'
      ? buildErrorResponse(input)
      : buildNoticeResponse(input);
  }
}

/** Whether what `decided` runs may put a masked value in a message. */
function reachesMasked(
  enforcer: Enforcer,
  decided: DecidedSql,
  statement: number | undefined,
): boolean {
  if (!decided.masks) return false;
  if (enforcer.masker(decided.masks).reachesMasked) return true;
  const statements = decided.statements;
  if (!statements) return true;
  const which = statement === undefined ? statements : statements.slice(statement, statement + 1);
  // Code the gateway cannot see may read anything.
  return which.some((s) => s.unknown.length > 0);
}

function statementOf(op: QueryOp | ExecuteOp, statement: number): ClassifiedStatement | undefined {
  const decided = op.kind === 'query' ? op.decided : op.portal?.statement?.decided;
  return decided?.statements?.[op.kind === 'query' ? statement : 0];
}

/** A setting set from a computed value, pg_settings updated, or code that could do either. */
function setsComputedSetting(statement: ClassifiedStatement): boolean {
  return (
    statement.unknown.length > 0 ||
    statement.kinds.includes('do') ||
    statement.kinds.includes('call') ||
    statement.settings.some((s) => s.value === undefined) ||
    statement.tables.some((t) => SETTING_TABLES.has(lastPart(t)))
  );
}

function lastPart(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? name : name.slice(dot + 1);
}

/** Functions that read a setting's value back. */
const SETTING_READERS: ReadonlySet<string> = new Set(['current_setting', 'pg_show_all_settings']);
/** Views over the settings. */
const SETTING_TABLES: ReadonlySet<string> = new Set(['pg_settings', 'pg_file_settings']);
