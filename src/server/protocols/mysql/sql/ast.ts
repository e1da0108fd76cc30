import type { LineageSource, OutputLineage } from '../../../enforcement/index.js';
import type { AstNode, AstValue, ParsedSql } from './parser.js';

/** What the parser tells of one statement: tables, functions and the lineage of its outputs. */
export interface ParsedFacts {
  tables: string[];
  functions: string[];
  lineage: OutputLineage[] | null;
}

function isNode(value: AstValue): value is AstNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `db.table`, lower-cased (MySQL names match case-insensitively for policy, erring toward matching). */
export function tableName(db: string | null | undefined, table: string): string {
  return (db ? `${db}.${table}` : table).toLowerCase();
}

/** Tables from the parser's table list (`op::db::table`). */
function tablesOf(parsed: ParsedSql): string[] {
  const tables = new Set<string>();
  for (const entry of parsed.tableList) {
    const [, db, table] = entry.split('::');
    if (table) tables.add(tableName(db === 'null' ? undefined : db, table));
  }
  return [...tables];
}

/** Every function and aggregate called anywhere in the tree, lower-cased. */
function functionsOf(node: AstValue, out = new Set<string>()): Set<string> {
  if (Array.isArray(node)) {
    for (const item of node) functionsOf(item, out);
    return out;
  }
  if (!isNode(node)) return out;
  if (node.type === 'function' && isNode(node.name)) {
    const parts = node.name.name;
    if (Array.isArray(parts)) {
      const name = parts
        .map((p) => (isNode(p) && typeof p.value === 'string' ? p.value : ''))
        .join('.');
      if (name) out.add(name.toLowerCase());
    }
  } else if (node.type === 'aggr_func' && typeof node.name === 'string') {
    out.add(node.name.toLowerCase());
  }
  for (const value of Object.values(node)) functionsOf(value, out);
  return out;
}

/** Whether a subtree holds a query (a subquery's result feeds the value: its lineage is not traced here). */
function hasQuery(node: AstValue): boolean {
  if (Array.isArray(node)) return node.some(hasQuery);
  if (!isNode(node)) return false;
  if (node.type === 'select' || 'ast' in node) return true;
  return Object.values(node).some(hasQuery);
}

function columnRefs(node: AstValue, out: AstNode[] = []): AstNode[] {
  if (Array.isArray(node)) {
    for (const item of node) columnRefs(item, out);
    return out;
  }
  if (!isNode(node)) return out;
  if (node.type === 'column_ref') out.push(node);
  else for (const value of Object.values(node)) columnRefs(value, out);
  return out;
}

function refName(value: AstValue): string | undefined {
  if (typeof value === 'string') return value;
  if (isNode(value) && isNode(value.expr) && typeof value.expr.value === 'string') {
    return value.expr.value;
  }
  return undefined;
}

/**
 * The lineage of a plain SELECT (no set operation, CTE or derived table):
 * per output, the table columns its expression reads, an unqualified
 * column standing for that column of every table in FROM. Anything else is
 * `null`, and masking then treats expressions over masked tables as masked.
 */
function lineageOf(ast: AstNode): OutputLineage[] | null {
  if (ast.type !== 'select' || ast._next || ast.with) return null;
  const from = Array.isArray(ast.from) ? ast.from : [];
  const aliases = new Map<string, string>();
  const tables: string[] = [];
  for (const item of from) {
    if (!isNode(item) || typeof item.table !== 'string' || item.expr) return null;
    const name = tableName(typeof item.db === 'string' ? item.db : undefined, item.table);
    tables.push(name);
    aliases.set((typeof item.as === 'string' ? item.as : item.table).toLowerCase(), name);
  }
  if (!Array.isArray(ast.columns)) return null;
  const outputs: OutputLineage[] = [];
  for (const column of ast.columns) {
    if (!isNode(column)) return null;
    const expr = column.expr;
    if (!isNode(expr) || hasQuery(expr)) return null;
    if (expr.type === 'column_ref' && refName(expr.column) === '*') {
      const qualifier = typeof expr.table === 'string' ? expr.table.toLowerCase() : undefined;
      const starred = qualifier ? [aliases.get(qualifier)] : tables;
      for (const table of starred) {
        if (!table) return null;
        outputs.push({ kind: 'star', table });
      }
      continue;
    }
    const sources: LineageSource[] = [];
    for (const ref of columnRefs(expr)) {
      const name = refName(ref.column);
      if (name === undefined) return null;
      const qualifier = typeof ref.table === 'string' ? ref.table.toLowerCase() : undefined;
      if (name === '*') {
        for (const table of qualifier ? [aliases.get(qualifier)] : tables) {
          if (!table) return null;
          sources.push({ kind: 'row', table });
        }
        continue;
      }
      const owners = qualifier ? [aliases.get(qualifier)] : tables;
      for (const table of owners) {
        if (!table) return null;
        sources.push({ kind: 'column', table, column: name.toLowerCase() });
      }
    }
    const alias = typeof column.as === 'string' ? column.as : undefined;
    const direct = expr.type === 'column_ref' ? refName(expr.column) : undefined;
    const name = alias ?? direct;
    outputs.push({ kind: 'value', ...(name === undefined ? {} : { name }), sources });
  }
  return outputs;
}

export function factsOf(parsed: ParsedSql): ParsedFacts {
  const ast = Array.isArray(parsed.ast) ? parsed.ast[0] : parsed.ast;
  return {
    tables: tablesOf(parsed),
    functions: [...functionsOf(parsed.ast)],
    lineage: ast ? lineageOf(ast) : null,
  };
}
