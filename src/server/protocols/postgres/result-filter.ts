import type { CatalogLookup, TableColumns } from './catalog.js';
import {
  columnCategory,
  type CellMasker,
  type ResultColumnInfo,
  type ResultMasker,
  type ResultMaskerFactory,
} from './result-masker.js';
import type { ResultMaskRequest } from './statement-gate.js';
import {
  BackendCode,
  buildDataRow,
  dataRowOffsets,
  parseBackend,
  type FieldDescription,
  type Frame,
  type FrontendMessage,
} from './protocol/index.js';

type Masks = readonly ResultMaskRequest[];
const NO_MASKS: Masks = [];

interface Statement {
  masks: Masks;
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
  private readonly maskers = new WeakMap<Masks, ResultMasker>();
  private readonly offsets = new Int32Array(2 * 1600);

  constructor(private readonly options: ResultFilterOptions) {}

  /** Notes a client message as it is forwarded; `masks` is the gate's for a Query or Parse. */
  onClientMessage(message: FrontendMessage, masks: Masks = NO_MASKS): void {
    switch (message.type) {
      case 'query':
        this.open = undefined;
        this.units.push({ simple: true, masks, expected: [], completed: 0 });
        return;
      case 'parse':
        this.statements.set(message.name, { masks });
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
        const message = parseBackend(frame);
        if (message.type !== 'rowDescription') return undefined;
        if (unit.simple) {
          return then(this.plan(message.fields, unit.masks, unit.completed), (plan) => {
            this.current = plan;
            return undefined;
          });
        }
        const expected = unit.expected.shift();
        if (expected?.kind === 'describeStatement') {
          expected.statement.fields = message.fields;
        } else if (expected?.kind === 'describePortal') {
          const portal = expected.portal;
          return then(this.plan(message.fields, portal.masks), (plan) => {
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

  /** Rewrites a DataRow when a planned cell changes; `undefined` forwards the original bytes. */
  private maskRow(frame: Frame, plan: Plan): Buffer | undefined {
    if (plan === undefined) return undefined;
    const count = frame.buffer.readInt16BE(frame.bodyStart);
    const offsets = count * 2 <= this.offsets.length ? this.offsets : new Int32Array(count * 2);
    dataRowOffsets(frame, offsets);
    let values: (Buffer | null)[] | undefined;
    for (const index of plan.columns) {
      if (index >= count) continue;
      const start = offsets[2 * index]!;
      if (start < 0) continue;
      const masked = plan.maskCell(index, frame.buffer.subarray(start, offsets[2 * index + 1]!));
      if (masked === undefined) continue;
      values ??= rowValues(frame, offsets, count);
      values[index] = masked;
    }
    return values ? buildDataRow(values) : undefined;
  }
}

/** A row that belongs to no described result: every column NULL, valid whatever the types. */
function failClosed(frame: Frame): Plan {
  const count = frame.buffer.readInt16BE(frame.bodyStart);
  return {
    columns: Array.from({ length: count }, (_, i) => i),
    maskCell: () => null,
  };
}

function rowValues(frame: Frame, offsets: Int32Array, count: number): (Buffer | null)[] {
  const values = new Array<Buffer | null>(count);
  for (let i = 0; i < count; i++) {
    const start = offsets[2 * i]!;
    values[i] = start < 0 ? null : frame.buffer.subarray(start, offsets[2 * i + 1]!);
  }
  return values;
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
