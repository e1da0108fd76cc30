import {
  refusedInstead,
  type Decision,
  type Enforcer,
  type RunSql,
} from '../../enforcement/index.js';
import {
  DANGEROUS_OPERATIONS,
  toAnalysis,
  type Classification,
  type ClassifiedStatement,
} from '../../sql/index.js';
import { copyOutRequest, type CopyOutRequest } from './copy-out-request.js';
import { withReached, type ReachedEffects, type RoutineResolver } from './routines/index.js';
import { namePattern } from './routines/names.js';
import { executedAs, type PreparedLookup } from './prepared-statements.js';
import { pinnedChange, type SessionPins } from './session-pins.js';
import { UncommittedCode, type PendingRedefinitions } from './uncommitted-code.js';
import type { PostgresClassifier } from './sql-classifier.js';

/**
 * What the decider tells the catalog lookups about schema changes (see
 * `CatalogLookup`): which relations' column names to note before DDL runs,
 * and when to forget what it knew.
 */
export interface ColumnIdentities {
  remember(names: readonly { schema?: string; name: string }[] | 'all'): Promise<void>;
  invalidate(): void;
}

/** How the relay decided one SQL string, with what it needs to forward it. */
export interface SqlVerdict {
  decision: Decision;
  /** With masks: the string's COPY … TO STDOUT statements, in order. */
  copyOut: readonly CopyOutRequest[];
  /**
   * The string may replace portals behind the protocol's back (DECLARE,
   * CLOSE, DISCARD): the relay forgets what it knew of them.
   */
  replacesPrepared: boolean;
  /** The string's statements as classified (none when it was not): what the exchange tracks. */
  statements: readonly ClassifiedStatement[];
  /** With a decision made by the clock ({@link Decision} `timed`): the action, to decide again when a prepared statement is bound. */
  action?: RunSql;
}

/**
 * Decides each SQL string of a session: classified with the real
 * PostgreSQL parser (see {@link PostgresClassifier}), what it reaches read
 * from the target's catalog (functions' bodies, triggers, rules, views,
 * defaults, policies: see {@link RoutineResolver}) and merged in, then
 * decided by the session's enforcer, so a statement is judged by what it
 * makes the server run and not only by its text. A COPY … TO a file, a
 * program, or with options the relay cannot follow is refused while masks
 * apply, naming the mask rule: its rows could not be masked on the wire.
 *
 * Code created or replaced in the session's open transaction is invisible
 * to the catalog connection until it commits; it was decided by its own
 * effects when created (a CREATE FUNCTION by its body, a CREATE TRIGGER by
 * the function it binds). Once such a string has run, what is known of the
 * database is forgotten at each ReadyForQuery until the transaction ends
 * ({@link onReadyForQuery}), so later sessions read the catalog anew.
 */
export class SqlDecider {
  /** A string that may change the catalog ran; what is known of it is stale. */
  private catalogChanged = false;
  /** Code this session's open transaction redefined, which the catalog shows only once committed. */
  private readonly uncommitted = new UncommittedCode();

  constructor(
    private readonly enforcer: Enforcer,
    private readonly pins: SessionPins,
    private readonly classifier: PostgresClassifier,
    private readonly routines?: RoutineResolver,
    private readonly columns?: ColumnIdentities,
  ) {}

  /**
   * The verdict on one string; a promise when its classification or the
   * catalog is waited for. `prepared` says what an EXECUTE of a name runs.
   */
  decide(text: string, prepared?: PreparedLookup): SqlVerdict | Promise<SqlVerdict> {
    const classification = this.classifier.classify(text);
    return classification instanceof Promise
      ? classification.then((classified) => this.decideReached(text, classified, prepared))
      : this.decideReached(text, classification, prepared);
  }

  /**
   * The target answered ReadyForQuery (`idle`: no transaction open and
   * every string sent answered). After a string that may have changed the
   * catalog, what is known of the database is forgotten, again at each
   * ReadyForQuery until the transaction ends (its changes are seen by
   * others once it commits); code it redefined is then committed or gone.
   */
  onReadyForQuery(idle: boolean): void {
    if (this.catalogChanged) {
      this.routines?.invalidate();
      this.columns?.invalidate();
    }
    if (!idle) return;
    this.catalogChanged = false;
    this.uncommitted.settle();
  }

  private decideReached(
    text: string,
    classification: Classification,
    prepared: PreparedLookup | undefined,
  ): SqlVerdict | Promise<SqlVerdict> {
    if (!this.enforcer.active || !classification.ok) {
      return this.decideClassified(text, classification, classification);
    }
    // An EXECUTE is decided as what it runs.
    const statements = [...executedAs(classification.statements, prepared)];
    const { routines } = this;
    if (!routines) {
      return this.decideClassified(text, classification, { ok: true, statements });
    }
    const reached = routines.resolve(statements);
    const merge = (effects: ReachedEffects[]): SqlVerdict | Promise<SqlVerdict> => {
      const merged = statements.map((statement, index) =>
        withReachedLineage(withReached(statement, effects[index]!), statement, effects[index]!),
      );
      const renames = this.columns && changedRelations(merged);
      if (renames) {
        // The names a rename replaces, noted under the relations' OIDs before it runs.
        return this.columns!.remember(renames).then(
          () => merge2(merged),
          (error: Error) => this.refusedForCatalog(text, classification, error),
        );
      }
      return merge2(merged);
    };
    const merge2 = (merged: ClassifiedStatement[]): SqlVerdict => {
      const marked = this.uncommitted.mark(statements, merged, (routine) =>
        routines.isBuiltIn(routine),
      );
      return this.decideClassified(
        text,
        classification,
        { ok: true, statements: marked.statements },
        marked.pending,
      );
    };
    return reached instanceof Promise ? reached.then(merge) : merge(reached);
  }

  /** A schema change whose tables' column names could not be read first: refused (fail closed). */
  private refusedForCatalog(
    text: string,
    classification: Classification,
    error: Error,
  ): SqlVerdict {
    const verdict = this.decideClassified(text, classification, classification);
    if (verdict.decision.effect === 'deny') return verdict;
    return {
      ...verdict,
      decision: refusedInstead(
        verdict.decision,
        `hoop: refused: the gateway could not read the catalog before this schema change (${error.message}); try again`,
      ),
    };
  }

  /**
   * `classification` is the string's own (COPY details, prepared names);
   * `effective` adds what its statements reach, and is what is decided.
   */
  private decideClassified(
    text: string,
    classification: Classification,
    effective: Classification,
    redefines?: PendingRedefinitions,
  ): SqlVerdict {
    const action: RunSql = { type: 'sql', text, analysis: toAnalysis(effective) };
    const decision = this.enforcer.decide(action);
    const timed = decision.effect !== 'deny' && decision.timed ? { action } : {};
    const replacesPrepared = classification.ok && classification.statements.some(replaces);
    const statements = classification.ok ? classification.statements : [];
    if (this.enforcer.active && decision.effect !== 'deny') {
      const why = this.pinProblem(effective);
      if (why) {
        return {
          decision: refusedInstead(decision, why),
          copyOut: [],
          replacesPrepared,
          statements,
        };
      }
    }
    if (decision.effect !== 'deny') {
      if (effective.ok && effective.statements.some(changesCatalog)) this.catalogChanged = true;
      if (redefines) this.uncommitted.note(redefines);
    }
    if (decision.effect !== 'allow' || !decision.masks || !classification.ok) {
      return { decision, copyOut: [], replacesPrepared, statements, ...timed };
    }
    const copyOut: CopyOutRequest[] = [];
    const rule = decision.masks.masks[0]?.rule;
    for (const statement of copies(classification)) {
      const request = copyOutRequest(statement.copy?.out);
      if (request.problem !== undefined && rule !== undefined) {
        return {
          decision: refusedInstead(
            decision,
            `hoop: refused by policy rule "${rule}": ${request.problem} while masking applies; use SELECT`,
            rule,
          ),
          copyOut: [],
          replacesPrepared,
          statements,
        };
      }
      copyOut.push(request);
    }
    return { decision, copyOut, replacesPrepared, statements, ...timed };
  }

  /**
   * Why the string cannot run without the server reading SQL differently
   * from the gateway, or the session acting as another role (see session-pins.ts).
   */
  private pinProblem(classification: Classification): string | undefined {
    const broken = this.pins.unsafe;
    if (broken) {
      return `hoop: refused: ${broken}, so the gateway can no longer read this session's SQL as the server does; open a new session`;
    }
    if (!classification.ok) return undefined;
    for (const statement of classification.statements) {
      const change = pinnedChange(statement);
      if (change) {
        return `hoop: refused: the statement ${change}; the gateway keeps every session lexing SQL as it does (standard_conforming_strings on, client_encoding UTF8) and acting as the connection's role`;
      }
    }
    return undefined;
  }
}

/** The statements that copy rows out of the database, in order. */
function copies(classification: Extract<Classification, { ok: true }>) {
  return classification.statements.filter((statement) => statement.copy?.direction === 'out');
}

/** Kinds of statements that create, replace or drop what the catalog says a statement reaches. */
const CATALOG_KINDS = new Set(['ddl', 'drop', 'grant', 'dynamic']);

/** The statement (or code it reaches) may change functions, triggers, rules, views or policies. */
function changesCatalog(statement: ClassifiedStatement): boolean {
  return (
    statement.kinds.some((kind) => CATALOG_KINDS.has(kind)) ||
    statement.functions.includes(DANGEROUS_OPERATIONS.catalogWrite)
  );
}

/**
 * The relations whose column names a string's schema changes may replace:
 * the tables its changing statements name, or every relation when one
 * names none (a schema renamed) or runs SQL the gateway cannot see;
 * undefined when it changes no schema.
 */
function changedRelations(
  statements: readonly ClassifiedStatement[],
): { schema?: string; name: string }[] | 'all' | undefined {
  const changing = statements.filter(changesCatalog);
  if (changing.length === 0) return undefined;
  if (changing.some((s) => s.tables.length === 0 || s.kinds.includes('dynamic'))) return 'all';
  return [...new Set(changing.flatMap((s) => s.tables))].map(namePattern);
}

/**
 * A statement whose relations reach other tables (a view's, a function's)
 * has values the parse tree traces only to the names it wrote (`v.tax` of a
 * view over `customers.ssn`): each traced value counts as derived from
 * every column of every table reached that the statement does not name
 * itself (a value of no column, such as `count(*)`, stays so). Plain columns are told by the catalog (table OID and number, a
 * view's base columns), so only expressions are over-approximated.
 */
function withReachedLineage(
  merged: ClassifiedStatement,
  own: ClassifiedStatement,
  reached: ReachedEffects,
): ClassifiedStatement {
  const extra = reached.tables.filter((table) => !own.tables.includes(table));
  if (extra.length === 0 || !merged.lineage) return merged;
  const rows = extra.map((table) => ({ kind: 'row' as const, table }));
  return {
    ...merged,
    lineage: merged.lineage.map((output) =>
      // A value of no column (a constant, count(*)) stays so.
      output.kind === 'value' && output.sources.length > 0
        ? { ...output, sources: [...output.sources, ...rows] }
        : output,
    ),
  };
}

/** Statements that create, close or run cursors by name, or reset the session. */
function replaces(statement: { kinds: readonly string[]; roleChange: boolean }): boolean {
  return statement.roleChange || statement.kinds.includes('cursor');
}
