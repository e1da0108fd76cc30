import { type AstObject, unwrap } from './ast.js';
import { Analysis } from './analysis.js';
import { isStatistics, statementUses } from './column-uses.js';
import { copyOut } from './copy-out.js';
import type { Findings } from './findings.js';
import { FUNCTION_GROUP_NAMES } from './function-groups.js';
import { fingerprint } from './fingerprint.js';
import { statementLineage } from './lineage.js';
import { resolveLimits, SqlLimitExceeded, type SqlLimits } from './limits.js';
import { isDeclarative, redefinitionOf } from './redefinitions.js';
import { WRITE_KINDS } from './statement-kinds.js';
import type { ColumnUse } from '../enforcement/index.js';
import type { Classification, ClassifiedStatement, StatementKind } from './types.js';

export interface ClassifyOptions {
  /** Limits on the text (see `limits.ts`); each one left out has its default. */
  limits?: Partial<SqlLimits>;
}

/**
 * Classifies every statement of a simple-query string (or one extended-query
 * Parse) from PostgreSQL's own parse tree, including the code the
 * statements carry (function bodies, DO blocks, SQL given to functions as
 * strings). Pure and synchronous; call `initSqlParser()` once before.
 *
 * A string that does not parse, or that exceeds a limit, is `ok: false`,
 * which the caller must treat as refused: nothing is ever guessed. A string
 * that parses but runs code whose effect is unknowable has statements with
 * kind `dynamic` and `unknown` saying why.
 *
 * @throws HoopError `HOOP_INTERNAL` when the parser has not been initialised.
 * @throws RangeError when a limit in `options` is not a positive whole number.
 */
export function classifySql(sql: string, options: ClassifyOptions = {}): Classification {
  return classifyWithin(sql, resolveLimits(options.limits));
}

/** A classifier with its limits resolved once (for `cachedClassifier`). */
export function sqlClassifier(options: ClassifyOptions = {}): (sql: string) => Classification {
  const limits = resolveLimits(options.limits);
  return (sql) => classifyWithin(sql, limits);
}

function classifyWithin(sql: string, limits: SqlLimits): Classification {
  const analysis = new Analysis(limits);
  try {
    const parsed = analysis.parse(sql);
    if (!parsed.ok) {
      const { message, position } =
        parsed.reason === 'syntax' ? parsed : { ...parsed, position: undefined };
      return {
        ok: false,
        reason: 'syntax',
        error: position === undefined ? { message } : { message, position },
        text: sql,
      };
    }
    return {
      ok: true,
      statements: parsed.statements.map(({ stmt, text }) => classified(analysis, stmt, text)),
    };
  } catch (err) {
    if (err instanceof SqlLimitExceeded) {
      return {
        ok: false,
        reason: 'limit',
        error: { message: err.message, code: err.code },
        text: sql,
      };
    }
    // The depth limit keeps every recursion far from the stack's end; this is the backstop.
    if (err instanceof RangeError) {
      return {
        ok: false,
        reason: 'limit',
        error: {
          message: 'the statement is too deeply nested to classify',
          code: 'HOOP_SQL_TOO_DEEP',
        },
        text: sql,
      };
    }
    throw err;
  }
}

/** A top-level statement (or a PREPARE's inner one) with everything the protocol layer reads. */
function classified(analysis: Analysis, stmt: AstObject, text: string): ClassifiedStatement {
  const [tag = ''] = Object.keys(stmt);
  const node = unwrap(stmt, tag) ?? {};
  const found = analysis.findings(tag, node, text, 0);
  const kinds = statementKinds(found);
  const copy = found.copy;
  const statement: ClassifiedStatement = {
    text,
    kinds,
    tables: [...found.tables],
    functions: [...found.functions],
    dangerousFunctions: [...found.dangerous],
    functionGroups: FUNCTION_GROUP_NAMES.filter((group) => found.groups.has(group)),
    routines: [...found.routines.values()],
    unknown: found.unknown,
    settings: found.settings,
    writes:
      kinds.some((kind) => WRITE_KINDS.has(kind)) ||
      (copy !== undefined && (copy.program || copy.serverFile)),
    opaque: found.unknown.length > 0,
    roleChange: found.roleChange,
    fingerprint: fingerprint(stmt),
    lineage: statementLineage(tag, node),
    uses: [...statementUses(tag, node), ...found.uses, ...statisticsUses(found)],
  };
  if (copy) {
    statement.copy =
      copy.direction === 'out' && !copy.program && !copy.serverFile
        ? { ...copy, out: copyOut(node, text) }
        : copy;
  }
  if (found.prepared !== undefined) statement.prepared = found.prepared;
  if (found.deallocates !== undefined) statement.deallocates = found.deallocates;
  if (found.prepares !== undefined) {
    const { name, tag: innerTag, node: inner } = found.prepares;
    statement.prepares = { name, statement: classified(analysis, { [innerTag]: inner }, text) };
  }
  if (found.planned) statement.planned = [...found.planned];
  const redefines = redefinitionOf(tag, node, found);
  if (redefines) statement.redefines = redefines;
  if (isDeclarative(tag)) statement.declarative = true;
  return statement;
}

/**
 * The statement's kinds, its own first; `utility` for a statement the kind
 * table does not know (never an empty list), and `dynamic` whenever something
 * in it is unknowable.
 */
function statementKinds(found: Findings): StatementKind[] {
  const kinds: StatementKind[] = found.kinds.size > 0 ? [...found.kinds] : ['utility'];
  if (found.unknown.length > 0 && !kinds.includes('dynamic')) kinds.push('dynamic');
  return kinds;
}

/** Reading the planner's statistics reads sample values of every analysed column. */
function statisticsUses(found: Findings): ColumnUse[] {
  const named = [...found.tables].filter(isStatistics);
  return named.length === 0
    ? []
    : [
        {
          use: 'write',
          what: `a read of ${named.join(', ')}, which holds sample values of every analysed column,`,
          sources: [{ kind: 'any' }],
        },
      ];
}
