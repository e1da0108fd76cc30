import type { SqlAnalysis, SqlStatement } from '../enforcement/index.js';
import type { Decision, Policy, PolicyRequest } from './types.js';

/** One statement of a string with the policy's decision for it. */
export interface StatementDecision<S extends SqlStatement = SqlStatement> {
  statement: S;
  decision: Decision;
}

/**
 * How policy decides one SQL string, statement by statement: what the
 * gateway enforces (`sql-decision.ts`) and what `hoop policy test` and
 * `hoop policy explain` report, so the two cannot drift apart.
 */
export type StatementDecisions<S extends SqlStatement = SqlStatement> =
  | {
      /** The string did not parse: decided once as `unparsed`. */
      parsed: false;
      decision: Decision;
    }
  | {
      parsed: true;
      /** Every statement, in order, with its decision. */
      statements: StatementDecision<S>[];
      /**
       * The statement that settles a string not allowed: the first denied
       * one, else the first held for review (deny beats review across the
       * statements of a string, as within a rule set). Absent when every
       * statement is allowed.
       */
      decisive?: number;
    };

/** The policy request for one classified statement. */
export function statementRequest(base: PolicyRequest, statement: SqlStatement): PolicyRequest {
  return {
    ...base,
    action: {
      type: 'sql',
      kinds: statement.kinds,
      tables: statement.tables,
      functions: statement.functions,
      ...(statement.unknown && statement.unknown.length > 0 ? { unknown: statement.unknown } : {}),
    },
  };
}

/**
 * Decides every statement of an analysed string for one session's request
 * (`base`, without an action). Pure: no logging, no I/O.
 */
export function decideStatements<S extends SqlStatement>(
  policy: Policy,
  base: PolicyRequest,
  analysis: { parsed: true; statements: readonly S[] } | Extract<SqlAnalysis, { parsed: false }>,
): StatementDecisions<S> {
  if (!analysis.parsed) {
    return {
      parsed: false,
      decision: policy.decide({
        ...base,
        action: { type: 'sql', kinds: [], tables: [], functions: [], unparsed: true },
      }),
    };
  }
  const statements = analysis.statements.map((statement) => ({
    statement,
    decision: policy.decide(statementRequest(base, statement)),
  }));
  let decisive: number | undefined;
  statements.forEach(({ decision }, index) => {
    if (decision.effect === 'deny' && statements[decisive ?? -1]?.decision.effect !== 'deny') {
      decisive = index;
    } else if (decision.effect === 'review' && decisive === undefined) {
      decisive = index;
    }
  });
  return decisive === undefined
    ? { parsed: true, statements }
    : { parsed: true, statements, decisive };
}
