import type { LineageSource, OutputLineage } from '../enforcement/index.js';
import { groupsOf } from './function-groups.js';
import { CATALOG_FUNCTIONS, TRANSPARENT_FUNCTIONS } from './lineage-functions.js';
import {
  type AstObject,
  asArray,
  asObject,
  isObject,
  qualifiedName,
  stringParts,
  unwrap,
} from './ast.js';

export type { LineageSource, OutputLineage };

/**
 * Lineage of the outputs of one statement, or `null` when it returns no rows
 * or its output shape cannot be told (EXPLAIN, SHOW, EXECUTE, FETCH, `*` over
 * a join with USING, `(x).*`…): masking then keeps its conservative rule.
 *
 * Over-approximates, never under-approximates: every column reference
 * anywhere in an output expression counts, an unqualified name counts for
 * every table in scope, and a function outside the known built-ins makes the
 * value's lineage unknown.
 */
export function statementLineage(tag: string, node: AstObject): OutputLineage[] | null {
  const tracer = new Tracer();
  let rel: Rel | undefined;
  if (tag === 'SelectStmt') {
    if (node.intoClause) return null; // SELECT … INTO creates a table and returns no rows
    rel = tracer.select(node, ROOT);
  } else if (DML.has(tag)) {
    if (asArray(node.returningList).length === 0) return null;
    rel = tracer.dml(tag, node);
  }
  if (!rel?.outputs) return null;
  return rel.outputs.map((output) =>
    output.star !== undefined
      ? { kind: 'star', table: output.star }
      : {
          kind: 'value',
          ...(output.name !== undefined && Buffer.byteLength(output.name) <= MAX_NAME_BYTES
            ? { name: output.name }
            : {}),
          sources: [...output.sources.values()],
        },
  );
}

/** Sources keyed by a string form, so unions do not repeat. */
export type Sources = Map<string, LineageSource>;

/** PostgreSQL truncates identifiers to NAMEDATALEN - 1 bytes; a longer name is not checked. */
const MAX_NAME_BYTES = 63;
const DML = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);
const UNKNOWN: LineageSource = { kind: 'unknown' };
const ANY: LineageSource = { kind: 'any' };
/** Function groups whose members return data from SQL given as text, a cursor, or another server. */
const READS_ANYTHING = new Set(['@dynamic-sql', '@remote-servers']);

/** Expression nodes whose value derives from their children alone. */
const EXPRESSION_TAGS = new Set([
  'A_Const',
  'A_Expr',
  'A_ArrayExpr',
  'A_Indirection',
  'A_Indices',
  'A_Star',
  'BoolExpr',
  'BooleanTest',
  'CaseExpr',
  'CaseWhen',
  'CoalesceExpr',
  'CollateClause',
  'GroupingFunc',
  'List',
  'MinMaxExpr',
  'NullTest',
  'ParamRef',
  'RowExpr',
  'SortBy',
  'SQLValueFunction',
  'String',
  'Integer',
  'Float',
  'Boolean',
  'BitString',
  'TypeCast',
  'TypeName',
  'WindowDef',
  'XmlExpr',
  'XmlSerialize',
  'JsonValueExpr',
  'JsonObjectConstructor',
  'JsonArrayConstructor',
  'JsonArrayQueryConstructor',
  'JsonObjectAgg',
  'JsonArrayAgg',
  'JsonAggConstructor',
  'JsonKeyValue',
  'JsonOutput',
  'JsonReturning',
  'JsonFormat',
  'JsonIsPredicate',
  'JsonParseExpr',
  'JsonScalarExpr',
  'JsonSerializeExpr',
  'SetToDefault',
  'NamedArgExpr',
  'MergeSupportFunc',
  'JsonFuncExpr',
  'JsonArgument',
  'JsonBehavior',
  'JsonTablePathSpec',
]);

/** Functions returning one column when called in FROM (more with several arguments for unnest). */
const SCALAR_SET_FUNCTIONS = new Set([
  'generate_series',
  'generate_subscripts',
  'regexp_split_to_table',
  'string_to_table',
  'json_array_elements',
  'json_array_elements_text',
  'jsonb_array_elements',
  'jsonb_array_elements_text',
  'json_object_keys',
  'jsonb_object_keys',
]);
/** FROM functions returning (key, value). */
const PAIR_SET_FUNCTIONS = new Set([
  'json_each',
  'json_each_text',
  'jsonb_each',
  'jsonb_each_text',
]);

/** One output of a relation: a value, or a `*` over a base table. */
export interface Output {
  name?: string | undefined;
  star?: string;
  sources: Sources;
}

/** What a FROM item, CTE or subquery yields. */
export interface Rel {
  /** Undefined when the number or order of outputs is unknown. */
  outputs: Output[] | undefined;
  /** Every output's sources together (a whole-row reference, a name that cannot be placed). */
  all: Sources;
  /** Output names were replaced over a `*`: a name cannot be placed in it. */
  opaqueNames?: boolean;
}

export type Item =
  | { kind: 'table'; refname: string; table: string }
  | { kind: 'derived'; refname: string | undefined; rel: Rel }
  | { kind: 'join'; refname: string | undefined; children: Item[]; merges: boolean };

export interface Scope {
  items: Item[];
  ctes: Map<string, Rel>;
  parent: Scope | undefined;
}

export const ROOT: Scope = { items: [], ctes: new Map(), parent: undefined };

/**
 * Traces outputs through a statement's scopes. Subclasses hear the clauses
 * that shape no output (`clauses`, `joined`, `functionArguments`) and every
 * expression node (`expression`), for the other uses of a column
 * (`column-uses.ts`).
 */
export class Tracer {
  select(node: AstObject, outer: Scope): Rel {
    const scope = this.with(node.withClause, outer);
    if (Array.isArray(node.valuesLists)) return this.values(node.valuesLists, scope);
    if (node.op !== undefined && node.op !== 'SETOP_NONE') {
      const left = this.select(asObject(node.larg), scope);
      const right = this.select(asObject(node.rarg), scope);
      const combined = this.setOperation(left, right);
      this.clauses(node, scope, combined);
      return combined;
    }
    const inner = this.from(asArray(node.fromClause), scope);
    const result = this.targets(asArray(node.targetList), inner);
    this.clauses(node, inner, result);
    return result;
  }

  /** Heard for each SELECT once its scope and outputs are known (WHERE, ORDER BY … are in `node`). */
  protected clauses(_node: AstObject, _scope: Scope, _result: Rel): void {}

  /** Heard for each JOIN … ON, with its two sides in `scope`. */
  protected joined(_node: AstObject, _scope: Scope): void {}

  /** Heard for each function in FROM, with the sources of its arguments. */
  protected functionArguments(_node: AstObject, _args: Sources): void {}

  /** Heard for every expression node traced (`CaseExpr`, `FuncCall` …), before its children. */
  protected expression(_tag: string, _node: AstObject, _scope: Scope): void {}

  /** INSERT/UPDATE/DELETE/MERGE … RETURNING: the target and the other FROM items are in scope. */
  dml(tag: string, node: AstObject, outer: Scope = ROOT): Rel {
    const scope = this.with(node.withClause, outer);
    // The target is never a CTE (PostgreSQL's setTargetTable).
    const items: Item[] = [tableItem(asObject(node.relation))];
    const inner: Scope = { items, ctes: scope.ctes, parent: scope };
    const others =
      tag === 'UpdateStmt'
        ? asArray(node.fromClause)
        : tag === 'DeleteStmt'
          ? asArray(node.usingClause)
          : tag === 'MergeStmt'
            ? [node.sourceRelation]
            : [];
    for (const other of others) items.push(this.fromItem(other, inner));
    return this.targets(asArray(node.returningList), inner);
  }

  /** WITH: each CTE sees the ones before it; under RECURSIVE all of them, solved to a fixpoint. */
  protected with(clause: unknown, outer: Scope): Scope {
    const with_ = isObject(clause) ? clause : undefined;
    if (!with_) return outer;
    const ctes = asArray(with_.ctes)
      .map((cte) => unwrap(cte, 'CommonTableExpr'))
      .filter((cte): cte is AstObject => cte !== undefined);
    const bound = new Map(outer.ctes);
    const scope: Scope = { items: [], ctes: bound, parent: outer };
    const compute = (cte: AstObject): Rel => {
      const query = unwrap(cte.ctequery, 'SelectStmt');
      const rel = query ? this.select(query, scope) : this.dmlOrUnknown(cte.ctequery, scope);
      return renamed(rel, stringParts(cte.aliascolnames));
    };
    if (!with_.recursive) {
      for (const cte of ctes) bound.set(String(cte.ctename), compute(cte));
      return scope;
    }
    // Start from "no sources" and recompute until nothing grows: the least fixpoint.
    for (const cte of ctes) bound.set(String(cte.ctename), { outputs: undefined, all: new Map() });
    for (let round = 0; round < 10; round++) {
      let grew = false;
      for (const cte of ctes) {
        const name = String(cte.ctename);
        const before = bound.get(name)!;
        const after = compute(cte);
        if (!sameRel(before, after)) grew = true;
        bound.set(name, after);
      }
      if (!grew) return scope;
    }
    for (const cte of ctes) bound.set(String(cte.ctename), unknownRel());
    return scope;
  }

  private values(lists: unknown[], scope: Scope): Rel {
    const rows = lists.map((list) => asArray(unwrap(list, 'List')?.items));
    const width = rows[0]?.length ?? 0;
    if (rows.some((row) => row.length !== width)) return this.shapeless(rows.flat(), scope);
    const outputs = Array.from({ length: width }, (_, i): Output => {
      const sources: Sources = new Map();
      for (const row of rows) merge(sources, this.expr(row[i], scope));
      return { name: `column${i + 1}`, sources };
    });
    return rel(outputs);
  }

  private setOperation(left: Rel, right: Rel): Rel {
    const all = union(left.all, right.all);
    const l = left.outputs;
    const r = right.outputs;
    // A `*` on either side has a width only the catalog knows: positions cannot be paired.
    if (!l || !r || l.length !== r.length || [...l, ...r].some((o) => o.star !== undefined)) {
      return { outputs: undefined, all };
    }
    return rel(l.map((o, i) => ({ name: o.name, sources: union(o.sources, r[i]!.sources) })));
  }

  /** FROM items in order: a LATERAL item (and any function in FROM) sees the items before it. */
  protected from(list: unknown[], outer: Scope): Scope {
    const scope: Scope = { items: [], ctes: outer.ctes, parent: outer };
    for (const entry of list) scope.items.push(this.fromItem(entry, scope, outer));
    return scope;
  }

  protected fromItem(entry: unknown, lateral: Scope, plain: Scope = lateral): Item {
    const [tag, node] = tagged(entry);
    switch (tag) {
      case 'RangeVar': {
        const name = String(node.relname ?? '');
        const cte =
          node.schemaname === undefined && node.catalogname === undefined
            ? findCte(lateral, name)
            : undefined;
        if (cte)
          return {
            kind: 'derived',
            refname: aliasName(node.alias) ?? name,
            rel: renamed(cte, aliasColumns(node.alias)),
          };
        return tableItem(node);
      }
      case 'RangeSubselect': {
        const query = unwrap(node.subquery, 'SelectStmt');
        const scope = node.lateral === true ? lateral : plain;
        const rel = query ? this.select(query, scope) : unknownRel();
        return {
          kind: 'derived',
          refname: aliasName(node.alias),
          rel: renamed(rel, aliasColumns(node.alias)),
        };
      }
      case 'RangeFunction':
        return {
          kind: 'derived',
          refname: aliasName(node.alias),
          rel: this.functionItem(node, lateral),
        };
      case 'JoinExpr': {
        const children = [
          this.fromItem(node.larg, lateral, plain),
          this.fromItem(node.rarg, lateral, plain),
        ];
        const merges = node.isNatural === true || asArray(node.usingClause).length > 0;
        this.joined(node, { items: children, ctes: lateral.ctes, parent: lateral });
        return { kind: 'join', refname: aliasName(node.alias), children, merges };
      }
      default: {
        // XMLTABLE, JSON_TABLE, TABLESAMPLE and anything newer: outputs unknown.
        const all = this.expr(node, lateral);
        all.set('u', UNKNOWN);
        return {
          kind: 'derived',
          refname: aliasName(node.alias),
          rel: { outputs: undefined, all },
        };
      }
    }
  }

  /** A function in FROM: every output derives from every argument of every function. */
  private functionItem(node: AstObject, scope: Scope): Rel {
    const args: Sources = new Map();
    let width: number | undefined = 0;
    for (const entry of asArray(node.functions)) {
      const [call, defs] = asArray(unwrap(entry, 'List')?.items);
      merge(args, this.expr(call, scope));
      const own = asArray(unwrap(defs, 'List')?.items ?? (Array.isArray(defs) ? defs : []));
      const columns = own.length > 0 ? own.length : functionWidth(call);
      width = width === undefined || columns === undefined ? undefined : width + columns;
    }
    this.functionArguments(node, args);
    const coldefs = asArray(node.coldeflist).length;
    if (coldefs > 0) width = coldefs;
    if (width !== undefined && node.ordinality === true) width += 1;
    const defined = asArray(node.coldeflist).map((def) => unwrap(def, 'ColumnDef')?.colname);
    const names = aliasColumns(node.alias);
    if (names.length === 0) {
      for (const name of defined) if (typeof name === 'string') names.push(name);
    }
    if (width === undefined)
      return { outputs: undefined, all: args, ...(names.length > 0 ? { opaqueNames: true } : {}) };
    const outputs = Array.from({ length: width }, (_, i): Output => ({
      name: names[i],
      sources: new Map(args),
    }));
    return { outputs, all: new Map(args), opaqueNames: names.length === 0 };
  }

  private targets(list: unknown[], scope: Scope): Rel {
    const outputs: Output[] = [];
    let shaped = true;
    for (const entry of list) {
      const target = unwrap(entry, 'ResTarget') ?? {};
      const value = target.val;
      const fields = asArray(unwrap(value, 'ColumnRef')?.fields);
      if (fields.length > 0 && isStar(fields.at(-1))) {
        const expanded = this.star(fields.slice(0, -1), scope);
        if (expanded) outputs.push(...expanded);
        else shaped = false;
        continue;
      }
      const indirection = asArray(unwrap(value, 'A_Indirection')?.indirection);
      if (indirection.length > 0 && isStar(indirection.at(-1))) {
        // `(x).*` spreads a composite into as many columns as its type has.
        shaped = false;
        outputs.push({ sources: this.expr(value, scope) });
        continue;
      }
      const name = typeof target.name === 'string' ? target.name : figureName(value);
      outputs.push({ name, sources: this.expr(value, scope) });
    }
    const result = rel(outputs);
    return shaped ? result : { outputs: undefined, all: result.all };
  }

  /** `*` or `q.*` in a target list: the outputs it stands for, or undefined when their number is unknown. */
  private star(qualifier: unknown[], scope: Scope): Output[] | undefined {
    const parts = qualifier.map((q) => unwrap(q, 'String')?.sval);
    if (parts.some((p) => typeof p !== 'string')) return undefined;
    const items = parts.length === 0 ? scope.items : findItems(scope, parts as string[]);
    if (items.length === 0) return undefined;
    const outputs: Output[] = [];
    for (const item of items) {
      const expanded = spread(item);
      if (!expanded) return undefined;
      outputs.push(...expanded);
    }
    return outputs;
  }

  /** Every source a value expression may derive from. */
  expr(value: unknown, scope: Scope): Sources {
    const sources: Sources = new Map();
    this.collect(value, scope, sources);
    return sources;
  }

  private collect(value: unknown, scope: Scope, into: Sources): void {
    if (Array.isArray(value)) {
      for (const item of value) this.collect(item, scope, into);
      return;
    }
    if (!isObject(value)) return;
    const keys = Object.keys(value);
    const only = keys.length === 1 ? keys[0]! : undefined;
    if (only === undefined || !/^[A-Z]/.test(only) || !isObject(value[only])) {
      // A bare struct (FuncCall.over, TypeCast.typeName): look at its fields.
      for (const key of keys) this.collect(value[key], scope, into);
      return;
    }
    const node = value[only];
    this.expression(only, node, scope);
    switch (only) {
      case 'ColumnRef':
        merge(into, this.columnRef(asArray(node.fields), scope));
        return;
      case 'SubLink': {
        this.collect(node.testexpr, scope, into);
        const query = unwrap(node.subselect, 'SelectStmt');
        merge(into, query ? this.select(query, scope).all : unknownSources());
        return;
      }
      case 'SelectStmt':
        merge(into, this.select(node, scope).all);
        return;
      case 'FuncCall': {
        const parts = stringParts(node.funcname);
        const own = parts.at(-1) ?? '';
        const builtin = parts.length === 1 || (parts.length === 2 && parts[0] === 'pg_catalog');
        if (!builtin || !(TRANSPARENT_FUNCTIONS.has(own) || CATALOG_FUNCTIONS.has(own)))
          into.set('u', UNKNOWN);
        // Whatever schema it is called in (extensions live anywhere): its result may hold anything.
        if (groupsOf(own).some((group) => READS_ANYTHING.has(group))) into.set('a', ANY);
        break;
      }
      default:
        if (!EXPRESSION_TAGS.has(only)) into.set('u', UNKNOWN);
    }
    for (const key of Object.keys(node)) this.collect(node[key], scope, into);
  }

  /** A column reference: `c`, `t.c`, `s.t.c`, `t` (a whole row), `t.*`, or `col.field`. */
  protected columnRef(fields: unknown[], scope: Scope): Sources {
    const parts = fields.map((f) => (isStar(f) ? '*' : unwrap(f, 'String')?.sval));
    if (parts.some((p) => typeof p !== 'string')) return unknownSources();
    const names = parts as string[];
    const found: Sources = new Map();
    if (names.length === 1) {
      const [name] = names as [string];
      if (name === '*') {
        for (const item of scope.items) merge(found, wholeRow(item));
        return found.size > 0 ? found : unknownSources();
      }
      // A column of any item in scope (outer levels too), or a whole row named so.
      for (let level: Scope | undefined = scope; level; level = level.parent) {
        for (const item of level.items) {
          merge(found, columnOf(item, name));
          if (item.refname === name) merge(found, wholeRow(item));
        }
      }
      return found.size > 0 ? found : unknownSources();
    }
    const column = names.at(-1)!;
    const items = findItems(scope, names.slice(0, -1));
    if (items.length > 0) {
      for (const item of items)
        merge(found, column === '*' ? wholeRow(item) : columnOf(item, column));
      return found;
    }
    // `a.b` where `a` is no table: column `a`, field `b` (PostgreSQL tries this reading too).
    return names.length === 2 ? this.columnRef(fields.slice(0, 1), scope) : unknownSources();
  }

  /** A CTE body that is INSERT/UPDATE/DELETE … RETURNING, or something not traced. */
  private dmlOrUnknown(query: unknown, scope: Scope): Rel {
    const [tag, node] = tagged(query);
    if (DML.has(tag) && asArray(node.returningList).length > 0) return this.dml(tag, node, scope);
    return unknownRel();
  }

  private shapeless(values: unknown[], scope: Scope): Rel {
    return { outputs: undefined, all: this.expr(values, scope) };
  }
}

export function tableItem(node: AstObject): Item {
  const parts = [node.catalogname, node.schemaname, node.relname].filter(
    (p): p is string => typeof p === 'string' && p !== '',
  );
  const refname = aliasName(node.alias) ?? String(node.relname ?? '');
  const table = qualifiedName(parts);
  if (aliasColumns(node.alias).length === 0) return { kind: 'table', refname, table };
  // `customers AS c(a, b)` renames columns by position, which only the catalog can map.
  const row: Sources = new Map([[`r:${table}`, { kind: 'row', table }]]);
  return {
    kind: 'derived',
    refname,
    rel: { outputs: [{ star: table, sources: row }], all: row, opaqueNames: true },
  };
}

/** The sources of column `name` of one FROM item. */
function columnOf(item: Item, name: string): Sources {
  switch (item.kind) {
    case 'table':
      return new Map([
        [`c:${item.table}\0${name}`, { kind: 'column', table: item.table, column: name }],
      ]);
    case 'join': {
      const found: Sources = new Map();
      for (const child of item.children) merge(found, columnOf(child, name));
      return found;
    }
    case 'derived': {
      const { outputs, all, opaqueNames } = item.rel;
      if (!outputs || opaqueNames) return new Map(all);
      const found: Sources = new Map();
      let placed = false;
      for (const output of outputs) {
        if (output.star !== undefined) {
          merge(found, columnOf({ kind: 'table', refname: '', table: output.star }, name));
          placed = true;
        } else if (output.name === name) {
          merge(found, output.sources);
          placed = true;
        }
      }
      // Not among the names known: it may still be there under a name not told (fail closed).
      return placed ? found : new Map(all);
    }
  }
}

/** A whole-row reference (`c`, `c.*` in an expression): every column of the item. */
function wholeRow(item: Item): Sources {
  switch (item.kind) {
    case 'table':
      return new Map([[`r:${item.table}`, { kind: 'row', table: item.table }]]);
    case 'join': {
      const found: Sources = new Map();
      for (const child of item.children) merge(found, wholeRow(child));
      return found;
    }
    case 'derived':
      return new Map(item.rel.all);
  }
}

/** The outputs `*` stands for over one item; undefined when their number is unknown. */
function spread(item: Item): Output[] | undefined {
  switch (item.kind) {
    case 'table':
      return [{ star: item.table, sources: wholeRow(item) }];
    case 'derived':
      return item.rel.outputs;
    case 'join': {
      // USING and NATURAL merge the joined columns first: their order is the catalog's.
      if (item.merges) return undefined;
      const outputs: Output[] = [];
      for (const child of item.children) {
        const expanded = spread(child);
        if (!expanded) return undefined;
        outputs.push(...expanded);
      }
      return outputs;
    }
  }
}

/** The items a qualifier (`t`, `s.t`) names, innermost scope first. */
export function findItems(scope: Scope, names: string[]): Item[] {
  for (let level: Scope | undefined = scope; level; level = level.parent) {
    const found = level.items.flatMap((item) => matching(item, names));
    if (found.length > 0) return found;
  }
  return [];
}

function matching(item: Item, names: string[]): Item[] {
  const own =
    names.length === 1
      ? item.refname === names[0]
      : item.kind === 'table' && item.table === qualifiedName(names);
  if (own) return [item];
  return item.kind === 'join' ? item.children.flatMap((child) => matching(child, names)) : [];
}

function findCte(scope: Scope, name: string): Rel | undefined {
  return scope.ctes.get(name);
}

/** The name PostgreSQL gives an output without an alias, where it is plain (FigureColname). */
function figureName(value: unknown): string | undefined {
  const [tag, node] = tagged(value);
  if (tag === 'ColumnRef') {
    const last = asArray(node.fields).at(-1);
    const name = unwrap(last, 'String')?.sval;
    return typeof name === 'string' ? name : undefined;
  }
  if (tag === 'FuncCall' && node.funcformat === 'COERCE_EXPLICIT_CALL') {
    return stringParts(node.funcname).at(-1);
  }
  return undefined;
}

/** How many columns a function in FROM returns without a column definition list. */
function functionWidth(call: unknown): number | undefined {
  const [tag, node] = tagged(call);
  if (tag !== 'FuncCall') return undefined;
  const parts = stringParts(node.funcname);
  if (parts.length > 2 || (parts.length === 2 && parts[0] !== 'pg_catalog')) return undefined;
  const name = parts.at(-1) ?? '';
  if (name === 'unnest') return Math.max(1, asArray(node.args).length);
  if (SCALAR_SET_FUNCTIONS.has(name)) return 1;
  if (PAIR_SET_FUNCTIONS.has(name)) return 2;
  return undefined;
}

/** Column aliases (`AS x(a, b)`, `WITH x(a, b)`) rename outputs by position. */
function renamed(rel: Rel, names: string[]): Rel {
  if (names.length === 0 || !rel.outputs) return rel;
  if (rel.outputs.some((o) => o.star !== undefined)) return { ...rel, opaqueNames: true };
  return {
    ...rel,
    outputs: rel.outputs.map((o, i) => (i < names.length ? { ...o, name: names[i] } : o)),
  };
}

function rel(outputs: Output[]): Rel {
  const all: Sources = new Map();
  for (const output of outputs) merge(all, output.sources);
  return { outputs, all };
}

function sameRel(a: Rel, b: Rel): boolean {
  if (a.all.size !== b.all.size || [...b.all.keys()].some((k) => !a.all.has(k))) return false;
  if (!a.outputs || !b.outputs) return a.outputs === b.outputs;
  return (
    a.outputs.length === b.outputs.length &&
    a.outputs.every((o, i) => o.sources.size === b.outputs![i]!.sources.size)
  );
}

function unknownRel(): Rel {
  return { outputs: undefined, all: unknownSources() };
}

function unknownSources(): Sources {
  return new Map([['u', UNKNOWN]]);
}

function union(a: Sources, b: Sources): Sources {
  const out = new Map(a);
  merge(out, b);
  return out;
}

function merge(into: Sources, from: Sources): void {
  for (const [key, source] of from) into.set(key, source);
}

function aliasName(alias: unknown): string | undefined {
  const name = isObject(alias) ? alias.aliasname : undefined;
  return typeof name === 'string' ? name : undefined;
}

function aliasColumns(alias: unknown): string[] {
  return isObject(alias) ? stringParts(alias.colnames) : [];
}

function isStar(field: unknown): boolean {
  return isObject(field) && 'A_Star' in field;
}

export function tagged(value: unknown): [string, AstObject] {
  if (!isObject(value)) return ['', {}];
  const [tag = ''] = Object.keys(value);
  const node = value[tag];
  return [tag, isObject(node) ? node : {}];
}
