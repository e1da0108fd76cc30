import type { MaskDirective, Policy, PolicyRequest, ReviewRequirement } from '../policy/index.js';
import { decideStatements } from '../policy/index.js';
import { classifySql, toAnalysis } from '../sql/index.js';
import type { StatementKind } from '../sql/types.js';

/** One statement of an evaluated string: what the parser found and what policy decided. */
export interface EvaluatedStatement {
  text: string;
  kinds: StatementKind[];
  tables: string[];
  functions: string[];
  effect: 'allow' | 'deny' | 'review';
  rule?: string;
  /** Every rule that matched the statement, in policy order. */
  matched: string[];
}

/**
 * How the gateway decides one request: opening a session, or a SQL string
 * statement by statement through the gateway's own `decideStatements`.
 */
export interface Evaluation {
  effect: 'allow' | 'deny' | 'review';
  /** The deciding rule: the refusing or holding one, else the allowing ones (`a, b`); absent for the default deny. */
  rule?: string;
  message?: string;
  review?: ReviewRequirement;
  /** Mask rules that apply to what runs (none when refused), once each, in order. */
  masks: MaskDirective[];
  /** Every rule that matched any part of the request, in policy order. */
  matched: string[];
  /** For SQL: each statement. */
  statements?: EvaluatedStatement[];
  /** For SQL that does not parse: the parser's error. */
  parseError?: { message: string; position?: number };
}

/**
 * Evaluates a request; `sql` undefined means opening a session. The SQL
 * parser must be initialised (`initSqlParser`).
 */
export function evaluate(policy: Policy, base: PolicyRequest, sql?: string): Evaluation {
  if (sql === undefined) {
    const decision = policy.decide(base);
    return {
      effect: decision.effect,
      ...(decision.rule === undefined ? {} : { rule: decision.rule }),
      ...(decision.message === undefined ? {} : { message: decision.message }),
      ...(decision.review === undefined ? {} : { review: decision.review }),
      masks: [],
      matched: decision.matched,
    };
  }
  const classification = classifySql(sql);
  const decided = decideStatements(policy, base, toAnalysis(classification));
  if (!decided.parsed) {
    const { decision } = decided;
    return {
      effect: decision.effect,
      ...(decision.rule === undefined ? {} : { rule: decision.rule }),
      ...(decision.message === undefined ? {} : { message: decision.message }),
      ...(decision.review === undefined ? {} : { review: decision.review }),
      masks: decision.effect === 'deny' ? [] : decision.masks,
      matched: decision.matched,
      statements: [],
      ...(classification.ok ? {} : { parseError: classification.error }),
    };
  }
  const statements = decided.statements.map(({ statement, decision }) => ({
    text: statement.text,
    kinds: statement.kinds,
    tables: statement.tables,
    functions: statement.functions,
    effect: decision.effect,
    ...(decision.rule === undefined ? {} : { rule: decision.rule }),
    matched: decision.matched,
  }));
  const order = new Map(policy.rules.map((rule, index) => [rule.name, index]));
  const matched = unique(decided.statements.flatMap(({ decision }) => decision.matched)).sort(
    (a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0),
  );
  const decisive =
    decided.decisive === undefined ? undefined : decided.statements[decided.decisive]!.decision;
  const masks = new Map<string, MaskDirective>();
  if (decisive?.effect !== 'deny') {
    for (const { decision } of decided.statements) {
      for (const mask of decision.masks) if (!masks.has(mask.rule)) masks.set(mask.rule, mask);
    }
  }
  if (decisive !== undefined) {
    return {
      effect: decisive.effect,
      ...(decisive.rule === undefined ? {} : { rule: decisive.rule }),
      ...(decisive.message === undefined ? {} : { message: decisive.message }),
      ...(decisive.review === undefined ? {} : { review: decisive.review }),
      masks: [...masks.values()],
      matched,
      statements,
    };
  }
  const allowing = unique(decided.statements.flatMap(({ decision }) => decision.rule ?? []));
  return {
    effect: 'allow',
    ...(allowing.length === 0 ? {} : { rule: allowing.join(', ') }),
    masks: [...masks.values()],
    matched,
    statements,
  };
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}
