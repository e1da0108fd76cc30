import type { CellMasker, Enforcer, MaskPlan, ResultColumn } from '../../enforcement/index.js';
import type { CatalogLookup, TableColumns } from './catalog.js';
import { columnCategory } from './column-category.js';
import { CopyOutMasker } from './copy/index.js';
import type { CopyOutRequest } from './copy-out-request.js';
import { MessageFilter, type InFlight } from './message-filter.js';
import {
  describedFields,
  type Answer,
  type ExecuteOp,
  type Portal,
  type PreparedStatement,
  type QueryOp,
} from './exchange.js';
import {
  BackendCode,
  buildErrorResponse,
  dataRowOffsets,
  frameBody,
  parseBackend,
  patchDataRow,
  type FieldDescription,
  type Frame,
} from './protocol/index.js';

/** How a result set's rows are handled: `undefined` means forward them unread. */
type Plan = CellMasker | undefined;

export interface ResultFilterOptions {
  enforcer: Enforcer;
  catalog: CatalogLookup;
  /** Called when the catalog lookup failed and columns were masked whole instead. */
  onCatalogFailure?: (error: Error) => void;
  /** The session's exchange: what the target runs when a notice or a parameter arrives. */
  exchange?: InFlight;
}

/**
 * Masks result rows on the target→client path, reading which result a frame
 * belongs to from the session's {@link Exchange} (what the target has
 * prepared and bound, not what the client claims).
 *
 * A simple Query's masks apply to each of its results; an Execute's are
 * those decided at the Parse of the statement its portal was bound from. A
 * plan is computed per RowDescription (or, for a portal executed without
 * being described, from its statement's description and Bind's formats). It
 * needs the catalog for the columns' origin, which may be a round trip: then
 * `handle` returns a promise and the relay holds every later frame back until
 * it settles, keeping their order. When no mask applies, DataRows are
 * forwarded without being decoded. Rows of a portal the gateway never saw
 * bound from a statement it decided (a SQL-level cursor executed through
 * the protocol) are NULLed whole once masks have applied in the session:
 * what they hold is unknown (fail closed).
 */
export class ResultFilter {
  /** Describe of a prepared statement, kept for its masked portals executed without a Describe of their own. */
  private readonly statementFields = new WeakMap<PreparedStatement, FieldDescription[]>();
  /** Portals whose plan is known (a Describe of the portal answered, or their first row). */
  private readonly portalPlans = new WeakMap<Portal, Plan>();
  /** COPY statements of a simple Query begun so far. */
  private readonly copiesBegun = new WeakMap<QueryOp, number>();
  /** The plan for the DataRows of a simple Query's current result. */
  private current: Plan;
  /** The masking of the COPY … TO STDOUT under way, if masks apply to it. */
  private copy: CopyOutMasker | undefined;
  /** A COPY was refused after it started: drop the target's answers up to ReadyForQuery. */
  private discarding = false;
  /** Masks have applied to a string of this session. */
  private masked = false;
  private readonly offsets = new Int32Array(2 * 1600);
  /** `maskRow`'s scratch: the columns it replaces in the current row, and their new values. */
  private readonly changedIndices: number[] = [];
  private readonly changedValues: (Buffer | null)[] = [];

  /** Errors, notices, notifications and parameters the target reports. */
  private readonly messages: MessageFilter;

  constructor(private readonly options: ResultFilterOptions) {
    this.messages = new MessageFilter(options.enforcer, options.exchange);
  }

  /** A string forwarded with masks: from now on, results of unknown origin are masked whole. */
  noteMasks(masks: MaskPlan | undefined): void {
    if (!masks) return;
    this.masked = true;
    this.messages.noteMasks(masks);
  }

  /**
   * What to send for one target frame, given what it answers: `undefined`
   * forwards it unchanged, a Buffer replaces it; a promise means a plan is
   * being computed, and the caller must hold later frames back until it
   * settles.
   */
  handle(frame: Frame, answer: Answer): Buffer | undefined | Promise<Buffer | undefined> {
    if (this.discarding && !KEPT_WHILE_DISCARDING.has(frame.code)) return NOTHING;
    if (frame.code !== BackendCode.DataRow && frame.code !== BackendCode.CopyData) {
      const said = this.messages.handle(frame, answer, this.masked);
      if (said) return said;
    }
    switch (answer.kind) {
      case 'statementDescribed': {
        const statement = answer.statement;
        if (statement?.decided.masks) this.statementFields.set(statement, describedFields(frame));
        return this.messages.fieldNames(frame, statement?.decided, 0, this.masked);
      }
      case 'portalDescribed': {
        const portal = answer.portal;
        const masks = portal?.statement?.decided.masks;
        const renamed = this.messages.fieldNames(frame, portal?.statement?.decided, 0, this.masked);
        if (!portal || !masks) {
          if (portal) this.portalPlans.set(portal, undefined);
          return renamed;
        }
        return then(this.plan(describedFields(frame), masks), (plan) => {
          this.portalPlans.set(portal, plan);
          return renamed;
        });
      }
      case 'result': {
        const masks = answer.op.kind === 'query' ? answer.op.decided.masks : undefined;
        this.current = undefined;
        if (!masks || answer.op.kind !== 'query') return undefined;
        const renamed = this.messages.fieldNames(
          frame,
          answer.op.decided,
          answer.statement,
          this.masked,
        );
        if (this.messages.readsTaintedSettings(answer.op.decided.statements?.[answer.statement])) {
          this.current = allNull(describedFields(frame).length);
          return renamed;
        }
        return then(this.plan(describedFields(frame), masks, answer.statement), (plan) => {
          this.current = plan;
          return renamed;
        });
      }
      case 'data':
        return this.data(frame, answer.op, answer.statement);
      case 'completed':
        this.current = undefined;
        return undefined;
      case 'failed':
        this.current = undefined;
        this.copy = undefined;
        return undefined;
      case 'ready':
        this.current = undefined;
        this.copy = undefined;
        this.discarding = false;
        return undefined;
      default:
        return undefined;
    }
  }

  private data(
    frame: Frame,
    op: QueryOp | ExecuteOp,
    statement: number,
  ): Buffer | undefined | Promise<Buffer | undefined> {
    switch (frame.code) {
      case BackendCode.DataRow:
        if (op.kind === 'query') return this.maskRow(frame, this.current);
        return this.executedRow(frame, op);
      case BackendCode.CopyOutResponse:
        return this.startCopy(frame, op, statement);
      case BackendCode.CopyData: {
        if (!this.copy) return undefined;
        const out = this.copy.data(frameBody(frame));
        if (out === undefined) return undefined;
        return out.length === 0 ? NOTHING : copyData(out);
      }
      case BackendCode.CopyDone:
        this.copy?.end();
        this.copy = undefined;
        return undefined;
      default:
        return undefined;
    }
  }

  /** A row of an Execute: masked by its portal's plan, planned now if no Describe of the portal came first. */
  private executedRow(
    frame: Frame,
    op: ExecuteOp,
  ): Buffer | undefined | Promise<Buffer | undefined> {
    const portal = op.portal;
    const statement = portal?.statement;
    if (!portal || !statement)
      return this.masked ? this.maskRow(frame, failClosed(frame)) : undefined;
    const masks = statement.decided.masks;
    if (!masks) return undefined;
    if (this.messages.readsTaintedSettings(statement.decided.statements?.[0]))
      return this.maskRow(frame, failClosed(frame));
    if (this.portalPlans.has(portal)) return this.maskRow(frame, this.portalPlans.get(portal));
    const fields = this.statementFields.get(statement);
    const planned = fields
      ? this.plan(
          fields.map((field, i) => ({ ...field, format: formatOf(portal.formats, i) })),
          masks,
        )
      : failClosed(frame);
    return then(planned, (plan) => {
      this.portalPlans.set(portal, plan);
      return this.maskRow(frame, plan);
    });
  }

  /**
   * COPY … TO STDOUT (protocol §55.2.6): at CopyOutResponse the columns are
   * described and planned as a query result's; then each CopyData is
   * rewritten by the format's codec.
   */
  private startCopy(
    frame: Frame,
    op: QueryOp | ExecuteOp,
    statement: number,
  ): Buffer | undefined | Promise<Buffer | undefined> {
    let masks: MaskPlan | undefined;
    let request: CopyOutRequest | undefined;
    if (op.kind === 'query') {
      masks = op.decided.masks;
      const begun = this.copiesBegun.get(op) ?? 0;
      this.copiesBegun.set(op, begun + 1);
      request = op.decided.copyOut[begun];
    } else {
      const decided = op.portal?.statement?.decided;
      if (!decided) {
        masks = this.masked ? { masks: [] } : undefined;
      } else {
        masks = decided.masks;
        request = decided.copyOut[0];
      }
    }
    if (!masks) return undefined;
    const message = parseBackend(frame);
    if (message.type !== 'copyOutResponse') return undefined;
    // Refused after the target began the COPY: an ErrorResponse in its place
    // ends COPY mode for the client (§55.2.6); the rest of the answer is dropped.
    const refuse = (why: string): Buffer => {
      this.discarding = true;
      const rule = masks?.masks[0]?.rule;
      return buildErrorResponse({
        severity: 'ERROR',
        code: '42501',
        message: `hoop: refused by policy${rule === undefined ? '' : ` rule "${rule}"`}: ${why} while masking applies; use SELECT`,
      });
    };
    if (!request || request.problem !== undefined) {
      return refuse(request?.problem ?? 'a COPY TO the gateway did not classify is refused');
    }
    if ((message.format === 1) !== (request.format === 'binary')) {
      return refuse('a COPY TO in a format other than its options name is refused');
    }
    const columns = message.columnFormats.length;
    const format = request.format === 'binary' ? 1 : 0;
    const copy = request;
    const plannedMasks = masks;
    return this.options.catalog.describe(copy.describe).then(
      (fields) => {
        // A table's generated columns, or a different table on the session's search_path, would shift the masks.
        if (fields.length !== columns) {
          return refuse(
            `a COPY TO whose described columns (${fields.length}) are not its own (${columns}) is refused`,
          );
        }
        return then(
          this.plan(
            fields.map((field) => ({ ...field, format })),
            plannedMasks,
            // Which statement of a simple Query this is, for the masker's lineage.
            statement,
          ),
          (plan) => {
            this.copy = plan ? new CopyOutMasker(copy, plan, columns) : undefined;
            return undefined;
          },
        );
      },
      (error: Error) =>
        refuse(`a COPY TO whose columns could not be described (${error.message}) is refused`),
    );
  }

  /** The plan for one result set; a promise when the catalog must be asked first. */
  private plan(
    fields: readonly FieldDescription[],
    masks: MaskPlan,
    statement = 0,
  ): Plan | Promise<Plan> {
    const masker = this.options.enforcer.masker(masks);
    const oids = fields.filter((f) => f.tableOid !== 0).map((f) => f.tableOid);
    if (oids.length === 0) return masker.plan(describe(fields, undefined), statement);
    return this.options.catalog.tables(oids).then(
      (tables) => masker.plan(describe(fields, tables), statement),
      (error: Error) => {
        this.options.onCatalogFailure?.(error);
        return masker.plan(describe(fields, undefined), statement);
      },
    );
  }

  /**
   * Rewrites a DataRow when a planned cell changes; `undefined` forwards the
   * original bytes. Only the planned fields are read; the replacements are
   * kept in reused arrays and the new row is written in one allocation.
   */
  private maskRow(frame: Frame, plan: Plan): Buffer | undefined {
    if (plan === undefined) return undefined;
    const count = frame.buffer.readInt16BE(frame.bodyStart);
    const offsets = count * 2 <= this.offsets.length ? this.offsets : new Int32Array(count * 2);
    dataRowOffsets(frame, offsets);
    const indices = this.changedIndices;
    const values = this.changedValues;
    let changed = 0;
    let sorted = true;
    for (const index of plan.columns) {
      if (index >= count) continue;
      const start = offsets[2 * index]!;
      if (start < 0) continue;
      const end = offsets[2 * index + 1]!;
      const masked = plan.maskField
        ? plan.maskField(index, frame.buffer, start, end)
        : plan.maskCell(index, frame.buffer.subarray(start, end));
      if (masked === undefined) continue;
      if (changed > 0 && index <= indices[changed - 1]!) sorted = false;
      indices[changed] = index;
      values[changed] = masked;
      changed++;
    }
    if (changed === 0) return undefined;
    if (!sorted) sortChanges(indices, values, changed);
    const row = patchDataRow(frame, offsets, indices, values, changed);
    values.fill(null, 0, changed);
    return row;
  }
}

/** Sorts the first `n` changes by column index (a plan may list its columns in any order). */
function sortChanges(indices: number[], values: (Buffer | null)[], n: number): void {
  const order = Array.from({ length: n }, (_, k) => k).sort((a, b) => indices[a]! - indices[b]!);
  const i = order.map((k) => indices[k]!);
  const v = order.map((k) => values[k]!);
  for (let k = 0; k < n; k++) {
    indices[k] = i[k]!;
    values[k] = v[k]!;
  }
}

/** Sends nothing in place of a frame. */
const NOTHING = Buffer.alloc(0);
/** Forwarded while a refused COPY's answer is dropped: the end of it, and asynchronous messages. */
const KEPT_WHILE_DISCARDING = new Set<number>([
  BackendCode.ReadyForQuery,
  BackendCode.ParameterStatus,
  BackendCode.NoticeResponse,
  BackendCode.NotificationResponse,
]);

/** CopyData: Byte1('d'), Int32 len, Byte[n] data. */
function copyData(data: Buffer): Buffer {
  const out = Buffer.allocUnsafe(5 + data.length);
  out[0] = BackendCode.CopyData;
  out.writeInt32BE(4 + data.length, 1);
  data.copy(out, 5);
  return out;
}

/** A row that belongs to no described result: every column NULL, valid whatever the types. */
function failClosed(frame: Frame): Plan {
  return allNull(frame.buffer.readInt16BE(frame.bodyStart));
}

/** Every one of `count` columns NULL. */
function allNull(count: number): Plan {
  return {
    columns: Array.from({ length: count }, (_, i) => i),
    maskCell: () => null,
  };
}

/** The format of result column `index` from Bind's format codes (protocol §55.7, Bind). */
function formatOf(formats: readonly number[], index: number): number {
  if (formats.length === 0) return 0;
  if (formats.length === 1) return formats[0]!;
  return formats[index] ?? 0;
}

function describe(
  fields: readonly FieldDescription[],
  tables: Map<number, TableColumns> | undefined,
): ResultColumn[] {
  return fields.map((field) => {
    const base = {
      name: field.name,
      category: columnCategory(field.typeOid),
      binary: field.format === 1,
      tableOid: field.tableOid,
    };
    if (field.tableOid === 0 || field.columnAttr <= 0) {
      // System columns (ctid, xmin…) have attribute numbers below 1 and hold no user data.
      return { ...base, lineage: 'expression' };
    }
    const origin = tables?.get(field.tableOid)?.get(field.columnAttr);
    return origin ? { ...base, lineage: 'column', origin } : { ...base, lineage: 'unresolved' };
  });
}

function then<T, R>(value: T | Promise<T>, next: (value: T) => R): R | Promise<R> {
  return value instanceof Promise ? value.then(next) : next(value);
}
