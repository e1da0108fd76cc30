import { copyOut } from './copy-out.js';
import { fingerprint } from './fingerprint.js';
import { statementLineage } from './lineage.js';
import { parseSql } from './parser.js';
import { WRITE_KINDS } from './statement-kinds.js';
import type { Classification, ClassifiedStatement } from './types.js';
import { walkStatement } from './walk.js';

/**
 * Classifies every statement of a simple-query string (or one extended-query
 * Parse) from PostgreSQL's own parse tree. Pure and synchronous; call
 * `initSqlParser()` once before. Unparseable text is `ok: false`, which the
 * caller must treat as refused: nothing is ever guessed.
 *
 * @throws HoopError `HOOP_INTERNAL` when the parser has not been initialised.
 */
export function classifySql(sql: string): Classification {
  const parsed = parseSql(sql);
  if (!parsed.ok) {
    const { message } = parsed;
    const position = parsed.reason === 'syntax' ? parsed.position : undefined;
    return {
      ok: false,
      error: position === undefined ? { message } : { message, position },
      text: sql,
    };
  }
  try {
    return {
      ok: true,
      statements: parsed.statements.map(({ stmt, text }) => classify(stmt, text)),
    };
  } catch (err) {
    // A tree too deep for the walker's recursion (thousands of nested operators): refuse it.
    if (err instanceof RangeError) {
      return {
        ok: false,
        error: { message: 'statement is too deeply nested to classify' },
        text: sql,
      };
    }
    throw err;
  }
}

function classify(stmt: Record<string, unknown>, text: string): ClassifiedStatement {
  const [tag = ''] = Object.keys(stmt);
  const node = stmt[tag];
  const body = typeof node === 'object' && node !== null ? (node as Record<string, unknown>) : {};
  const found = walkStatement(tag, body);
  // A top-level node the tables do not know still gets a kind: never an empty list.
  const kinds = found.kinds.size > 0 ? [...found.kinds] : (['utility'] as const).slice();
  const copy = found.copy;
  const statement: ClassifiedStatement = {
    text,
    kinds,
    tables: [...found.tables],
    functions: [...found.functions],
    dangerousFunctions: [...found.dangerous],
    writes:
      kinds.some((kind) => WRITE_KINDS.has(kind)) ||
      found.opaque ||
      (copy !== undefined && (copy.program || copy.serverFile)),
    opaque: found.opaque,
    roleChange: found.roleChange,
    fingerprint: fingerprint(stmt),
    lineage: statementLineage(tag, body),
  };
  if (copy) {
    statement.copy =
      copy.direction === 'out' && !copy.program && !copy.serverFile
        ? { ...copy, out: copyOut(node as Record<string, unknown>, text) }
        : copy;
  }
  if (found.prepared !== undefined) statement.prepared = found.prepared;
  if (found.planned) statement.planned = [...found.planned];
  return statement;
}
