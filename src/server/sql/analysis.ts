import { type AstObject, asArray, unwrap } from './ast.js';
import {
  addUnknown,
  type Findings,
  mergeNested,
  type NestedCode,
  newFindings,
} from './findings.js';
import { statementUses } from './column-uses.js';
import { countTokens } from './lexer.js';
import { SqlBudget, SqlLimitExceeded, type SqlLimits } from './limits.js';
import { parsePlpgsql, parseSql, type ParseFailure, type RawStatement } from './parser.js';
import {
  isUnknownFieldError,
  plpgsqlPieces,
  rowTypesAsRecords,
  type PlpgsqlPiece,
} from './plpgsql.js';
import { constantString } from './sql-functions.js';
import { walkStatement } from './walk.js';

/** Functions that build SQL text from pieces, named when they feed an EXECUTE. */
const SQL_BUILDERS = ['format', 'quote_ident', 'quote_literal', 'quote_nullable', 'concat'];

/**
 * One classification of one query string: the statements in it and every
 * piece of code nested in them, parsed and walked within one budget of
 * tokens and nodes, to a depth of nested code of `maxCodeDepth`.
 *
 * Nested code is classified like a top-level string and what it finds is
 * added to the statement that carries it (`mergeNested`): a DO block's
 * DELETE makes the DO a `delete`, a function body's `pg_read_file` call
 * puts `pg_read_file` in the CREATE FUNCTION's functions. What cannot be
 * followed (a body that does not parse, SQL built at run time, another
 * language) is recorded as `unknown`.
 */
export class Analysis {
  readonly budget: SqlBudget;

  constructor(readonly limits: SqlLimits) {
    this.budget = new SqlBudget(limits);
  }

  /**
   * Checks a string against the limits and parses it.
   *
   * @throws SqlLimitExceeded past a limit, including a parser stack trap.
   */
  parse(sql: string): { ok: true; statements: RawStatement[] } | ParseFailure {
    const { limits, budget } = this;
    if (sql.length > limits.maxLength) throw new SqlLimitExceeded('maxLength', limits.maxLength);
    budget.spendTokens(countTokens(sql, budget.tokensLeft));
    const parsed = parseSql(sql);
    if (!parsed.ok) {
      if (parsed.reason === 'limit') {
        throw new SqlLimitExceeded('maxDepth', limits.maxDepth, parsed.message);
      }
      return parsed;
    }
    if (parsed.statements.length > limits.maxStatements) {
      throw new SqlLimitExceeded('maxStatements', limits.maxStatements);
    }
    return parsed;
  }

  /** What one statement and the code it carries do; `depth` counts code levels above it. */
  findings(
    tag: string,
    node: AstObject,
    text: string,
    depth: number,
    expression = false,
  ): Findings {
    const walked = walkStatement(tag, node, {
      maxDepth: this.limits.maxDepth,
      maxNodes: this.budget.nodesLeft,
      expression,
    });
    this.budget.spendNodes(walked.nodes);
    // Nested code: every column it reads is beyond what the gateway can follow.
    if (depth > 0) walked.uses.push(...statementUses(tag, node, true));
    for (const code of walked.code) this.nested(walked, code, text, depth + 1);
    return walked;
  }

  private nested(into: Findings, code: NestedCode, text: string, depth: number): void {
    if (depth > this.limits.maxCodeDepth) {
      throw new SqlLimitExceeded('maxCodeDepth', this.limits.maxCodeDepth);
    }
    if (code.type === 'sql') this.sql(into, code.sql, code.origin, depth, code.planned);
    else this.plpgsql(into, text, depth, code.planned);
  }

  /** SQL text inside a statement: every statement in it, added to `into`. */
  private sql(
    into: Findings,
    sql: string,
    origin: string,
    depth: number,
    planned: boolean,
    expression = false,
  ): void {
    this.statements(into, this.parse(sql), origin, depth, planned, expression);
  }

  private statements(
    into: Findings,
    parsed: ReturnType<Analysis['parse']>,
    origin: string,
    depth: number,
    planned: boolean,
    expression = false,
  ): void {
    if (!parsed.ok) {
      if (!planned) {
        addUnknown(into, {
          reason: 'unparsed-body',
          message: `runs SQL that does not parse (${origin}: ${parsed.message})`,
        });
      }
      return;
    }
    for (const { stmt, text } of parsed.statements) {
      const [tag = ''] = Object.keys(stmt);
      const nested = this.findings(tag, unwrap(stmt, tag) ?? {}, text, depth, expression);
      mergeNested(into, nested, planned);
    }
  }

  /** The PL/pgSQL of a DO block or CREATE FUNCTION (`text`), compiled and every piece of SQL in it classified. */
  private plpgsql(into: Findings, text: string, depth: number, planned: boolean): void {
    let compiled = parsePlpgsql(text);
    const retry = !compiled.ok && isUnknownFieldError(compiled.message) && rowTypesAsRecords(text);
    if (retry) compiled = parsePlpgsql(retry);
    if (!compiled.ok && compiled.reason === 'limit') {
      throw new SqlLimitExceeded('maxDepth', this.limits.maxDepth, compiled.message);
    }
    const extracted = compiled.ok
      ? plpgsqlPieces(compiled.functions, () => this.budget.spendNodes(1))
      : { problem: compiled.message };
    if ('problem' in extracted) {
      addUnknown(into, {
        reason: 'unparsed-body',
        message: `runs PL/pgSQL that does not compile (${extracted.problem})`,
      });
      return;
    }
    for (const piece of extracted.pieces) {
      if (piece.executes === undefined) {
        this.sql(into, piece.sql, 'PL/pgSQL', depth, planned, piece.expression);
      } else this.executed(into, piece, depth, planned);
    }
  }

  /**
   * An expression PL/pgSQL runs as SQL: a constant string is SQL like any
   * other (one level deeper); anything else is SQL built at run time. The
   * expression itself is classified too (`EXECUTE format(…, pg_read_file(…))`).
   */
  private executed(into: Findings, piece: PlpgsqlPiece, depth: number, planned: boolean): void {
    const parsed = this.parse(piece.sql);
    const expression = newFindings();
    this.statements(expression, parsed, `${piece.executes} expression`, depth, planned, true);
    mergeNested(into, expression, planned);
    const constant = constantString(parsed.ok ? selectTarget(parsed.statements) : undefined);
    if (constant !== undefined) {
      if (depth + 1 > this.limits.maxCodeDepth) {
        throw new SqlLimitExceeded('maxCodeDepth', this.limits.maxCodeDepth);
      }
      this.sql(into, constant, `${piece.executes} of a constant string`, depth + 1, planned);
      return;
    }
    if (planned || !parsed.ok) return;
    const own = new Set([...expression.functions].map((name) => name.split('.').at(-1)));
    const builders = SQL_BUILDERS.filter((name) => own.has(name));
    addUnknown(into, {
      reason: 'dynamic-sql',
      message:
        `executes SQL built at run time (${piece.executes} of an expression` +
        (builders.length > 0 ? ` built with ${builders.map((b) => `${b}()`).join(', ')})` : ')'),
    });
  }
}

/** The one output expression of `SELECT <expression>`, or undefined for anything else. */
function selectTarget(statements: RawStatement[]): unknown {
  if (statements.length !== 1) return undefined;
  const select = unwrap(statements[0]!.stmt, 'SelectStmt');
  if (select === undefined || select.fromClause !== undefined || select.whereClause !== undefined) {
    return undefined;
  }
  const targets = asArray(select.targetList);
  return targets.length === 1 ? unwrap(targets[0], 'ResTarget')?.val : undefined;
}
