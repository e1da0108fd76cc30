import type { Decision, Policy, PolicyRequest } from './policy/index.js';
import type { Classification, ClassifiedStatement } from './sql/types.js';

/** One statement of a string with the policy's decision for it. */
export interface StatementDecision {
  statement: ClassifiedStatement;
  decision: Decision;
}

/**
 * How policy decides one SQL string, statement by statement: what the SQL
 * gate enforces and what `hoop policy test` and `hoop policy explain` report,
 * so the two cannot drift apart.
 */
export type SqlDecision =
  | {
      /** The string did not parse: decided once as `unparsed`. */
      parsed: false;
      decision: Decision;
    }
  | {
      parsed: true;
      /** Every statement, in order, with its decision. */
      statements: StatementDecision[];
      /**
       * The statement that settles a string not allowed: the first denied
       * one, else the first held for review (deny beats review across the
       * statements of a string, as within a rule set). Absent when every
       * statement is allowed.
       */
      decisive?: number;
    };

/** The policy request for one classified statement. */
export function statementRequest(
  base: PolicyRequest,
  statement: ClassifiedStatement,
): PolicyRequest {
  return {
    ...base,
    action: {
      type: 'sql',
      kinds: statement.kinds,
      tables: statement.tables,
      functions: statement.functions,
    },
  };
}

/**
 * Decides every statement of a classified string for one session's request
 * (`base`, without an action). Pure: no logging, no I/O.
 */
export function decideSql(
  policy: Policy,
  base: PolicyRequest,
  classification: Classification,
): SqlDecision {
  if (!classification.ok) {
    return {
      parsed: false,
      decision: policy.decide({
        ...base,
        action: { type: 'sql', kinds: [], tables: [], functions: [], unparsed: true },
      }),
    };
  }
  const statements = classification.statements.map((statement) => ({
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
