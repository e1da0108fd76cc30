import type { CatalogLookup, TableColumns } from './catalog.js';
import {
  columnCategory,
  type CellMasker,
  type ResultColumnInfo,
  type ResultMasker,
  type ResultMaskerFactory,
} from './result-masker.js';
import { CopyOutMasker } from './copy/index.js';
import type { CopyOutRequest, ResultMaskRequest } from './statement-gate.js';
import {
  BackendCode,
  buildErrorResponse,
  dataRowOffsets,
  frameBody,
  parseBackend,
  patchDataRow,
  type FieldDescription,
  type Frame,
  type FrontendMessage,
} from './protocol/index.js';

type Masks = readonly ResultMaskRequest[];
const NO_MASKS: Masks = [];

interface Statement {
  masks: Masks;
  /** A COPY … TO STDOUT under masks: how to read its CopyData. */
  copy?: CopyOutRequest;
  /** Set when a Describe of the statement answered; formats are all text (0) then. */
  fields?: FieldDescription[];
}

interface Portal {
  masks: Masks;
  statement: Statement;
  /** Bind's result format codes: none = all text, one = all columns, else one per column. */
  formats: readonly number[];
  /** Whether `plan` is known: set when a Describe of the portal answered, or at its first row. */
  planned: boolean;
  plan?: Plan;
}

/** What answers a client message, for the messages whose answers carry results. */
type Expected =
  | { kind: 'describeStatement'; statement: Statement }
  | { kind: 'describePortal'; portal: Portal }
  | { kind: 'execute'; portal: Portal };

/** One Query, or the extended-protocol messages up to a Sync: what one ReadyForQuery ends. */
interface Unit {
  simple: boolean;
  masks: Masks;
  expected: Expected[];
  /** Simple Query: its COPY … TO STDOUT statements not yet answered, in order. */
  copies?: CopyOutRequest[];
  /** A COPY was refused after it started: drop the target's answers up to ReadyForQuery. */
  discarding?: boolean;
  /** Simple Query: statements of the string completed so far, i.e. which one is running. */
  completed: number;
}

/** How a result set's rows are handled: `undefined` means forward them unread. */
type Plan = CellMasker | undefined;

export interface ResultFilterOptions {
  masker: ResultMaskerFactory;
  catalog: CatalogLookup;
  /** Called when the catalog lookup failed and columns were masked whole instead. */
  onCatalogFailure?: (error: Error) => void;
}

/**
 * Masks result rows on the target→client path.
 *
 * Which masks apply to which rows: a simple Query's masks apply to every
 * result until its ReadyForQuery. In the extended protocol, the masks decided
 * at Parse follow the statement to the portals bound from it; the answers to
 * Describe and Execute come back in the order the client sent them, so a
 * FIFO of expected answers ties each RowDescription and each run of DataRows
 * to its portal (an ErrorResponse empties the FIFO: the target skips to Sync).
 *
 * A plan is computed per RowDescription (or, for a portal executed without
 * being described, from its statement's description and Bind's formats). It
 * needs the catalog for the columns' origin, which may be a round trip: then
 * `handle` returns a promise and the relay holds every later frame back until
 * it settles, keeping their order. When no mask applies, DataRows are
 * forwarded without being decoded.
 */
export class ResultFilter {
  private readonly statements = new Map<string, Statement>();
  private readonly portals = new Map<string, Portal>();
  private readonly units: Unit[] = [];
  /** The extended-protocol unit still collecting messages (no Sync yet). */
  private open: Unit | undefined;
  /** The plan for the DataRows of a simple Query's current result. */
  private current: Plan;
  /** The masking of the COPY … TO STDOUT under way, if masks apply to it. */
  private copy: CopyOutMasker | undefined;
  private readonly maskers = new WeakMap<Masks, ResultMasker>();
  private readonly offsets = new Int32Array(2 * 1600);
  /** `maskRow`'s scratch: the columns it replaces in the current row, and their new values. */
  private readonly changedIndices: number[] = [];
  private readonly changedValues: (Buffer | null)[] = [];

  constructor(private readonly options: ResultFilterOptions) {}

  /**
   * Notes a client message as it is forwarded; `masks` and `copyOut` are the
   * gate's for a Query or Parse.
   */
  onClientMessage(
    message: FrontendMessage,
    masks: Masks = NO_MASKS,
    copyOut: readonly CopyOutRequest[] = [],
  ): void {
    switch (message.type) {
      case 'query':
        this.open = undefined;
        this.units.push({ simple: true, masks, expected: [], completed: 0 });
        if (copyOut.length > 0) this.units[this.units.length - 1]!.copies = [...copyOut];
        return;
      case 'parse':
        this.statements.set(message.name, copyOut[0] ? { masks, copy: copyOut[0] } : { masks });
        return;
      case 'bind': {
        const statement = this.statements.get(message.statement) ?? { masks: NO_MASKS };
        this.portals.set(message.portal, {
          masks: statement.masks,
          statement,
          formats: message.resultFormats,
          planned: false,
        });
        return;
      }
      case 'describe': {
        const unit = this.extendedUnit();
        if (message.target === 'S') {
          const statement = this.statements.get(message.name) ?? { masks: NO_MASKS };
          unit.expected.push({ kind: 'describeStatement', statement });
        } else {
          unit.expected.push({ kind: 'describePortal', portal: this.portal(message.name) });
        }
        return;
      }
      case 'execute':
        this.extendedUnit().expected.push({ kind: 'execute', portal: this.portal(message.portal) });
        return;
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
   * What to send for one target frame: `undefined` forwards it unchanged, a
   * Buffer replaces it; a promise means a plan is being computed, and the
   * caller must hold later frames back until it settles.
   */
  handle(frame: Frame): Buffer | undefined | Promise<Buffer | undefined> {
    const unit = this.units[0];
    const copied = this.handleCopy(frame, unit);
    if (copied !== PASS) return copied;
    switch (frame.code) {
      case BackendCode.DataRow: {
        if (!unit) return undefined;
        if (unit.simple) return this.maskRow(frame, this.current);
        const expected = unit.expected[0];
        if (expected?.kind !== 'execute') return undefined;
        const portal = expected.portal;
        if (portal.planned || portal.masks.length === 0) {
          return this.maskRow(frame, portal.plan);
        }
        // Executed without a Describe of the portal: plan from the statement's description.
        const fields = portal.statement.fields;
        const planned = fields
          ? this.plan(
              fields.map((field, i) => ({ ...field, format: formatOf(portal.formats, i) })),
              portal.masks,
            )
          : failClosed(frame);
        return then(planned, (plan) => {
          portal.planned = true;
          portal.plan = plan;
          return this.maskRow(frame, plan);
        });
      }
      case BackendCode.RowDescription: {
        if (!unit) return undefined;
        // Only a result that masks apply to needs its columns read.
        const fields = (masks: Masks): FieldDescription[] | undefined => {
          if (masks.length === 0) return undefined;
          const message = parseBackend(frame);
          return message.type === 'rowDescription' ? message.fields : undefined;
        };
        if (unit.simple) {
          const described = fields(unit.masks);
          if (!described) return undefined;
          return then(this.plan(described, unit.masks, unit.completed), (plan) => {
            this.current = plan;
            return undefined;
          });
        }
        const expected = unit.expected.shift();
        if (expected?.kind === 'describeStatement') {
          const described = fields(expected.statement.masks);
          if (described) expected.statement.fields = described;
        } else if (expected?.kind === 'describePortal') {
          const portal = expected.portal;
          const described = fields(portal.masks);
          if (!described) {
            portal.planned = true;
            portal.plan = undefined;
            return undefined;
          }
          return then(this.plan(described, portal.masks), (plan) => {
            portal.planned = true;
            portal.plan = plan;
            return undefined;
          });
        }
        return undefined;
      }
      case BackendCode.NoData:
        if (unit && !unit.simple) unit.expected.shift();
        return undefined;
      case BackendCode.CommandComplete:
      case BackendCode.EmptyQueryResponse:
      case BackendCode.PortalSuspended:
        // Each statement of a simple Query ends with exactly one of these (protocol §55.2.2).
        if (unit?.simple) {
          this.current = undefined;
          unit.completed++;
        } else if (unit?.expected[0]?.kind === 'execute') unit.expected.shift();
        return undefined;
      case BackendCode.ErrorResponse:
        if (unit?.simple) this.current = undefined;
        else if (unit) unit.expected.length = 0;
        return undefined;
      case BackendCode.ReadyForQuery:
        this.units.shift();
        this.current = undefined;
        return undefined;
      default:
        return undefined;
    }
  }

  private extendedUnit(): Unit {
    if (!this.open) {
      this.open = { simple: false, masks: NO_MASKS, expected: [], completed: 0 };
      this.units.push(this.open);
    }
    return this.open;
  }

  private portal(name: string): Portal {
    return (
      this.portals.get(name) ?? {
        masks: NO_MASKS,
        statement: { masks: NO_MASKS },
        formats: [],
        planned: false,
      }
    );
  }

  /**
   * COPY … TO STDOUT (protocol §55.2.6): at CopyOutResponse the columns are
   * described and planned as a query result's; then each CopyData is
   * rewritten by the format's codec. `PASS` leaves the frame to `handle`.
   */
  private handleCopy(
    frame: Frame,
    unit: Unit | undefined,
  ): Buffer | undefined | Promise<Buffer | undefined> | typeof PASS {
    if (unit?.discarding && !KEPT_WHILE_DISCARDING.has(frame.code)) return NOTHING;
    switch (frame.code) {
      case BackendCode.CopyOutResponse:
        return unit ? this.startCopy(frame, unit) : undefined;
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
      case BackendCode.ErrorResponse:
      case BackendCode.ReadyForQuery:
        this.copy = undefined;
        return PASS;
      default:
        return PASS;
    }
  }

  private startCopy(frame: Frame, unit: Unit): Buffer | undefined | Promise<Buffer | undefined> {
    let masks: Masks;
    let request: CopyOutRequest | undefined;
    if (unit.simple) {
      masks = unit.masks;
      request = unit.copies?.shift();
    } else {
      const expected = unit.expected[0];
      if (expected?.kind !== 'execute') return undefined;
      masks = expected.portal.masks;
      request = expected.portal.statement.copy;
    }
    if (masks.length === 0) return undefined;
    const message = parseBackend(frame);
    if (message.type !== 'copyOutResponse') return undefined;
    // Refused after the target began the COPY: an ErrorResponse in its place
    // ends COPY mode for the client (§55.2.6); the rest of the answer is dropped.
    const refuse = (why: string): Buffer => {
      unit.discarding = true;
      return buildErrorResponse({
        severity: 'ERROR',
        code: '42501',
        message: `hoop: refused by policy rule "${masks[0]?.rule ?? ''}": ${why} while masking applies; use SELECT`,
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
    return this.options.catalog.describe(request.describe).then(
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
            masks,
            // Which statement of a simple Query this is, for the masker's lineage.
            unit.simple ? unit.completed : 0,
          ),
          (plan) => {
            this.copy = plan ? new CopyOutMasker(request, plan, columns) : undefined;
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
    masks: Masks,
    statement = 0,
  ): Plan | Promise<Plan> {
    if (masks.length === 0) return undefined;
    let masker = this.maskers.get(masks);
    if (!masker) {
      masker = this.options.masker(masks);
      this.maskers.set(masks, masker);
    }
    const planner = masker;
    const oids = fields.filter((f) => f.tableOid !== 0).map((f) => f.tableOid);
    if (oids.length === 0) return planner.plan(describe(fields, undefined), statement);
    return this.options.catalog.tables(oids).then(
      (tables) => planner.plan(describe(fields, tables), statement),
      (error: Error) => {
        this.options.onCatalogFailure?.(error);
        return planner.plan(describe(fields, undefined), statement);
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

/** `handleCopy`'s answer for frames it leaves to the rest of `handle`. */
const PASS = Symbol('pass');
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
  const count = frame.buffer.readInt16BE(frame.bodyStart);
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
): ResultColumnInfo[] {
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
