import { BARE_FIELD_TYPES } from './ast-fields.js';
import { DANGEROUS_OPERATIONS, isDangerousFunction } from './dangerous.js';
import { isStatementTag, statementKinds } from './statement-kinds.js';
import type { CopyInfo, StatementKind } from './types.js';
import { type AstObject, asArray, isObject, stringParts, unwrap } from './ast.js';

/** What one walk of a statement's parse tree found. */
export interface Findings {
  kinds: Set<StatementKind>;
  planned: Set<StatementKind> | undefined;
  tables: Set<string>;
  functions: Set<string>;
  dangerous: Set<string>;
  opaque: boolean;
  roleChange: boolean;
  copy: CopyInfo | undefined;
  prepared: string | undefined;
}

type Scope = ReadonlySet<string>;

const NO_CTES: Scope = new Set();
/** Statements whose `relation` is a target: PostgreSQL never resolves it to a CTE (setTargetTable). */
const DML_TAGS = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);
/** DROP object types that name a relation (a List of name parts). */
const DROPPED_RELATIONS = new Set([
  'OBJECT_TABLE',
  'OBJECT_VIEW',
  'OBJECT_MATVIEW',
  'OBJECT_SEQUENCE',
  'OBJECT_FOREIGN_TABLE',
  'OBJECT_INDEX',
]);
/** DROP object types named `relation parts…, own name`: the relation is touched. */
const DROPPED_ON_RELATION = new Set(['OBJECT_TRIGGER', 'OBJECT_RULE', 'OBJECT_POLICY']);
const MERGE_ACTIONS: Record<string, StatementKind> = {
  CMD_INSERT: 'insert',
  CMD_UPDATE: 'update',
  CMD_DELETE: 'delete',
};

/**
 * Walks every field of every node of one statement's parse tree, so that no
 * relation, function call or nested statement is missed whatever position it
 * is in (DEFAULT expressions, LATERAL, RETURNING, CHECK, rule actions…).
 */
export function walkStatement(tag: string, node: AstObject): Findings {
  const walker = new Walker();
  walker.visit(tag, node, NO_CTES);
  return walker.found;
}

class Walker {
  readonly found: Findings = {
    kinds: new Set(),
    planned: undefined,
    tables: new Set(),
    functions: new Set(),
    dangerous: new Set(),
    opaque: false,
    roleChange: false,
    copy: undefined,
    prepared: undefined,
  };
  /** Where kinds go: `found.kinds`, or `found.planned` under a plain EXPLAIN. */
  private sink = this.found.kinds;
  private nested = false;

  visit(tag: string, node: AstObject, ctes: Scope): void {
    if (tag === 'RangeVar') this.relation(node, ctes);
    else if (tag === 'FuncCall') this.call(node);
    else if (tag === 'MergeWhenClause') this.add(MERGE_ACTIONS[String(node.commandType)]);
    else if (tag === 'LockingClause') return; // lockedRels are aliases (FOR UPDATE OF c), not relations

    if (isStatementTag(tag)) {
      const nested = this.nested;
      this.nested = true;
      this.statement(tag, node, nested);
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
    if (Array.isArray(value)) {
      for (const item of value) this.value(item, type, ctes);
      return;
    }
    if (!isObject(value)) return;
    if (type !== undefined) return this.visit(type, value, ctes);
    const keys = Object.keys(value);
    const only = keys.length === 1 ? keys[0] : undefined;
    // A wrapped node is `{ "TypeName": {...} }`; field names are never capitalised.
    if (only !== undefined && /^[A-Z]/.test(only) && isObject(value[only])) {
      return this.visit(only, value[only], ctes);
    }
    this.visit('', value, ctes);
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

  private statement(tag: string, node: AstObject, nested: boolean): void {
    const found = this.found;
    if (tag === 'SelectStmt') {
      if (node.intoClause) this.add('ddl'); // SELECT … INTO creates a table
      // VALUES under INSERT supplies rows; it reads nothing by itself.
      if (!(nested && node.valuesLists)) this.add('select');
      if (node.lockingClause) this.add('lock');
      return;
    }
    // SET nested in ALTER SYSTEM/DATABASE/ROLE … SET configures, it does not change this session.
    if (nested && tag === 'VariableSetStmt') return;
    // RETURN in a BEGIN ATOMIC body only yields a value; subqueries in it count by themselves.
    if (nested && tag === 'ReturnStmt') return;
    for (const kind of statementKinds(tag)) this.add(kind);
    switch (tag) {
      case 'CopyStmt':
        this.copy(node);
        break;
      case 'DoStmt':
        found.opaque = true;
        break;
      case 'CreateFunctionStmt':
        // AS '…' is a body in some language, kept as a string; BEGIN ATOMIC is parsed (sql_body).
        if (asArray(node.options).some((o) => unwrap(o, 'DefElem')?.defname === 'as')) {
          found.opaque = true;
        }
        break;
      case 'VariableSetStmt':
        if (node.name === 'role' || node.name === 'session_authorization') found.roleChange = true;
        if (node.kind === 'VAR_RESET_ALL') found.roleChange = true;
        break;
      case 'DiscardStmt':
        if (node.target === 'DISCARD_ALL') found.roleChange = true; // includes SET SESSION AUTHORIZATION DEFAULT
        break;
      case 'ExecuteStmt':
        found.prepared = String(node.name ?? '');
        break;
      case 'DropStmt':
        this.dropped(node);
        break;
      case 'AlterTableStmt':
        if (
          asArray(node.cmds).some((c) => unwrap(c, 'AlterTableCmd')?.subtype === 'AT_DropColumn')
        ) {
          this.add('drop');
        }
        break;
      case 'LoadStmt':
        found.dangerous.add(DANGEROUS_OPERATIONS.load);
        break;
      case 'AlterSystemStmt':
        found.dangerous.add(DANGEROUS_OPERATIONS.alterSystem);
        break;
    }
  }

  private copy(node: AstObject): void {
    const program = node.is_program === true;
    const serverFile = !program && typeof node.filename === 'string';
    const direction = node.is_from === true ? 'in' : 'out';
    this.found.copy = { direction, program, serverFile };
    // COPY FROM inserts rows and COPY t TO reads them: rules on insert/select must see that.
    if (direction === 'in') this.add('insert');
    else if (node.relation) this.add('select');
    if (program) this.found.dangerous.add(DANGEROUS_OPERATIONS.copyProgram);
    if (serverFile) this.found.dangerous.add(DANGEROUS_OPERATIONS.copyFile);
  }

  private dropped(node: AstObject): void {
    const type = String(node.removeType);
    const relation = DROPPED_RELATIONS.has(type);
    if (!relation && !DROPPED_ON_RELATION.has(type)) return;
    for (const object of asArray(node.objects)) {
      const parts = stringParts(unwrap(object, 'List')?.items);
      if (!relation) parts.pop();
      if (parts.length > 0) this.found.tables.add(qualifiedName(parts));
    }
  }

  private relation(node: AstObject, ctes: Scope): void {
    const name = typeof node.relname === 'string' ? node.relname : '';
    if (node.schemaname === undefined && node.catalogname === undefined && ctes.has(name)) return;
    const parts = [node.catalogname, node.schemaname, name].filter(
      (p): p is string => typeof p === 'string' && p !== '',
    );
    this.found.tables.add(qualifiedName(parts));
  }

  private call(node: AstObject): void {
    const parts = stringParts(node.funcname);
    const name = qualifiedName(parts);
    this.found.functions.add(name);
    const own = parts.at(-1);
    if (own !== undefined && isDangerousFunction(own)) this.found.dangerous.add(name);
  }

  private add(kind: StatementKind | undefined): void {
    if (kind !== undefined) this.sink.add(kind);
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

/** Name parts joined by dots; a part holding a dot or a quote is quoted so the result parses back. */
export function qualifiedName(parts: readonly string[]): string {
  return parts.map((p) => (/[."]/.test(p) ? `"${p.replaceAll('"', '""')}"` : p)).join('.');
}
