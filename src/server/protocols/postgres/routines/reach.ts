import { usesAsCode, type ClassifiedStatement, type StatementKind } from '../../../sql/index.js';
import {
  EffectsBuilder,
  NOTHING_REACHED,
  type ReachedEffects,
  type ReachedUnknown,
} from './effects.js';
import { namePattern } from './names.js';

/**
 * What is done to a relation, as bits. INSERT, DELETE, UPDATE and TRUNCATE
 * are pg_trigger's `tgtype` event bits (src/include/catalog/pg_trigger.h,
 * TRIGGER_TYPE_*), so a trigger fires when `tgtype & touch` has one.
 */
export const Touch = {
  /** Rows are read: a view's query runs, SELECT policies apply. */
  read: 1,
  insert: 4,
  delete: 8,
  update: 16,
  truncate: 32,
  /**
   * Rows are computed or rechecked: defaults, generated columns, check and
   * domain constraints, index expressions (INSERT, UPDATE, and the
   * rewrites of ALTER TABLE, CLUSTER, VACUUM FULL, REINDEX).
   */
  rewrite: 128,
} as const;

/** The bits of a DML event, for triggers, rules and policies. */
export const DML = Touch.insert | Touch.delete | Touch.update | Touch.truncate;

/** A relation named by reached code and what the code does to it. */
export interface RelationUse {
  name: string;
  touch: number;
}

/**
 * What one piece of catalog code does by itself (a function body, a view's
 * query, a rule's actions, an expression), and the names in it still to
 * resolve: its direct effects and its edges. Built once per object and
 * cached; the resolver walks the edges.
 */
export interface Reach {
  effects: ReachedEffects;
  /** Functions and procedures called by name. */
  calls: readonly string[];
  /** Operators used, which run the functions they are bound to. */
  operators: readonly string[];
  relations: readonly RelationUse[];
  /** It runs DDL, which fires event triggers. */
  ddl: boolean;
}

export const NO_REACH: Reach = Object.freeze({
  effects: NOTHING_REACHED,
  calls: Object.freeze([]) as readonly string[],
  operators: Object.freeze([]) as readonly string[],
  relations: Object.freeze([]) as readonly RelationUse[],
  ddl: false,
});

/** What a statement of the given kinds does to every relation it names (over-approximated). */
export function touchOf(kinds: readonly StatementKind[]): number {
  let touch = 0;
  for (const kind of kinds) touch |= TOUCH_OF_KIND[kind] ?? 0;
  return touch;
}

/*
 * The classifier names a statement's relations without saying which are
 * written, so every relation of a writing statement counts as written with
 * every event of its kinds. INSERT counts UPDATE too: ON CONFLICT DO UPDATE
 * is only `insert` to the classifier, and it fires UPDATE triggers.
 */
const TOUCH_OF_KIND: Partial<Record<StatementKind, number>> = {
  select: Touch.read,
  insert: Touch.read | Touch.insert | Touch.update | Touch.rewrite,
  update: Touch.read | Touch.update | Touch.rewrite,
  delete: Touch.read | Touch.delete,
  merge: Touch.read | Touch.insert | Touch.update | Touch.delete | Touch.rewrite,
  truncate: Touch.truncate,
  copy_from_stdin: Touch.insert | Touch.rewrite,
  copy_from_file: Touch.insert | Touch.rewrite,
  copy_from_program: Touch.insert | Touch.rewrite,
  copy_to_stdout: Touch.read,
  copy_to_file: Touch.read,
  copy_to_program: Touch.read,
  // REFRESH MATERIALIZED VIEW, CREATE VIEW … AS, ALTER TABLE rewriting rows.
  ddl: Touch.read | Touch.rewrite,
  vacuum: Touch.rewrite,
};

/** Kinds that fire event triggers (ddl_command_start/end, sql_drop, table_rewrite). */
const EVENT_TRIGGER_KINDS: ReadonlySet<StatementKind> = new Set(['ddl', 'drop', 'grant']);

/** How the statements of a piece of code are added to its {@link Reach}. */
export interface ReachOptions {
  /**
   * The text is the server's own deparse (a view, a rule, an expression, a
   * BEGIN ATOMIC body), made with `search_path` set to `pg_catalog` alone:
   * objects are bound by OID there, and every one outside `pg_catalog` is
   * written schema-qualified, so a bare name is a built-in and needs no
   * lookup. A function body written as a string is not: its names resolve
   * when it runs, through whatever search path is in force then.
   */
  deparsed: boolean;
  /** Leave out this kind of the first statement (the wrapper's own: CREATE FUNCTION's `ddl`). */
  ownKind?: StatementKind;
  /** Each statement is `SELECT <expression>`: its `select` counts only if it reads a relation. */
  expression?: boolean;
  /** Keep only names and calls (a trigger's WHEN): the wrapper's kinds and relations are not run. */
  callsOnly?: boolean;
  /** Replaces the statements' relations (a rule's actions without the rule's own table). */
  relations?: readonly ClassifiedStatement[];
  /** A function's body: what it reads and returns are `code` uses (a view's query is traced instead). */
  code?: boolean;
}

/** Builds the {@link Reach} of one object from the classified statements of its code. */
export class ReachBuilder {
  readonly effects = new EffectsBuilder();
  private readonly calls = new Set<string>();
  private readonly operators = new Set<string>();
  private readonly relations = new Map<string, number>();
  private ddl = false;

  /**
   * @param where names the object for messages: `function public.f`.
   */
  constructor(readonly where: string) {}

  statements(statements: readonly ClassifiedStatement[], options: ReachOptions): this {
    statements.forEach((statement, index) => {
      const kinds =
        index === 0 && options.ownKind !== undefined
          ? statement.kinds.filter((kind, i) => !(i === 0 && kind === options.ownKind))
          : statement.kinds;
      const resolvable = (name: string) =>
        !options.deparsed || namePattern(name).schema !== undefined;
      for (const name of statement.functions) this.effects.functions.add(name);
      if (options.code)
        this.effects.uses.push(
          ...usesAsCode(statement.uses, statement.lineage, `the body of ${this.where}`),
        );
      for (const unknown of statement.unknown) this.unknown(unknown);
      this.effects.settings.push(...statement.settings);
      if (statement.roleChange) this.effects.roleChange = true;
      for (const routine of statement.routines) {
        if (!resolvable(routine.name)) continue;
        // A `bind` (code that creates a trigger, an operator…) counts as a call, as at the top.
        if (routine.how === 'operator') this.operators.add(routine.name);
        else this.calls.add(routine.name);
      }
      if (options.callsOnly) return;
      const own = kinds.filter((kind) => kind !== 'dynamic');
      const reads = statement.tables.length > 0;
      for (const kind of own) {
        if (!(options.expression && kind === 'select' && !reads)) this.effects.kinds.add(kind);
      }
      if (own.some((kind) => EVENT_TRIGGER_KINDS.has(kind))) this.ddl = true;
      if (options.relations !== undefined) return;
      this.uses(statement.tables, touchOf(own), resolvable);
    });
    for (const statement of options.relations ?? []) {
      const resolvable = (name: string) =>
        !options.deparsed || namePattern(name).schema !== undefined;
      this.uses(statement.tables, touchOf(statement.kinds), resolvable);
    }
    return this;
  }

  private uses(tables: readonly string[], touch: number, resolvable: (name: string) => boolean) {
    for (const table of tables) {
      this.effects.tables.add(table);
      if (touch === 0 || !resolvable(table)) continue;
      this.relations.set(table, (this.relations.get(table) ?? 0) | touch);
    }
  }

  /** Something in the code cannot be known: the classifier's reason, naming where. */
  unknown(unknown: ReachedUnknown): this {
    this.effects.addUnknown({
      reason: unknown.reason,
      message: `${unknown.message} (in ${this.where})`,
    });
    return this;
  }

  /** The object itself cannot be followed: `message` completes "the statement …". */
  opaque(reason: ReachedUnknown['reason'], message: string): this {
    this.effects.addUnknown({ reason, message });
    return this;
  }

  build(): Reach {
    if (
      this.effects.empty &&
      this.calls.size === 0 &&
      this.operators.size === 0 &&
      this.relations.size === 0 &&
      !this.ddl
    ) {
      return NO_REACH;
    }
    return {
      effects: this.effects.build(),
      calls: [...this.calls],
      operators: [...this.operators],
      relations: [...this.relations].map(([name, touch]) => ({ name, touch })),
      ddl: this.ddl,
    };
  }
}
