import { BARE_FIELD_TYPES } from './ast-fields.js';
import { type AstObject, asArray, isObject, qualifiedName, stringParts, unwrap } from './ast.js';
import {
  addFunction,
  addRoutine,
  addUnknown,
  type Findings,
  type NestedCodeBody,
  newFindings,
} from './findings.js';
import { functionEffect } from './function-effects.js';
import { SqlLimitExceeded } from './limits.js';
import { setConfigChange, isSettingFunction } from './settings.js';
import { regclassName, sqlArgument } from './sql-functions.js';
import { settingEffects, statementEffects, type StatementSink } from './statement-effects.js';
import { isStatementTag } from './statement-kinds.js';
import type { RoutineRef, StatementKind } from './types.js';

export { qualifiedName } from './ast.js';
export type { Findings } from './findings.js';

type Scope = ReadonlySet<string>;

const NO_CTES: Scope = new Set();
/** Statements whose `relation` is a target: PostgreSQL never resolves it to a CTE (setTargetTable). */
const DML_TAGS = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);
const MERGE_ACTIONS: Record<string, StatementKind> = {
  CMD_INSERT: 'insert',
  CMD_UPDATE: 'update',
  CMD_DELETE: 'delete',
};
/** A_Expr kinds whose `name` is a keyword, not an operator (BETWEEN and its variants). */
const KEYWORD_EXPRESSIONS = new Set([
  'AEXPR_BETWEEN',
  'AEXPR_NOT_BETWEEN',
  'AEXPR_BETWEEN_SYM',
  'AEXPR_NOT_BETWEEN_SYM',
]);

/** Settings that change who the session acts as (and `*`, a name not known here). */
const ROLE_SETTINGS = new Set(['role', 'session_authorization', '*']);

export interface WalkOptions {
  /** Nesting of objects and lists before the walk refuses the tree (`maxDepth`). */
  maxDepth: number;
  /** Objects the walk may visit before it refuses the tree (what is left of `maxNodes`). */
  maxNodes: number;
  /** The statement is a PL/pgSQL expression read as `SELECT <expression>` (see `plpgsql.ts`). */
  expression?: boolean;
}

const UNLIMITED: WalkOptions = { maxDepth: Infinity, maxNodes: Infinity };

/**
 * Walks every field of every node of one statement's parse tree, so that no
 * relation, function call or nested statement is missed whatever position it
 * is in (DEFAULT expressions, LATERAL, RETURNING, CHECK, rule actions…).
 *
 * @returns the findings and how many objects the tree holds.
 * @throws SqlLimitExceeded when the tree is deeper or larger than `limits` allow.
 */
export function walkStatement(
  tag: string,
  node: AstObject,
  limits: WalkOptions = UNLIMITED,
): Findings & { nodes: number } {
  const walker = new Walker(limits);
  walker.visit(tag, node, NO_CTES);
  settingEffects(walker.found);
  return Object.assign(walker.found, { nodes: walker.nodes });
}

class Walker implements StatementSink {
  readonly found: Findings = newFindings();
  nodes = 0;
  private depth = 0;
  /** Where kinds go: `found.kinds`, or `found.planned` under a plain EXPLAIN. */
  private sink = this.found.kinds;
  private nested = false;
  private root = true;

  readonly expression: boolean;

  constructor(private readonly limits: WalkOptions) {
    this.expression = limits.expression === true;
  }

  get planning(): boolean {
    return this.sink !== this.found.kinds;
  }

  visit(tag: string, node: AstObject, ctes: Scope): void {
    if (++this.nodes > this.limits.maxNodes) {
      throw new SqlLimitExceeded('maxNodes', this.limits.maxNodes);
    }
    if (tag === 'RangeVar') this.relation(node, ctes);
    else if (tag === 'FuncCall') this.call(node);
    else if (tag === 'A_Expr' && !KEYWORD_EXPRESSIONS.has(String(node.kind))) {
      this.operator(node.name);
    } else if (tag === 'SubLink') this.operator(node.operName);
    else if (tag === 'SortBy') this.operator(node.useOp);
    else if (tag === 'MergeWhenClause') this.add(MERGE_ACTIONS[String(node.commandType)]);
    else if (tag === 'LockingClause') return; // lockedRels are aliases (FOR UPDATE OF c), not relations

    if (isStatementTag(tag)) {
      const { nested, root } = this;
      this.nested = true;
      this.root = false;
      statementEffects(this, tag, node, nested, root);
      if (tag === 'ExplainStmt' && !explainExecutes(node)) {
        this.found.planned ??= new Set();
        const sink = this.sink;
        this.sink = this.found.planned;
        this.value(node.query, undefined, ctes);
        this.sink = sink;
        this.value(node.options, undefined, ctes);
        return;
      }
    }

    let inner = ctes;
    if (isObject(node.withClause)) inner = this.with(node.withClause, ctes);
    for (const key of Object.keys(node)) {
      if (key === 'withClause') continue;
      const scope = key === 'relation' && DML_TAGS.has(tag) ? NO_CTES : inner;
      this.value(node[key], BARE_FIELD_TYPES[`${tag}.${key}`], scope);
    }
  }

  private value(value: unknown, type: string | undefined, ctes: Scope): void {
    if (typeof value !== 'object' || value === null) return;
    // Every object and list is a level of the JSON tree, and of this walk's recursion.
    if (++this.depth > this.limits.maxDepth) {
      throw new SqlLimitExceeded('maxDepth', this.limits.maxDepth);
    }
    if (Array.isArray(value)) {
      for (const item of value) this.value(item, type, ctes);
    } else if (type !== undefined) {
      this.visit(type, value as AstObject, ctes);
    } else {
      const object = value as AstObject;
      const keys = Object.keys(object);
      const only = keys.length === 1 ? keys[0] : undefined;
      // A wrapped node is `{ "TypeName": {...} }`; field names are never capitalised.
      if (only !== undefined && /^[A-Z]/.test(only) && isObject(object[only])) {
        this.visit(only, object[only], ctes);
      } else {
        this.visit('', object, ctes);
      }
    }
    this.depth--;
  }

  /** WITH: each CTE sees the ones before it (all of them if RECURSIVE); the statement sees all. */
  private with(clause: AstObject, outer: Scope): Scope {
    const ctes = asArray(clause.ctes).map((cte) => unwrap(cte, 'CommonTableExpr'));
    const names = ctes.map((cte) => String(cte?.ctename ?? ''));
    const all = new Set([...outer, ...names]);
    ctes.forEach((cte, i) => {
      if (!cte) return;
      const scope = clause.recursive ? all : new Set([...outer, ...names.slice(0, i)]);
      this.visit('CommonTableExpr', cte, scope);
    });
    return all;
  }

  private relation(node: AstObject, ctes: Scope): void {
    const name = typeof node.relname === 'string' ? node.relname : '';
    if (node.schemaname === undefined && node.catalogname === undefined && ctes.has(name)) return;
    const parts = [node.catalogname, node.schemaname, name].filter(
      (p): p is string => typeof p === 'string' && p !== '',
    );
    this.found.tables.add(qualifiedName(parts));
  }

  /** A function call: its name and groups, what it does, and any SQL it runs from a string. */
  private call(node: AstObject): void {
    const parts = stringParts(node.funcname);
    const name = qualifiedName(parts);
    const own = parts.at(-1) ?? '';
    addFunction(this.found, name, own);
    this.routine({ name, how: 'call' });
    const effect = functionEffect(own);
    if (effect) {
      for (const kind of effect.kinds) this.add(kind);
      for (const table of effect.tables ?? []) this.found.tables.add(table);
    }
    if (isSettingFunction(own)) {
      const change = setConfigChange(node);
      this.found.settings.push(change);
      // set_config('role', …) is SET ROLE; a name built at run time may be it.
      if (ROLE_SETTINGS.has(change.name)) this.found.roleChange = true;
    }
    const sql = sqlArgument(own, node);
    if (sql?.kind === 'query') this.code({ type: 'sql', sql: sql.sql, origin: `${own}()` });
    else if (sql?.kind === 'table') {
      const table = regclassName(sql.name);
      if (table === undefined) {
        this.unknown(`reads a table named at run time through ${own}()`);
      } else {
        this.found.tables.add(table);
        this.add('select');
      }
    } else if (sql?.kind === 'dynamic') this.unknown(sql.message);
  }

  /** An operator runs the function it is bound to; the catalog knows which. */
  private operator(list: unknown): void {
    const parts = stringParts(list);
    if (parts.length > 0) this.routine({ name: qualifiedName(parts), how: 'operator' });
  }

  add(kind: StatementKind | undefined): void {
    if (kind !== undefined) this.sink.add(kind);
  }

  routine(routine: RoutineRef): void {
    addRoutine(this.found, routine);
  }

  code(code: NestedCodeBody): void {
    this.found.code.push({ ...code, planned: this.planning });
  }

  /** SQL built at run time; under a plain EXPLAIN it is planned, not run. */
  unknown(message: string): void {
    if (!this.planning) addUnknown(this.found, { reason: 'dynamic-sql', message });
  }
}

/**
 * Whether EXPLAIN runs its statement: ANALYZE on, in either syntax
 * (`EXPLAIN ANALYZE`, `EXPLAIN (ANALYZE [true|on|1])`). The argument is read
 * as PostgreSQL's defGetBoolean reads it; anything else counts as true.
 */
function explainExecutes(node: AstObject): boolean {
  return asArray(node.options).some((option) => {
    const def = unwrap(option, 'DefElem');
    if (def?.defname !== 'analyze') return false;
    const text = unwrap(def.arg, 'String')?.sval;
    if (typeof text === 'string') return !['false', 'off'].includes(text.toLowerCase());
    const integer = unwrap(def.arg, 'Integer');
    if (integer) return (integer.ival ?? 0) !== 0; // libpg_query omits a zero ival
    const bool = unwrap(def.arg, 'Boolean');
    if (bool) return bool.boolval === true;
    return true;
  });
}
