import {
  lastName,
  type ClassifiedStatement,
  type Redefinition,
  type RoutineRef,
} from '../../sql/index.js';

/** Kinds of a statement that changes the schema. */
const SCHEMA_KINDS = new Set(['ddl', 'drop', 'grant']);

/** What one string would add to the session's redefined code, noted once it is forwarded. */
export interface PendingRedefinitions {
  names: readonly string[];
  /** The statement that made every object suspect, if one did. */
  any: string | undefined;
  /** The first statement that redefined anything, for messages. */
  by: string | undefined;
}

/**
 * Code the session's open transaction has redefined: functions replaced,
 * triggers or rules added or turned on, views replaced… (see
 * `sql/redefinitions.ts`). What a statement reaches is read from the
 * catalog over the gateway's own connection, which sees such changes only
 * once they commit; until then a statement of the same transaction that
 * reaches a redefined object is unknowable (kind `dynamic`, reason
 * `catalog`), and policy refuses it unless an allow rule names `dynamic`.
 * Statements that only define objects (a CREATE FUNCTION does not run its
 * body) are not affected. Forgotten when the session is idle outside a
 * transaction, every string it sent answered.
 */
export class UncommittedCode {
  private readonly names = new Set<string>();
  private any: string | undefined;
  private by: string | undefined;

  /**
   * The string's statements (`merged`: with what they reach), each marked
   * unknowable where it reaches code redefined before it, by an earlier
   * string or an earlier statement of this one; and what the string itself
   * redefines, to {@link note} if it is forwarded.
   */
  mark(
    raw: readonly ClassifiedStatement[],
    merged: readonly ClassifiedStatement[],
    isBuiltIn: (routine: RoutineRef) => boolean,
  ): { statements: ClassifiedStatement[]; pending: PendingRedefinitions } {
    const names = new Set(this.names);
    let any = this.any;
    let by = this.by;
    const added: string[] = [];
    let addedAny: string | undefined;
    const statements = merged.map((statement, index) => {
      const own = raw[index]!;
      const reached = own.declarative ? undefined : suspectReach(statement, own, names, any);
      const marked =
        reached === undefined
          ? statement
          : withUnknown(
              statement,
              `reaches ${reached}, which "${preview(any ?? by ?? '')}" changed earlier in this transaction; the gateway reads what code runs from the committed catalog, so commit that change first`,
            );
      const redefinition = redefinitionOf(own, statement, isBuiltIn);
      if (redefinition) {
        by ??= own.text;
        if (redefinition.scope === 'any') {
          any ??= own.text;
          addedAny ??= own.text;
        } else {
          for (const name of redefinition.names) {
            names.add(name);
            added.push(name);
          }
        }
      }
      return marked;
    });
    return { statements, pending: { names: added, any: addedAny, by } };
  }

  /** The string was forwarded: what it redefines stays suspect until the transaction ends. */
  note(pending: PendingRedefinitions): void {
    for (const name of pending.names) this.names.add(name);
    this.any ??= pending.any;
    if (pending.names.length > 0 || pending.any !== undefined) this.by ??= pending.by;
  }

  /** Idle outside a transaction, everything answered: what was redefined is committed or gone. */
  settle(): void {
    this.names.clear();
    this.any = undefined;
    this.by = undefined;
  }

  get empty(): boolean {
    return this.names.size === 0 && this.any === undefined;
  }
}

/**
 * What the statement (as written, or as it reaches) changes: its own
 * redefinition; for a statement that is not a schema statement but whose
 * reached or unknowable code may change the schema, every object.
 */
function redefinitionOf(
  own: ClassifiedStatement,
  merged: ClassifiedStatement,
  isBuiltIn: (routine: RoutineRef) => boolean,
): Redefinition | undefined {
  const { redefines } = own;
  if (redefines) {
    return redefines.unlessBuiltIn?.every(isBuiltIn) === true ? undefined : redefines;
  }
  if (own.kinds.some((kind) => SCHEMA_KINDS.has(kind))) return undefined;
  return merged.kinds.some((kind) => SCHEMA_KINDS.has(kind) || kind === 'dynamic')
    ? { scope: 'any' }
    : undefined;
}

/** The first redefined name the statement reaches (quoted), or `code` when every object is suspect. */
function suspectReach(
  statement: ClassifiedStatement,
  own: ClassifiedStatement,
  names: ReadonlySet<string>,
  any: string | undefined,
): string | undefined {
  const reached = [
    ...statement.tables,
    ...statement.functions.filter((name) => !name.includes(' ')),
    ...own.routines.map((routine) => routine.name),
  ];
  if (any !== undefined) return reached.length > 0 ? `"${reached[0]}"` : undefined;
  if (names.size === 0) return undefined;
  const hit = reached.find((name) => names.has(lastName(name)));
  return hit === undefined ? undefined : `"${hit}"`;
}

function withUnknown(statement: ClassifiedStatement, message: string): ClassifiedStatement {
  return {
    ...statement,
    kinds: statement.kinds.includes('dynamic') ? statement.kinds : [...statement.kinds, 'dynamic'],
    unknown: [...statement.unknown, { reason: 'catalog', message }],
    opaque: true,
  };
}

function preview(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 60 ? `${flat.slice(0, 57)}...` : flat;
}
