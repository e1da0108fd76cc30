import type { ColumnUse, ColumnUseKind, UseSource } from '../enforcement/index.js';
import {
  type AstObject,
  asArray,
  asObject,
  isObject,
  qualifiedName,
  stringParts,
  unwrap,
} from './ast.js';
import { TRANSPARENT_FUNCTIONS } from './lineage-functions.js';
import {
  findItems,
  type Item,
  type Rel,
  ROOT,
  type Scope,
  type Sources,
  tableItem,
  tagged,
  Tracer,
} from './lineage.js';

/**
 * The uses of columns other than output in one statement (see
 * {@link ColumnUse}): what it writes where a later read is not masked,
 * which columns decide its rows (predicates), order them, or are renamed
 * and altered. Computed from the parse tree with the lineage tracer's
 * scopes, so `c.ssn` is the `ssn` of the table `c` stands for; protocol-
 * neutral, and cached with the classification. Which of these columns are
 * masked is policy's to say (`policy/masked-uses.ts`).
 *
 * `code`: the statement is inside procedural code (a DO block, a function
 * body, SQL run from a string): every column it reads, in any position, is
 * a `code` use, the value being beyond what the gateway can follow.
 */
export function statementUses(tag: string, node: AstObject, code = false): ColumnUse[] {
  const tracer = new UseTracer(code);
  tracer.statement(tag, node);
  return [...tracer.uses.values()];
}

/**
 * The uses of a statement run as code (a function body the gateway read
 * from the catalog): what it returns and every other use count as `code`.
 */
export function usesAsCode(
  uses: readonly ColumnUse[],
  lineage:
    | readonly (
        { kind: 'star'; table: string } | { kind: 'value'; sources: readonly UseSource[] }
      )[]
    | null,
  where: string,
): ColumnUse[] {
  const sources: UseSource[] = uses.flatMap((use) => use.sources);
  for (const output of lineage ?? []) {
    if (output.kind === 'star') sources.push({ kind: 'row', table: output.table });
    else sources.push(...output.sources);
  }
  return sources.length === 0 ? [] : [{ use: 'code', what: where, sources }];
}

/** Planner statistics: they hold sample values of every analysed column. */
const STATISTICS = new Set([
  'pg_stats',
  'pg_statistic',
  'pg_stats_ext',
  'pg_stats_ext_exprs',
  'pg_statistic_ext_data',
]);

/** Whether a relation name is one of the planner's statistics (any schema, as `pg_catalog` is searched first). */
export function isStatistics(table: string): boolean {
  return STATISTICS.has(table.split('.').at(-1) ?? '');
}

/**
 * ALTER TABLE subcommands that make the table's rows readable under
 * another name or shape, or let code or conditions run over them; adding a
 * plain column, a default or an index does neither.
 */
const TABLE_ALTERATIONS = new Set([
  'AT_AddInherit',
  'AT_DropInherit',
  'AT_AddOf',
  'AT_DropOf',
  'AT_EnableRowSecurity',
  'AT_ForceRowSecurity',
  'AT_EnableTrig',
  'AT_EnableAlwaysTrig',
  'AT_EnableReplicaTrig',
  'AT_EnableTrigAll',
  'AT_EnableTrigUser',
  'AT_EnableRule',
  'AT_EnableAlwaysRule',
  'AT_EnableReplicaRule',
  'AT_SetAccessMethod',
  'AT_SetLogged',
  'AT_SetUnLogged',
]);

const DML_TAGS = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);

/** Set-returning functions: an argument decides how many rows come back. */
const SET_RETURNING = new Set([
  'generate_series',
  'generate_subscripts',
  'unnest',
  'regexp_matches',
  'regexp_split_to_table',
  'string_to_table',
  'json_array_elements',
  'json_array_elements_text',
  'jsonb_array_elements',
  'jsonb_array_elements_text',
  'json_each',
  'json_each_text',
  'jsonb_each',
  'jsonb_each_text',
  'json_object_keys',
  'jsonb_object_keys',
  'jsonb_path_query',
  'json_to_recordset',
  'jsonb_to_recordset',
  'json_populate_recordset',
  'jsonb_populate_recordset',
]);

/** Functions that compare their arguments: the result tells their order. */
const COMPARING = new Set([
  'min',
  'max',
  'greatest',
  'least',
  'mode',
  'percentile_disc',
  'percentile_cont',
]);

/** Functions that fail for some values of an argument (a divisor of zero): the error is an answer. */
const FAILING = new Set(['mod', 'div']);

const ANY: UseSource = { kind: 'any' };

class UseTracer extends Tracer {
  readonly uses = new Map<string, ColumnUse>();
  /** Inside a read whose parts are heard elsewhere: hear nothing. */
  private quiet = 0;

  constructor(private readonly code: boolean) {
    super();
  }

  /** Dispatches on the statement's type. */
  statement(tag: string, node: AstObject, outer: Scope = ROOT): void {
    switch (tag) {
      case 'SelectStmt': {
        const rel = this.select(node, ROOT);
        if (node.intoClause) this.add('write', 'SELECT … INTO a new table', rel.all.values());
        if (this.code) this.add('code', 'procedural code', rel.all.values());
        return;
      }
      case 'InsertStmt':
        return this.insert(node, outer);
      case 'UpdateStmt':
      case 'DeleteStmt':
      case 'MergeStmt':
        return this.modify(tag, node, outer);
      case 'CreateTableAsStmt': {
        const what =
          node.objtype === 'OBJECT_MATVIEW' ? 'CREATE MATERIALIZED VIEW' : 'CREATE TABLE … AS';
        return this.query(node.query, what);
      }
      case 'ViewStmt':
        return this.query(node.query, 'CREATE VIEW');
      case 'CopyStmt':
        return this.copy(node);
      case 'DeclareCursorStmt':
        return this.cursor(node.query);
      case 'PrepareStmt':
      case 'ExplainStmt': {
        const [inner, innerNode] = tagged(node.query);
        return this.statement(inner, innerNode);
      }
      case 'RuleStmt': {
        this.table('alter', 'CREATE RULE on', node.relation);
        for (const action of asArray(node.actions)) {
          const [inner, innerNode] = tagged(action);
          this.statement(inner, innerNode);
        }
        this.expr(node.whereClause, {
          items: [tableItem(asObject(node.relation))],
          ctes: new Map(),
          parent: ROOT,
        });
        return;
      }
      case 'CreateFunctionStmt': {
        // BEGIN ATOMIC / RETURN bodies are in the tree (string bodies are nested code).
        const body = asArray(unwrap(node.sql_body, 'List')?.items);
        const tracer = new UseTracer(true);
        for (const part of body.flatMap((item) => asArray(unwrap(item, 'List')?.items ?? [item]))) {
          const [inner, innerNode] = tagged(part);
          if (inner === 'ReturnStmt') tracer.expr(innerNode.returnval, ROOT);
          else tracer.statement(inner, innerNode);
        }
        for (const [key, use] of tracer.uses) this.uses.set(key, use);
        return;
      }
      default:
        return this.schema(tag, node);
    }
  }

  /** Renames, alterations and statistics of a table or column. */
  private schema(tag: string, node: AstObject): void {
    switch (tag) {
      case 'RenameStmt': {
        if (node.renameType === 'OBJECT_COLUMN' && typeof node.subname === 'string') {
          this.column('alter', 'a rename of', node.relation, node.subname);
        } else if (isObject(node.relation)) this.table('alter', 'a rename of', node.relation);
        return;
      }
      case 'AlterTableStmt': {
        // Expressions over the table's columns: a USING, a generated column, a CHECK.
        const own: Scope = {
          items: [tableItem(asObject(node.relation))],
          ctes: new Map(),
          parent: ROOT,
        };
        for (const command of asArray(node.cmds)) {
          const cmd = unwrap(command, 'AlterTableCmd') ?? {};
          const subtype = String(cmd.subtype);
          const [defTag, def] = tagged(cmd.def);
          if (subtype === 'AT_AlterColumnType' && typeof cmd.name === 'string') {
            this.column('alter', 'ALTER COLUMN … TYPE of', node.relation, cmd.name);
            this.add(
              'write',
              'ALTER COLUMN … TYPE … USING',
              this.expr(def.raw_default, own).values(),
            );
          } else if (TABLE_ALTERATIONS.has(subtype)) {
            this.table('alter', `ALTER TABLE (${subtype.slice(3)}) of`, node.relation);
          }
          if (defTag === 'PartitionCmd') this.table('alter', 'ATTACH PARTITION of', def.name);
          const constraints = [
            ...(defTag === 'Constraint' ? [cmd.def] : []),
            ...asArray(def.constraints),
          ].map((c) => unwrap(c, 'Constraint') ?? {});
          for (const constraint of constraints) {
            const sources = this.expr(constraint.raw_expr, own).values();
            if (constraint.contype === 'CONSTR_GENERATED')
              this.add('write', 'a generated column', sources);
            else this.condition(constraint.raw_expr, own, 'CHECK');
          }
        }
        return;
      }
      case 'AlterObjectSchemaStmt':
        if (isObject(node.relation)) this.table('alter', 'SET SCHEMA of', node.relation);
        return;
      case 'CreateTrigStmt':
        return this.table('alter', 'CREATE TRIGGER on', node.relation);
      case 'CreatePolicyStmt':
      case 'AlterPolicyStmt':
        return this.table('alter', 'a row-security policy on', node.table);
      case 'CreateStmt': {
        for (const parent of asArray(node.inhRelations)) {
          this.table(
            'alter',
            node.partbound ? 'PARTITION OF' : 'INHERITS',
            unwrap(parent, 'RangeVar'),
          );
        }
        for (const element of asArray(node.tableElts)) {
          const like = unwrap(element, 'TableLikeClause');
          if (like) this.table('alter', 'CREATE TABLE … (LIKE …)', like.relation);
        }
        return;
      }
      case 'VacuumStmt': {
        const analyze =
          node.is_vacuumcmd !== true ||
          asArray(node.options).some((o) => unwrap(o, 'DefElem')?.defname === 'analyze');
        if (!analyze) return;
        const rels = asArray(node.rels);
        const what = 'ANALYZE, which copies sample values into pg_stats, of';
        if (rels.length === 0) this.add('write', what, [ANY]);
        for (const rel of rels) this.table('write', what, unwrap(rel, 'VacuumRelation')?.relation);
        return;
      }
      default:
    }
  }

  private insert(node: AstObject, outer: Scope): void {
    const scope = this.with(node.withClause, outer);
    const target = describe(node.relation);
    const [tag, select] = tagged(node.selectStmt);
    if (tag === 'SelectStmt') {
      this.add('write', `INSERT into ${target}`, this.select(select, scope).all.values());
    }
    const conflict = asObject(node.onConflictClause);
    const inner: Scope = {
      items: [tableItem(asObject(node.relation))],
      ctes: scope.ctes,
      parent: scope,
    };
    for (const entry of asArray(conflict.targetList)) {
      const set = unwrap(entry, 'ResTarget') ?? {};
      this.add('write', `ON CONFLICT … SET of ${target}`, this.expr(set.val, inner).values());
    }
    this.condition(conflict.whereClause, inner, 'ON CONFLICT … WHERE');
    if (asArray(node.returningList).length > 0) this.dml('InsertStmt', node);
  }

  /** UPDATE, DELETE and MERGE: the target and the other FROM items are in scope. */
  private modify(tag: string, node: AstObject, outer: Scope): void {
    const around = this.with(node.withClause, outer);
    const items: Item[] = [tableItem(asObject(node.relation))];
    const scope: Scope = { items, ctes: around.ctes, parent: around };
    const others =
      tag === 'UpdateStmt'
        ? asArray(node.fromClause)
        : tag === 'DeleteStmt'
          ? asArray(node.usingClause)
          : [node.sourceRelation];
    for (const other of others) items.push(this.fromItem(other, scope));
    const target = describe(node.relation);
    const verb = tag === 'UpdateStmt' ? 'UPDATE' : tag === 'DeleteStmt' ? 'DELETE' : 'MERGE';
    for (const entry of asArray(node.targetList)) {
      const set = unwrap(entry, 'ResTarget') ?? {};
      this.add('write', `UPDATE … SET of ${target}`, this.expr(set.val, scope).values());
    }
    this.condition(node.whereClause, scope, `${verb} … WHERE`);
    this.condition(node.joinCondition, scope, 'MERGE … ON');
    for (const clause of asArray(node.mergeWhenClauses)) {
      const when = unwrap(clause, 'MergeWhenClause') ?? {};
      this.condition(when.condition, scope, 'MERGE … WHEN … AND');
      const values = [
        ...asArray(when.targetList).map((t) => unwrap(t, 'ResTarget')?.val),
        ...asArray(when.values),
      ];
      this.add('write', `MERGE into ${target}`, this.expr(values, scope).values());
    }
    if (asArray(node.returningList).length > 0) this.dml(tag, node);
  }

  /** A query whose rows are stored (CREATE TABLE AS, a view, COPY to a file). */
  private query(query: unknown, what: string): void {
    const [tag, node] = tagged(query);
    if (tag === 'SelectStmt') this.add('write', what, this.select(node, ROOT).all.values());
    else if (tag === 'ExecuteStmt') return;
    else {
      // INSERT/UPDATE/DELETE … RETURNING (COPY (DML RETURNING) TO): its rows are stored.
      this.statement(tag, node);
      if (asArray(node.returningList).length > 0) {
        this.add('write', what, this.dml(tag, node).all.values());
      }
    }
  }

  /**
   * COPY (query): the query's predicates and ordering count. Where its rows
   * go is the relay's to decide: while a mask applies, a COPY to a file or a
   * program is refused there (its rows cannot be masked), and COPY TO
   * STDOUT is masked like a result.
   */
  private copy(node: AstObject): void {
    const [tag, inner] = tagged(node.query);
    if (tag !== '') this.statement(tag, inner);
  }

  /**
   * DECLARE … CURSOR: a FETCH returns its rows with no statement to trace,
   * so only table columns (which the row description names) and `*` over
   * tables are masked there: a cursor over a value derived from a column is
   * decided here, as a write.
   */
  private cursor(query: unknown): void {
    const [tag, node] = tagged(query);
    if (tag !== 'SelectStmt') return;
    const rel = this.select(node, ROOT);
    const simple = node.op === undefined || node.op === 'SETOP_NONE';
    if (!simple || Array.isArray(node.valuesLists)) {
      this.add('write', 'a cursor, whose FETCH cannot be traced', rel.all.values());
      return;
    }
    this.quiet++;
    try {
      const scope = this.from(asArray(node.fromClause), this.with(node.withClause, ROOT));
      for (const entry of asArray(node.targetList)) {
        const value = unwrap(entry, 'ResTarget')?.val;
        const fields = asArray(unwrap(value, 'ColumnRef')?.fields);
        if (fields.length > 0 && this.direct(fields, scope)) continue;
        const sources = [...this.expr(value, scope).values()];
        // `*` over tables: every column keeps its table in the row description.
        if (fields.length > 0 && sources.every((s) => s.kind === 'row')) continue;
        this.add('write', 'a cursor over a derived value, whose FETCH cannot be traced', sources);
      }
    } finally {
      this.quiet--;
    }
  }

  // --- hooks from the tracer ---

  /** WITH: a data-modifying CTE (in a SELECT too) writes and tests like a statement of its own. */
  protected override with(clause: unknown, outer: Scope): Scope {
    const scope = super.with(clause, outer);
    if (this.quiet > 0) return scope;
    for (const cte of asArray(asObject(clause).ctes)) {
      const [tag, node] = tagged(unwrap(cte, 'CommonTableExpr')?.ctequery);
      if (DML_TAGS.has(tag)) this.statement(tag, node, scope);
    }
    return scope;
  }

  protected override clauses(node: AstObject, scope: Scope, result: Rel): void {
    if (this.quiet > 0) return;
    this.condition(node.whereClause, scope, 'WHERE');
    this.condition(node.havingClause, scope, 'HAVING');
    const outputs = result.outputs ?? [];
    const byOutput = (value: unknown): Sources => {
      const sources = this.loud(value, scope);
      const [tag, inner] = tagged(value);
      const position = tag === 'A_Const' ? unwrap(inner, 'ival')?.ival : undefined;
      if (typeof position === 'number') {
        for (const [k, v] of outputs[position - 1]?.sources ?? []) sources.set(k, v);
        if (!result.outputs) for (const [k, v] of result.all) sources.set(k, v);
      }
      const name = stringParts(inner.fields);
      if (tag === 'ColumnRef' && name.length === 1) {
        for (const output of outputs) {
          if (output.name === name[0]) for (const [k, v] of output.sources) sources.set(k, v);
        }
      }
      return sources;
    };
    for (const sort of asArray(node.sortClause)) {
      this.add('order', 'ORDER BY', byOutput(unwrap(sort, 'SortBy')?.node).values());
    }
    for (const group of asArray(node.groupClause)) {
      this.add('order', 'GROUP BY', byOutput(group).values());
    }
    for (const distinct of asArray(node.distinctClause)) {
      if (isObject(distinct) && Object.keys(distinct).length > 0) {
        this.add('order', 'DISTINCT ON', byOutput(distinct).values());
      } else {
        // Plain DISTINCT compares whole output rows: how many come back tells which are equal.
        this.add('order', 'SELECT DISTINCT', result.all.values());
      }
    }
    // INTERSECT, EXCEPT and UNION without ALL compare rows of both sides: the rows left tell equality.
    if (node.op !== undefined && node.op !== 'SETOP_NONE' && node.all !== true) {
      this.add('predicate', `${String(node.op).slice(6)} (it compares rows)`, result.all.values());
    }
    for (const window of asArray(node.windowClause))
      this.window(unwrap(window, 'WindowDef'), scope);
    const limits = [node.limitCount, node.limitOffset].filter((v) => v !== undefined);
    if (limits.length > 0)
      this.add('predicate', 'LIMIT or OFFSET', this.loud(limits, scope).values());
    if (this.code) this.add('code', 'procedural code', result.all.values());
  }

  protected override joined(node: AstObject, scope: Scope): void {
    if (this.quiet > 0) return;
    this.condition(node.quals, scope, 'JOIN … ON');
    for (const name of stringParts(node.usingClause)) {
      this.add(
        'predicate',
        'JOIN … USING',
        this.quietly({ ColumnRef: { fields: [{ String: { sval: name } }] } }, scope).values(),
      );
    }
    if (node.isNatural === true) {
      this.add(
        'predicate',
        'NATURAL JOIN',
        this.quietly({ ColumnRef: { fields: [{ A_Star: {} }] } }, scope).values(),
      );
    }
  }

  protected override functionArguments(_node: AstObject, args: Sources): void {
    if (this.quiet > 0) return;
    this.add('predicate', 'the arguments of a function in FROM (its row count)', args.values());
  }

  protected override expression(tag: string, node: AstObject, scope: Scope): void {
    if (this.quiet > 0) return;
    switch (tag) {
      case 'CaseExpr': {
        const tests = [node.arg, ...asArray(node.args).map((w) => unwrap(w, 'CaseWhen')?.expr)];
        this.add('predicate', 'a CASE condition', this.quietly(tests, scope).values());
        return;
      }
      case 'MinMaxExpr':
        this.add('order', 'GREATEST or LEAST', this.quietly(node.args, scope).values());
        return;
      case 'A_Expr': {
        const operator = stringParts(node.name).at(-1);
        if (node.kind === 'AEXPR_NULLIF') {
          this.add('predicate', 'NULLIF', this.quietly([node.lexpr, node.rexpr], scope).values());
        } else if (node.kind === 'AEXPR_OP' && (operator === '/' || operator === '%')) {
          this.add(
            'predicate',
            'a divisor (division by zero fails)',
            this.quietly(node.rexpr, scope).values(),
          );
        }
        return;
      }
      case 'FuncCall':
        return this.call(node, scope);
      default:
    }
  }

  protected override columnRef(fields: unknown[], scope: Scope): Sources {
    const found = super.columnRef(fields, scope);
    if (!this.code || !found.has('u')) return found;
    // In procedural code a name may be a record's field (`NEW.ssn`, `r.ssn`): its column part counts.
    const name = unwrap(fields.at(-1), 'String')?.sval;
    // Carried as a column of no table; `add` makes it a `named` source.
    if (typeof name === 'string')
      found.set(`n:${name}`, { kind: 'column', table: '', column: name });
    return found;
  }

  private call(node: AstObject, scope: Scope): void {
    const parts = stringParts(node.funcname);
    const own = parts.at(-1) ?? '';
    const builtin = parts.length === 1 || (parts.length === 2 && parts[0] === 'pg_catalog');
    const args = this.quietly(node.args, scope);
    if (!builtin || !TRANSPARENT_FUNCTIONS.has(own)) {
      this.add('write', `an argument of ${qualifiedName(parts)}()`, args.values());
    } else if (SET_RETURNING.has(own)) {
      this.add('predicate', `an argument of ${own}() (its row count)`, args.values());
    } else if (COMPARING.has(own)) {
      this.add('order', `${own}()`, args.values());
    } else if (FAILING.has(own)) {
      this.add('predicate', `an argument of ${own}() (it fails on zero)`, args.values());
    }
    if (node.agg_distinct === true) this.add('order', `${own}(DISTINCT …)`, args.values());
    const order = asArray(node.agg_order).map((s) => unwrap(s, 'SortBy')?.node);
    if (order.length > 0)
      this.add('order', `${own}(… ORDER BY …)`, this.quietly(order, scope).values());
    this.condition(node.agg_filter, scope, 'FILTER (WHERE …)', false);
    this.window(asObject(node.over), scope);
  }

  private window(def: AstObject | undefined, scope: Scope): void {
    if (!def) return;
    const parts = [
      ...asArray(def.partitionClause),
      ...asArray(def.orderClause).map((s) => unwrap(s, 'SortBy')?.node),
    ];
    if (parts.length > 0)
      this.add('order', 'a window PARTITION BY or ORDER BY', this.quietly(parts, scope).values());
  }

  /**
   * A condition deciding which rows come back: each conjunct or disjunct
   * that is not equality of a table's column with a constant or a
   * parameter (or IS [NOT] NULL of one) is a predicate over what it reads.
   * `trace` also hears its parts (subqueries' own clauses, CASE…), unless
   * the tracer already does.
   */
  private condition(value: unknown, scope: Scope, where: string, trace = true): void {
    if (value === undefined || value === null) return;
    if (trace) this.loud(value, scope);
    this.terms(value, scope, where);
  }

  private terms(value: unknown, scope: Scope, where: string): void {
    const [tag, node] = tagged(value);
    if (tag === 'BoolExpr') {
      for (const arg of asArray(node.args)) this.terms(arg, scope, where);
      return;
    }
    if (!this.code && this.harmless(tag, node, scope)) return;
    this.add(
      'predicate',
      `a ${where} condition other than equality with a constant`,
      this.quietly(value, scope).values(),
    );
  }

  /** `col = constant`, `constant = col`, `col IS [NOT] NULL`, the column a table's own. */
  private harmless(tag: string, node: AstObject, scope: Scope): boolean {
    if (tag === 'NullTest') return this.bare(node.arg, scope);
    if (tag !== 'A_Expr' || node.kind !== 'AEXPR_OP') return false;
    const name = stringParts(node.name);
    if (name.length !== 1 || name[0] !== '=') return false;
    return (
      (this.bare(node.lexpr, scope) && constant(node.rexpr)) ||
      (this.bare(node.rexpr, scope) && constant(node.lexpr))
    );
  }

  private bare(value: unknown, scope: Scope): boolean {
    const fields = asArray(unwrap(value, 'ColumnRef')?.fields);
    return fields.length > 0 && this.direct(fields, scope);
  }

  /** A column reference that can only name a column of a table (not of a subquery, CTE or function). */
  private direct(fields: unknown[], scope: Scope): boolean {
    const names = fields.map((f) => unwrap(f, 'String')?.sval);
    if (names.some((n) => typeof n !== 'string')) return false;
    const parts = names as string[];
    const column = parts.at(-1)!;
    if (parts.length === 1) {
      for (let level: Scope | undefined = scope; level; level = level.parent) {
        for (const item of level.items) {
          if (item.refname === column || !tablesOnly(item, column)) return false;
        }
      }
      return true;
    }
    const items = findItems(scope, parts.slice(0, -1));
    return items.length > 0 && items.every((item) => tablesOnly(item, column));
  }

  // --- recording ---

  private add(use: ColumnUseKind, what: string, sources: Iterable<UseSource>): void {
    const list = [...sources].flatMap((s): UseSource[] =>
      s.kind === 'unknown'
        ? []
        : s.kind === 'column' && s.table === ''
          ? [{ kind: 'named', column: s.column }]
          : [s],
    );
    if (list.length === 0) return;
    const kind: ColumnUseKind = this.code ? 'code' : use;
    const label = this.code ? 'procedural code' : what;
    const key = `${kind}\0${label}`;
    const known = this.uses.get(key);
    const merged = known ? [...known.sources, ...list] : list;
    const unique = new Map(merged.map((s) => [JSON.stringify(s), s]));
    this.uses.set(key, { use: kind, what: label, sources: [...unique.values()] });
  }

  private table(use: ColumnUseKind, what: string, relation: unknown): void {
    const node = asObject(relation);
    if (typeof node.relname !== 'string') return;
    this.add(use, `${what} ${describe(node)}`, [{ kind: 'row', table: tableName(node) }]);
  }

  private column(use: ColumnUseKind, what: string, relation: unknown, column: string): void {
    const node = asObject(relation);
    if (typeof node.relname !== 'string') return;
    const table = tableName(node);
    this.add(use, `${what} ${table}.${column}`, [{ kind: 'column', table, column }]);
  }

  /** Sources of an expression whose parts are heard elsewhere. */
  private quietly(value: unknown, scope: Scope): Sources {
    this.quiet++;
    try {
      return this.expr(value, scope);
    } finally {
      this.quiet--;
    }
  }

  /** Sources of an expression, hearing its parts (subqueries' clauses, CASE, calls). */
  private loud(value: unknown, scope: Scope): Sources {
    return this.expr(value, scope);
  }
}

/** The item provides column `name` only as a table's own column (or not at all). */
function tablesOnly(item: Item, name: string): boolean {
  switch (item.kind) {
    case 'table':
      return true;
    case 'join':
      return item.children.every((child) => tablesOnly(child, name));
    case 'derived': {
      const { outputs, opaqueNames } = item.rel;
      if (!outputs || opaqueNames) return false;
      // A `*` over a table keeps the table's columns; a named output may be any expression.
      return outputs.every((o) => o.star !== undefined || o.name !== name);
    }
  }
}

/** A constant or a bound parameter, maybe cast. */
function constant(value: unknown): boolean {
  const [tag, node] = tagged(value);
  if (tag === 'A_Const' || tag === 'ParamRef') return true;
  return tag === 'TypeCast' && constant(node.arg);
}

function tableName(node: AstObject): string {
  const parts = [node.catalogname, node.schemaname, node.relname].filter(
    (p): p is string => typeof p === 'string' && p !== '',
  );
  return qualifiedName(parts);
}

function describe(relation: unknown): string {
  return tableName(asObject(relation));
}
