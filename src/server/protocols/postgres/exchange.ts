import { performance } from 'node:perf_hooks';
import type { ActionRecord, MaskPlan, RunSql } from '../../enforcement/index.js';
import type { ClassifiedStatement } from '../../sql/index.js';
import type { CopyOutRequest } from './copy-out-request.js';
import { BackendCode, parseBackend, type FieldDescription, type Frame } from './protocol/index.js';

/** A refused string: the relay sent `marker` (SQL the target rejects) in its place, and the client is told this instead. */
export interface Refusal {
  sqlState: string;
  message: string;
  /** 1-based character position, for a syntax error. */
  position?: number;
  marker: string;
}

/** What the gateway decided for one SQL string (a Query or a Parse), as the relay forwarded it. */
export interface DecidedSql {
  text: string;
  /** What to mask in its results; none when nothing is masked. */
  masks?: MaskPlan;
  /** With `masks`: its COPY … TO STDOUT statements, in order. */
  copyOut: readonly CopyOutRequest[];
  /** What the audit trail keeps for it; none when nothing is recorded. */
  record?: ActionRecord;
  refusal?: Refusal;
  /**
   * Its statements as classified, when they were: what a Parse prepares
   * and what a Query's PREPARE and DEALLOCATE do to prepared statements.
   */
  statements?: readonly ClassifiedStatement[];
  /** The policy version that decided it (see `Enforcer.policyVersion`). */
  policyVersion?: string;
  /** Released by an approved review: a prepared statement so decided is bound once. */
  reviewed?: true;
  /** Decided by the clock (a time window, a condition reading the time): the action, decided again at each Bind. */
  timed?: RunSql;
}

/** A prepared statement as the target has it (protocol §55.2.3: Parse). */
export interface PreparedStatement {
  decided: DecidedSql;
  /** Binds of it forwarded so far. */
  binds: number;
}

/** A portal as the target has it (Bind). `statement` is undefined when the gateway never saw it prepared. */
export interface Portal {
  statement: PreparedStatement | undefined;
  /** Bind's result format codes: none = all text, one = all columns, else one per column. */
  formats: readonly number[];
}

/** A simple Query: every result until its ReadyForQuery belongs to it. */
export interface QueryOp {
  kind: 'query';
  decided: DecidedSql;
  /** When it was forwarded (performance.now()). */
  start: number;
}

/**
 * An Execute. `portal` is what the target had under `name` when it ran the
 * Execute; undefined when no portal of that name was bound through the
 * protocol (a SQL-level cursor, or none at all).
 */
export interface ExecuteOp {
  kind: 'execute';
  name: string;
  portal: Portal | undefined;
  start: number;
}

/** A Parse (or a Bind) the gateway refused: only the target's ErrorResponse answers it. */
export interface RefusedParseOp {
  kind: 'parse';
  decided: DecidedSql;
  start: number;
}

/** What produces results and completes: what the audit trail records one event for. */
export type Operation = QueryOp | ExecuteOp | RefusedParseOp;

/**
 * What a target frame answers, as {@link Exchange.onTargetFrame} tells it.
 * `statement` is the index, within a simple Query's string, of the statement
 * the frame belongs to (0 for an Execute).
 */
export type Answer =
  /** RowDescription of one result of a simple Query or an Execute. */
  | { kind: 'result'; op: QueryOp | ExecuteOp; statement: number }
  /** RowDescription or NoData answering a Describe of a prepared statement. */
  | { kind: 'statementDescribed'; statement: PreparedStatement | undefined }
  /** RowDescription or NoData answering a Describe of a portal. */
  | { kind: 'portalDescribed'; portal: Portal | undefined }
  /** DataRow, CopyOutResponse, CopyData, CopyDone, CopyInResponse of an operation. */
  | { kind: 'data'; op: QueryOp | ExecuteOp; statement: number }
  /** CommandComplete, EmptyQueryResponse or PortalSuspended: one statement (Query) or the Execute is done. */
  | { kind: 'completed'; op: QueryOp | ExecuteOp; statement: number }
  /**
   * ErrorResponse. `op` is the operation it ends (an Execute, a refused
   * Parse) or fails (a Query, which ends at its ReadyForQuery); `skipped`
   * when the target now discards every message up to Sync.
   */
  | { kind: 'failed'; op: Operation | undefined; skipped: boolean }
  /** ReadyForQuery: a Query is over (`op`), or a Sync or a FunctionCall. */
  | { kind: 'ready'; op: QueryOp | undefined }
  /** Anything else: acknowledgements, notices, parameter changes, notifications. */
  | { kind: 'other' };

/** What the target will answer next, in the order the client's messages were forwarded. */
type Expected =
  | { type: 'query'; op: QueryOp; statement: number }
  | { type: 'parse'; name: string; statement: PreparedStatement; refused?: RefusedParseOp }
  | {
      type: 'bind';
      portal: string;
      statement: string;
      formats: readonly number[];
      refused?: RefusedParseOp;
    }
  | { type: 'describeStatement'; name: string }
  | { type: 'describePortal'; name: string }
  | { type: 'execute'; op: ExecuteOp }
  | { type: 'close'; target: 'S' | 'P'; name: string }
  | { type: 'sync' }
  | { type: 'functionCall' };

/**
 * The one record of the extended protocol's state for a session, kept as
 * the **target** has it, not as the client claims it: a Parse takes effect
 * at its ParseComplete, a Bind at its BindComplete, a Close at its
 * CloseComplete; after an ErrorResponse to an extended-protocol message the
 * target discards every message up to Sync (PostgreSQL's `ignore_till_sync`,
 * which also swallows a simple Query sent in between), so those change
 * nothing; a simple Query drops the unnamed statement; a transaction's end
 * drops its portals. Masking, audit, previews and pooling all read it.
 *
 * The relay tells it every message it forwards (`on…`), in order, and every
 * frame the target sends (`onTargetFrame`), in order, before acting on it.
 * The target answers in the order the client sent (§55.2), so a FIFO of
 * expected answers ties each frame to what it answers.
 */
export class Exchange {
  private readonly statements = new Map<string, PreparedStatement>();
  private readonly portals = new Map<string, Portal>();
  /** Statements prepared by SQL's PREPARE, by name: what an EXECUTE of the name runs. */
  private readonly sqlPrepared = new Map<string, ClassifiedStatement>();
  private readonly expected: Expected[] = [];
  /** Extended-protocol messages forwarded since the last Sync: the target may be in an implicit transaction. */
  private unsynced = false;
  /** The transaction status of the last ReadyForQuery ('I' after start-up). */
  private status = 0x49;

  /** A simple Query forwarded with its decision. */
  onQuery(decided: DecidedSql): QueryOp {
    const op: QueryOp = { kind: 'query', decided, start: performance.now() };
    this.expected.push({ type: 'query', op, statement: 0 });
    return op;
  }

  /** A Parse forwarded with its decision (a refused one carries the marker the target will reject). */
  onParse(name: string, decided: DecidedSql): void {
    this.unsynced = true;
    const statement: PreparedStatement = { decided, binds: 0 };
    this.expected.push({
      type: 'parse',
      name,
      statement,
      ...(decided.refusal
        ? { refused: { kind: 'parse', decided, start: performance.now() } as RefusedParseOp }
        : {}),
    });
  }

  /** A Bind forwarded: portal `portal` from statement `statement`, with its result formats. */
  onBind(portal: string, statement: string, formats: readonly number[]): void {
    this.unsynced = true;
    const prepared = this.statementFor(statement);
    if (prepared) prepared.binds++;
    this.expected.push({ type: 'bind', portal, statement, formats });
  }

  /** A Bind refused in place (the target is sent a Bind it rejects): its ErrorResponse becomes `decided.refusal`. */
  onRefusedBind(decided: DecidedSql): void {
    this.unsynced = true;
    this.expected.push({
      type: 'bind',
      portal: '',
      statement: '',
      formats: [],
      refused: { kind: 'parse', decided, start: performance.now() },
    });
  }

  /**
   * The statement a Bind of `name` forwarded now would bind: the last one
   * Parsed under the name and not yet answered, else the one the target
   * has; undefined when the gateway did not see it prepared.
   */
  statementFor(name: string): PreparedStatement | undefined {
    for (let i = this.expected.length - 1; i >= 0; i--) {
      const expected = this.expected[i]!;
      if (
        expected.type === 'parse' &&
        expected.name === name &&
        !expected.statement.decided.refusal
      ) {
        return expected.statement;
      }
    }
    return this.statements.get(name);
  }

  /** A Describe of a prepared statement ('S') or a portal ('P') forwarded. */
  onDescribe(target: 'S' | 'P', name: string): void {
    this.unsynced = true;
    this.expected.push(
      target === 'S' ? { type: 'describeStatement', name } : { type: 'describePortal', name },
    );
  }

  /** An Execute of portal `name` forwarded. */
  onExecute(name: string): void {
    this.unsynced = true;
    this.expected.push({
      type: 'execute',
      op: { kind: 'execute', name, portal: undefined, start: performance.now() },
    });
  }

  /** A Close of a prepared statement ('S') or a portal ('P') forwarded. */
  onClose(target: 'S' | 'P', name: string): void {
    this.unsynced = true;
    this.expected.push({ type: 'close', target, name });
  }

  /** A Sync forwarded: ReadyForQuery answers it. */
  onSync(): void {
    this.unsynced = false;
    this.expected.push({ type: 'sync' });
  }

  /** A Flush forwarded: nothing answers it, and no transaction has ended. */
  onFlush(): void {
    this.unsynced = true;
  }

  /** A FunctionCall forwarded (only without a policy): FunctionCallResponse and ReadyForQuery answer it. */
  onFunctionCall(): void {
    this.expected.push({ type: 'functionCall' });
  }

  /** What `frame` answers; updates the state the target's answer settles. Call once per frame, in order. */
  onTargetFrame(frame: Frame): Answer {
    const head = this.expected[0];
    switch (frame.code) {
      case BackendCode.ParseComplete:
        if (head?.type === 'parse') {
          this.expected.shift();
          this.statements.set(head.name, head.statement);
        }
        return OTHER;
      case BackendCode.BindComplete:
        if (head?.type === 'bind') {
          this.expected.shift();
          this.portals.set(head.portal, {
            statement: this.statements.get(head.statement),
            formats: head.formats,
          });
        }
        return OTHER;
      case BackendCode.CloseComplete:
        if (head?.type === 'close') {
          this.expected.shift();
          if (head.target === 'S') {
            this.statements.delete(head.name);
            this.sqlPrepared.delete(head.name);
          } else this.portals.delete(head.name);
        }
        return OTHER;
      case BackendCode.ParameterDescription:
        // The first half of a statement's Describe: RowDescription or NoData follows.
        return OTHER;
      case BackendCode.RowDescription:
      case BackendCode.NoData:
        if (head?.type === 'describeStatement') {
          this.expected.shift();
          return { kind: 'statementDescribed', statement: this.statements.get(head.name) };
        }
        if (head?.type === 'describePortal') {
          this.expected.shift();
          return { kind: 'portalDescribed', portal: this.portals.get(head.name) };
        }
        if (frame.code === BackendCode.RowDescription) {
          const running = this.running(head);
          if (running) return { kind: 'result', ...running };
        }
        return OTHER;
      case BackendCode.DataRow:
      case BackendCode.CopyOutResponse:
      case BackendCode.CopyInResponse:
      case BackendCode.CopyData:
      case BackendCode.CopyDone: {
        const running = this.running(head);
        return running ? { kind: 'data', ...running } : OTHER;
      }
      case BackendCode.CommandComplete:
      case BackendCode.EmptyQueryResponse:
      case BackendCode.PortalSuspended: {
        const running = this.running(head);
        if (!running) return OTHER;
        // Each statement of a simple Query ends with exactly one of these (§55.2.2).
        if (head?.type === 'query') {
          this.completedStatement(head.op.decided.statements?.[head.statement]);
          head.statement++;
        } else this.expected.shift();
        return { kind: 'completed', ...running };
      }
      case BackendCode.ErrorResponse:
        return this.failed(head);
      case BackendCode.ReadyForQuery:
        return this.ready(frame);
      case BackendCode.FunctionCallResponse:
      default:
        return OTHER;
    }
  }

  /**
   * Whether the target is idle: every request answered, no extended
   * message waiting for a Sync, and no transaction open.
   */
  get idle(): boolean {
    return this.expected.length === 0 && !this.unsynced && this.status === 0x49;
  }

  /**
   * The operation the target is running now, for a frame that answers no
   * message of its own (a NoticeResponse, a ParameterStatus): the head of
   * the queue once the target has begun it; undefined between requests.
   */
  inFlight(): { op: QueryOp | ExecuteOp; statement: number } | undefined {
    return this.running(this.expected[0]);
  }

  /**
   * Forgets every portal: the session ran SQL that may have replaced them
   * behind the protocol's back (`DECLARE`, `CLOSE`, `DISCARD`). A later
   * Execute of one of their names is then of a portal the gateway did not
   * see bound. (Prepared statements follow SQL's PREPARE and DEALLOCATE
   * exactly, as each completes.)
   */
  forget(): void {
    this.portals.clear();
  }

  /**
   * What an EXECUTE of `name` may run, as {@link PreparedLookup} says:
   * the statement the target has under the name (prepared by SQL or by a
   * Parse), and those prepared under it by messages forwarded but not yet
   * answered; undefined when one of them was not read (a Parse forwarded
   * without a policy) or there is none.
   */
  preparedAs(name: string): readonly ClassifiedStatement[] | undefined {
    const found: ClassifiedStatement[] = [];
    const sql = this.sqlPrepared.get(name);
    if (sql) found.push(sql);
    const parsed = this.statements.get(name);
    if (parsed) {
      const statement = parsed.decided.statements?.[0];
      if (statement === undefined) return undefined;
      found.push(statement);
    }
    for (const expected of this.expected) {
      if (
        expected.type === 'parse' &&
        expected.name === name &&
        !expected.statement.decided.refusal
      ) {
        const statement = expected.statement.decided.statements?.[0];
        if (statement === undefined) return undefined;
        found.push(statement);
      } else if (expected.type === 'query') {
        const pending = expected.op.decided.statements?.slice(expected.statement) ?? [];
        for (const statement of pending) {
          if (statement.prepares?.name === name) found.push(statement.prepares.statement);
        }
      }
    }
    return found.length > 0 ? found : undefined;
  }

  /** A statement of a simple Query completed: its PREPARE or DEALLOCATE took effect. */
  private completedStatement(statement: ClassifiedStatement | undefined): void {
    if (statement?.prepares)
      this.sqlPrepared.set(statement.prepares.name, statement.prepares.statement);
    const gone = statement?.deallocates;
    if (gone === undefined) return;
    if ('name' in gone) {
      this.sqlPrepared.delete(gone.name);
      this.statements.delete(gone.name);
      return;
    }
    // DEALLOCATE ALL drops every named statement; the unnamed one is kept apart by the server.
    this.sqlPrepared.clear();
    for (const name of this.statements.keys()) if (name !== '') this.statements.delete(name);
  }

  /** The operation the head of the queue is running, once the target has begun it. */
  private running(
    head: Expected | undefined,
  ): { op: QueryOp | ExecuteOp; statement: number } | undefined {
    if (head?.type === 'query') return { op: head.op, statement: head.statement };
    if (head?.type === 'execute') {
      this.begin(head.op);
      return { op: head.op, statement: 0 };
    }
    return undefined;
  }

  /** An Execute runs the portal the target has under its name when it gets to it. */
  private begin(op: ExecuteOp): void {
    if (op.portal === undefined) op.portal = this.portals.get(op.name);
  }

  private failed(head: Expected | undefined): Answer {
    if (!head) return { kind: 'failed', op: undefined, skipped: false };
    if (head.type === 'query') return { kind: 'failed', op: head.op, skipped: false };
    if (head.type === 'sync' || head.type === 'functionCall') {
      // A commit at Sync failed, or the function call did: ReadyForQuery follows.
      return { kind: 'failed', op: undefined, skipped: false };
    }
    // An extended-protocol message failed: the target discards every message up to Sync.
    let op: Operation | undefined;
    if (head.type === 'execute') {
      this.begin(head.op);
      op = head.op;
    } else if (head.type === 'parse' || head.type === 'bind') op = head.refused;
    const sync = this.expected.findIndex((expected) => expected.type === 'sync');
    this.expected.splice(0, sync === -1 ? this.expected.length : sync);
    return { kind: 'failed', op, skipped: true };
  }

  private ready(frame: Frame): Answer {
    // Only a Query, a Sync or a FunctionCall is answered with ReadyForQuery;
    // anything before it was discarded by the target (after an error).
    let head = this.expected.shift();
    while (head && head.type !== 'query' && head.type !== 'sync' && head.type !== 'functionCall') {
      head = this.expected.shift();
    }
    this.status = frame.buffer[frame.bodyStart] ?? 0;
    // A transaction's end drops its portals (holdable cursors are SQL's, never tracked).
    if (this.status === 0x49) this.portals.clear();
    if (head?.type !== 'query') return { kind: 'ready', op: undefined };
    // A simple Query drops the unnamed prepared statement (§55.2.3).
    this.statements.delete('');
    return { kind: 'ready', op: head.op };
  }
}

const OTHER: Answer = { kind: 'other' };

/** The fields of a RowDescription frame (none for NoData). */
export function describedFields(frame: Frame): FieldDescription[] {
  if (frame.code !== BackendCode.RowDescription) return [];
  const message = parseBackend(frame);
  return message.type === 'rowDescription' ? message.fields : [];
}
