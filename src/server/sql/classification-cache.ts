import { literalShape, type LiteralShape, type NumberSpan } from './literal-shape.js';
import { parseSql } from './parser.js';
import type { Classification, ClassifiedStatement, StatementKind } from './types.js';

export interface ClassificationCacheOptions {
  /** Distinct SQL strings remembered; the oldest is forgotten first. */
  maxEntries?: number;
  /** Longer strings are classified every time (they rarely repeat and would hold memory). */
  maxSqlLength?: number;
  /**
   * Reuse a classification for strings that differ from a classified one in
   * numeric constants only (`… where id = 42` / `… id = 7`). Default true.
   */
  acrossConstants?: boolean;
}

/** Statements whose classification may be reused across numeric constants: plain DML and queries. */
const REUSABLE_KINDS = new Set<StatementKind>([
  'select',
  'insert',
  'update',
  'delete',
  'merge',
  'lock',
]);

/** A classification known to hold for every string of one shape, with where its statements and numbers were. */
interface ShapeEntry {
  classification: Extract<Classification, { ok: true }>;
  spans: NumberSpan[];
  /** Each statement's text in the string it was classified from: [start, end). */
  bounds: Array<[number, number]>;
}

/**
 * Remembers classifications by exact SQL text. Drivers and ORMs send the same
 * strings over and over (prepared statements, pgbench, health checks), and a
 * classification depends on the text alone, so a repeat costs a map lookup
 * instead of a parse. Policy is still decided every time: it depends on who
 * asks.
 *
 * Strings that differ only in numeric constants (`literal-shape.ts`) share a
 * classification too, which is what clients that inline their parameters
 * (pgbench's simple protocol, psql scripts, many agents) send. It is reused
 * only where that is provably right: the second string seen of a shape is
 * parsed once more, and the shape is remembered only if every number the
 * scanner found is a constant expression in the parse tree, at the same
 * place (not, say, `EXPLAIN (ANALYZE 1)` or `FETCH 10`, where the number
 * changes what runs), and its statements are plain queries and DML, whose
 * classification reads no constant's value. Each statement's text is then
 * the new string's own.
 */
export function cachedClassifier(
  classify: (sql: string) => Classification,
  options: ClassificationCacheOptions = {},
): (sql: string) => Classification {
  const maxEntries = options.maxEntries ?? 2_000;
  const maxSqlLength = options.maxSqlLength ?? 8_192;
  const acrossConstants = options.acrossConstants ?? true;
  const exact = new Map<string, Classification>();
  const shapes = new Map<string, ShapeEntry | 'seen'>();
  const remember = <V>(map: Map<string, V>, key: string, value: V): void => {
    if (map.size >= maxEntries) map.delete(map.keys().next().value as string);
    map.set(key, value);
  };
  return (sql) => {
    if (sql.length > maxSqlLength) return classify(sql);
    const known = exact.get(sql);
    if (known) return known;
    const shape = acrossConstants ? literalShape(sql) : undefined;
    const entry = shape && shapes.get(shape.key);
    if (shape && entry && entry !== 'seen') return rebase(entry, sql, shape);
    const classification = classify(sql);
    remember(exact, sql, classification);
    if (shape && classification.ok && classification.statements.every(reusable)) {
      // A shape seen once is likely a one-off: check and keep it at its second string.
      const checked = entry === 'seen' ? shapeEntry(sql, shape, classification) : undefined;
      remember(shapes, shape.key, checked ?? 'seen');
    }
    return classification;
  };
}

function reusable(statement: ClassifiedStatement): boolean {
  return (
    statement.kinds.every((kind) => REUSABLE_KINDS.has(kind)) &&
    statement.copy === undefined &&
    statement.prepared === undefined &&
    statement.planned === undefined &&
    !statement.opaque &&
    !statement.roleChange &&
    statement.prepares === undefined &&
    statement.settings.length === 0
  );
}

/** The entry for `sql`'s shape, or undefined when its numbers are not all plain constants. */
function shapeEntry(
  sql: string,
  shape: LiteralShape,
  classification: Extract<Classification, { ok: true }>,
): ShapeEntry | undefined {
  const parsed = parseSql(sql);
  if (!parsed.ok) return undefined;
  const locations: number[] = [];
  for (const { stmt } of parsed.statements) collectNumericConstants(stmt, locations);
  if (locations.length !== shape.spans.length) return undefined;
  const unmatched = new Set(shape.spans);
  for (const location of locations) {
    const span = shape.spans.find(
      (s) => unmatched.has(s) && (s.start === location || s.minus === location),
    );
    if (!span) return undefined;
    unmatched.delete(span);
  }
  const bounds: Array<[number, number]> = [];
  let from = 0;
  for (const statement of classification.statements) {
    const start = sql.indexOf(statement.text, from);
    if (start === -1) return undefined;
    from = start + statement.text.length;
    bounds.push([start, from]);
  }
  return { classification, spans: shape.spans, bounds };
}

/** The locations of integer and decimal constants (`A_Const` with `ival` or `fval`) anywhere in a tree. */
function collectNumericConstants(node: unknown, out: number[]): void {
  if (Array.isArray(node)) {
    for (const item of node) collectNumericConstants(item, out);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  for (const [key, value] of Object.entries(node)) {
    if (key === 'A_Const' && typeof value === 'object' && value !== null) {
      const constant = value as { ival?: unknown; fval?: unknown; location?: unknown };
      if (
        (constant.ival !== undefined || constant.fval !== undefined) &&
        typeof constant.location === 'number'
      )
        out.push(constant.location);
      continue;
    }
    collectNumericConstants(value, out);
  }
}

/** The shape's classification with each statement's text taken from `sql`. */
function rebase(entry: ShapeEntry, sql: string, shape: LiteralShape): Classification {
  // A position outside the numbers moves by how much longer the numbers before it are now.
  const move = (position: number): number => {
    let moved = position;
    for (let i = 0; i < entry.spans.length; i++) {
      const was = entry.spans[i]!;
      if (was.end > position) break;
      const now = shape.spans[i]!;
      moved += now.end - now.start - (was.end - was.start);
    }
    return moved;
  };
  return {
    ok: true,
    statements: entry.classification.statements.map((statement, i) => {
      const [start, end] = entry.bounds[i]!;
      return { ...statement, text: sql.slice(move(start), move(end)) };
    }),
  };
}
