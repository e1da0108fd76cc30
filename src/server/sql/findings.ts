import type { ColumnUse } from '../enforcement/index.js';
import type { AstObject } from './ast.js';
import { groupsOf, type FunctionGroup } from './function-groups.js';
import type { CopyInfo, RoutineRef, SettingChange, StatementKind, UnknownCode } from './types.js';

/**
 * Code a statement carries that the walker leaves to the classifier, which
 * parses it and adds what it finds to the statement (`classify.ts`).
 */
export type NestedCodeBody =
  | {
      /** SQL text: a function body in SQL, a constant string run by a function. */
      type: 'sql';
      sql: string;
      /** Where it came from, for messages: `function body`, `query_to_xml()`. */
      origin: string;
    }
  | {
      /** The PL/pgSQL of this statement (a DO block or CREATE FUNCTION), compiled from its text. */
      type: 'plpgsql';
    };

export type NestedCode = NestedCodeBody & {
  /** Found under a plain EXPLAIN: planned, not run. */
  planned: boolean;
};

/** What the walk of one statement found, and what its nested code adds. */
export interface Findings {
  kinds: Set<StatementKind>;
  /** Kinds under a plain EXPLAIN, which plans without running. */
  planned: Set<StatementKind> | undefined;
  tables: Set<string>;
  functions: Set<string>;
  /** Entries of `functions` that are in a function group. */
  dangerous: Set<string>;
  groups: Set<FunctionGroup>;
  /** Keyed by `how`, `name` and `via`, so a routine is listed once per way it is reached. */
  routines: Map<string, RoutineRef>;
  unknown: UnknownCode[];
  settings: SettingChange[];
  roleChange: boolean;
  copy: CopyInfo | undefined;
  prepared: string | undefined;
  /** DEALLOCATE of one prepared statement, or of all of them (DEALLOCATE ALL, DISCARD ALL). */
  deallocates: { name: string } | { all: true } | undefined;
  /** PREPARE: its name and inner statement, classified on its own by the classifier. */
  prepares: { name: string; tag: string; node: AstObject } | undefined;
  code: NestedCode[];
  /** Uses of columns other than output by code nested in the statement (all of kind `code`). */
  uses: ColumnUse[];
}

export function newFindings(): Findings {
  return {
    kinds: new Set(),
    planned: undefined,
    tables: new Set(),
    functions: new Set(),
    dangerous: new Set(),
    groups: new Set(),
    routines: new Map(),
    unknown: [],
    settings: [],
    roleChange: false,
    copy: undefined,
    prepared: undefined,
    deallocates: undefined,
    prepares: undefined,
    code: [],
    uses: [],
  };
}

/** Records a function (or pseudo-entry) by its name as written and its own, last name. */
export function addFunction(found: Findings, name: string, ownName: string): void {
  found.functions.add(name);
  const groups = groupsOf(ownName);
  if (groups.length === 0) return;
  found.dangerous.add(name);
  for (const group of groups) found.groups.add(group);
}

export function addRoutine(found: Findings, routine: RoutineRef): void {
  found.routines.set(`${routine.how}\u0000${routine.name}\u0000${routine.via ?? ''}`, routine);
}

export function addUnknown(found: Findings, unknown: UnknownCode): void {
  if (!found.unknown.some((u) => u.reason === unknown.reason && u.message === unknown.message)) {
    found.unknown.push(unknown);
  }
}

/**
 * Adds what code nested in a statement does to the statement: its kinds
 * (to `planned` when the code was only planned), relations, functions,
 * routines, settings and whatever in it is unknowable. COPY details,
 * prepared-statement names and lineage stay the nested statement's own.
 */
export function mergeNested(into: Findings, nested: Findings, planned: boolean): void {
  const kinds = planned ? (into.planned ??= new Set()) : into.kinds;
  for (const kind of nested.kinds) kinds.add(kind);
  if (nested.planned) {
    into.planned ??= new Set();
    for (const kind of nested.planned) into.planned.add(kind);
  }
  for (const table of nested.tables) into.tables.add(table);
  for (const name of nested.functions) into.functions.add(name);
  for (const name of nested.dangerous) into.dangerous.add(name);
  for (const group of nested.groups) into.groups.add(group);
  for (const [key, routine] of nested.routines) into.routines.set(key, routine);
  into.settings.push(...nested.settings);
  if (nested.roleChange) into.roleChange = true;
  if (planned) return;
  into.uses.push(...nested.uses);
  for (const unknown of nested.unknown) addUnknown(into, unknown);
  if (nested.prepared !== undefined) {
    addUnknown(into, {
      reason: 'prepared-in-code',
      message: `runs prepared statement ${nested.prepared} from inside code, which the gateway cannot follow`,
    });
  }
}
