import { asArray, unwrap } from '../../../sql/ast.js';
import { classifySql, type ClassifiedStatement } from '../../../sql/index.js';
import { forEachToken } from '../../../sql/lexer.js';
import { parsePlpgsql, parseSql } from '../../../sql/parser.js';
import { isUnknownFieldError, plpgsqlPieces, rowTypesAsRecords } from '../../../sql/plpgsql.js';
import { constantString } from '../../../sql/sql-functions.js';
import type { ReachBuilder } from './reach.js';

/**
 * Catalog text classified as the code it is, into a {@link ReachBuilder}.
 * SQL goes through `classifySql`; PL/pgSQL is compiled with the classifier's
 * PL/pgSQL grammar and each embedded statement and expression classified,
 * as `sql/analysis.ts` does for a CREATE FUNCTION a client sends.
 *
 * That second path repeats `Analysis.plpgsql` from `sql/` (which is not
 * exported, and adds CREATE FUNCTION's own `ddl` to the body's kinds, which
 * cannot then be told from a body that runs DDL). `sql/` should export a
 * `classifyBody({ language, source, definition })` giving the findings of
 * the body alone; this file would then shrink to a call of it.
 */

/** SQL statements (a function body given as a string, a view's query): classified and added. */
export function addSql(into: ReachBuilder, sql: string, deparsed: boolean): void {
  const statements = classified(into, sql);
  // Outside a view (deparsed), SQL text here is a function's body or a string it executes.
  if (statements) into.statements(statements, { deparsed, code: !deparsed });
}

/**
 * An expression the server deparsed (`pg_get_expr`: a default, a check, a
 * policy's USING, an index's expressions as a comma-separated list):
 * classified as `SELECT <expression>`.
 */
export function addExpression(into: ReachBuilder, expression: string): void {
  const statements = classified(into, `SELECT ${expression}`);
  if (statements === undefined) return;
  if (statements.length !== 1) {
    into.opaque('unparsed-body', `runs an expression the gateway cannot read (in ${into.where})`);
    return;
  }
  into.statements(statements, { deparsed: true, expression: true });
}

/**
 * A SQL function with a BEGIN ATOMIC or RETURN body, from
 * `pg_get_functiondef`: the CREATE FUNCTION is classified whole (its
 * parameters' defaults included) and its own `ddl` left out. Such a body
 * holds no utility statement (PostgreSQL refuses one: "… is not yet
 * supported in unquoted SQL function body"), so no other `ddl` can be
 * among its kinds.
 */
export function addAtomicFunction(into: ReachBuilder, definition: string): void {
  const statements = classified(into, definition);
  if (statements) into.statements(statements, { deparsed: true, ownKind: 'ddl', code: true });
}

/**
 * A rule from `pg_get_ruledef` (ruleutils.c, make_ruledef):
 * `CREATE RULE name AS ON event TO table [WHERE qual] DO [INSTEAD] action`,
 * the action `NOTHING`, one statement, or `( s1; s2; )`. The whole CREATE
 * RULE gives what the qualification and actions call; the actions alone
 * give the relations, so that the rule's own table is not taken as written
 * by them. A rule's actions are SELECT, INSERT, UPDATE, DELETE or NOTIFY,
 * so CREATE RULE's own `ddl` is the only one left out.
 */
export function addRule(into: ReachBuilder, definition: string): void {
  const whole = classified(into, definition);
  if (whole === undefined) return;
  const text = ruleActions(definition);
  const actions = text === undefined ? undefined : text === '' ? [] : classified(into, text);
  into.statements(whole, {
    deparsed: true,
    ownKind: 'ddl',
    ...(actions === undefined ? {} : { relations: actions }),
  });
}

/** A trigger's WHEN condition, from `pg_get_triggerdef`: only what it calls runs. */
export function addTriggerCondition(into: ReachBuilder, definition: string): void {
  const statements = classified(into, definition);
  if (statements) into.statements(statements, { deparsed: true, callsOnly: true });
}

/**
 * A PL/pgSQL function or procedure from `pg_get_functiondef` (its real
 * parameters and return type, so that NEW and OLD of a trigger function and
 * assignments to parameters compile), every embedded statement and
 * expression classified. Expressions run as SQL (EXECUTE …) are SQL when
 * they are constant strings, and SQL built at run time otherwise.
 */
export function addPlpgsqlFunction(into: ReachBuilder, definition: string): void {
  let compiled = parsePlpgsql(definition);
  const retry =
    !compiled.ok && isUnknownFieldError(compiled.message) && rowTypesAsRecords(definition);
  if (retry) compiled = parsePlpgsql(retry);
  if (!compiled.ok) {
    into.opaque(
      'unparsed-body',
      `runs ${into.where}, whose PL/pgSQL does not compile (${compiled.message})`,
    );
    return;
  }
  const extracted = plpgsqlPieces(compiled.functions, () => {});
  if ('problem' in extracted) {
    into.opaque(
      'unparsed-body',
      `runs ${into.where}, whose PL/pgSQL does not compile (${extracted.problem})`,
    );
    return;
  }
  for (const piece of extracted.pieces) {
    const statements = classified(into, piece.sql);
    if (statements === undefined) continue;
    into.statements(statements, { deparsed: false, expression: piece.expression, code: true });
    if (piece.executes === undefined) continue;
    const constant = executedConstant(piece.sql);
    if (constant !== undefined) {
      addSql(into, constant, false);
      continue;
    }
    const builders = SQL_BUILDERS.filter((name) =>
      statements.some((statement) =>
        statement.functions.some((f) => f === name || f.endsWith(`.${name}`)),
      ),
    );
    into.unknown({
      reason: 'dynamic-sql',
      message:
        `executes SQL built at run time (${piece.executes} of an expression` +
        (builders.length > 0 ? ` built with ${builders.map((b) => `${b}()`).join(', ')})` : ')'),
    });
  }
}

/** Functions that build SQL text from pieces, named when they feed an EXECUTE (as `sql/analysis.ts`). */
const SQL_BUILDERS = ['format', 'quote_ident', 'quote_literal', 'quote_nullable', 'concat'];

/** The classified statements of `sql`, or undefined after recording why there are none. */
function classified(into: ReachBuilder, sql: string): ClassifiedStatement[] | undefined {
  const classification = classifySql(sql);
  if (classification.ok) return classification.statements;
  const { message } = classification.error;
  if (classification.reason === 'limit') {
    into.opaque('limit', `runs ${into.where}, beyond the classifier's limits (${message})`);
  } else {
    into.opaque('unparsed-body', `runs ${into.where}, which does not parse (${message})`);
  }
  return undefined;
}

/** `SELECT '<constant>'`: the string EXECUTE runs; undefined for anything else. */
function executedConstant(sql: string): string | undefined {
  const parsed = parseSql(sql);
  if (!parsed.ok || parsed.statements.length !== 1) return undefined;
  const select = unwrap(parsed.statements[0]!.stmt, 'SelectStmt');
  if (select === undefined || select.fromClause !== undefined || select.whereClause !== undefined) {
    return undefined;
  }
  const targets = asArray(select.targetList);
  return targets.length === 1 ? constantString(unwrap(targets[0], 'ResTarget')?.val) : undefined;
}

/**
 * The actions of a deparsed CREATE RULE: the text after its first `DO`
 * keyword at the top level (DO is reserved, so the qualification cannot hold
 * one outside a string or quoted name, which are single tokens), without
 * INSTEAD, the statement's `;` and the parentheses around several actions
 * (written `( a1; a2; )`). Empty for DO INSTEAD NOTHING; undefined when no
 * DO is found.
 */
export function ruleActions(definition: string): string | undefined {
  let depth = 0;
  let start: number | undefined;
  let sawDo = false;
  forEachToken(definition, (from, to, kind) => {
    const token = definition.slice(from, to);
    if (kind === 'punctuation' && token === '(') depth++;
    else if (kind === 'punctuation' && token === ')') depth--;
    if (kind !== 'word') {
      if (sawDo) start = from;
      return !sawDo;
    }
    const word = token.toLowerCase();
    if (!sawDo) {
      sawDo = depth === 0 && word === 'do';
      return true;
    }
    if (word === 'instead' || word === 'also') return true;
    start = from;
    return false;
  });
  if (start === undefined) return undefined;
  let actions = definition.slice(start).trim();
  if (actions.endsWith(';')) actions = actions.slice(0, -1).trim();
  if (/^nothing$/i.test(actions)) return '';
  if (actions.startsWith('(') && /;\s*\)$/.test(actions)) actions = actions.slice(1, -1);
  return actions;
}
