import type {
  Allowed,
  AppliedMask,
  Decision,
  MaskPlan,
  RunSql,
  SqlRecord,
  SqlStatement,
} from '../enforcement/index.js';
import { maskedUse } from './masked-uses.js';
import { MESSAGES } from './messages.js';
import { decideStatements } from './statement-decisions.js';
import type {
  Decision as RuleDecision,
  MaskDirective,
  Policy,
  PolicyRequest,
  ReviewRequirement,
} from './types.js';

/**
 * How the gateway decides one SQL string: every statement in it by policy
 * (`decideStatements`), then the string as a whole. One denied statement
 * refuses the whole string, so nothing in it runs. A string that does not
 * parse is decided as `unparsed`, which policy refuses whenever a rule would
 * have needed its classification (fail closed).
 *
 * An allowed string carries the mask rules of all its statements (masks
 * accumulate), each with the tables of the statements it matched, and the
 * lineage of every statement's output columns, so the result masker can
 * trace expressions back to the columns they derive from. A string that
 * needs a review is held with the decision that applies once approved;
 * statements that need reviews by different rules are refused together
 * (one review approves one requirement).
 *
 * Pure; `onStatement` hears each statement's decision (for debug logs).
 */
export function decideSql(
  policy: Policy,
  base: PolicyRequest,
  action: RunSql,
  onStatement?: (statement: SqlStatement, decision: RuleDecision) => void,
): Decision {
  const decided = decideStatements(policy, base, action.analysis);
  if (!decided.parsed) {
    const { decision } = decided;
    const analysis = action.analysis as Extract<RunSql['analysis'], { parsed: false }>;
    const record: SqlRecord = {
      type: 'sql',
      text: action.text,
      kinds: [],
      tables: [],
      decision: decision.effect === 'allow' && analysis.reason === 'syntax' ? 'allow' : 'deny',
      policyHash: policy.hash,
      ...(decision.rule === undefined ? {} : { rule: decision.rule }),
    };
    // Past an explicit limit on untrusted input: never forwarded, whatever the rules.
    if (analysis.reason === 'limit') {
      return {
        effect: 'deny',
        reason: 'limit',
        message: `hoop: ${analysis.error.message}${analysis.error.code ? ` (${analysis.error.code})` : ''}`,
        record,
      };
    }
    // An unparsable string that policy lets through reaches the target, whose own syntax error is exact.
    if (decision.effect === 'allow') {
      return allowed(
        decision.masks.map((mask) => applied(mask, [], true)),
        undefined,
        record,
        decision.timed === true,
      );
    }
    // A rule needed to know what it does: the client is told why it does not parse, never
    // "refused by" a rule that may have nothing to do with it (the record names the rule).
    if (decision.message === MESSAGES.unclassified) {
      return {
        effect: 'deny',
        reason: 'syntax',
        message: analysis.error.message,
        ...(analysis.error.position === undefined ? {} : { position: analysis.error.position }),
        ...(decision.rule === undefined ? {} : { rule: decision.rule }),
        record,
      };
    }
    return {
      effect: 'deny',
      reason: 'policy',
      message: refusal(decision.rule, decision.message, 'the statement could not be classified'),
      ...(decision.rule === undefined ? {} : { rule: decision.rule }),
      record,
    };
  }
  const masks = new Map<string, AppliedMask>();
  const lineage = decided.statements.map(({ statement }) => statement.lineage);
  const kinds = new Set<string>();
  const tables = new Set<string>();
  const rules = new Set<string>();
  const fingerprint = decided.statements.map(({ statement }) => statement.fingerprint).join('; ');
  let review: ReviewRequirement | undefined;
  const record = (effect: 'allow' | 'deny'): SqlRecord => ({
    type: 'sql',
    text: action.text,
    fingerprint,
    kinds: [...kinds],
    tables: [...tables],
    decision: effect,
    policyHash: policy.hash,
    ...(rules.size > 0 ? { rule: [...rules].join(', ') } : {}),
  });
  const refuse = (rule: string | undefined, message: string): Decision => ({
    effect: 'deny',
    reason: 'policy',
    message,
    ...(rule === undefined ? {} : { rule }),
    record: record('deny'),
  });
  for (const [index, { statement, decision }] of decided.statements.entries()) {
    onStatement?.(statement, decision);
    for (const kind of statement.kinds) kinds.add(kind);
    for (const table of statement.tables) tables.add(table);
    if (index === decided.decisive && decision.effect !== 'review') {
      // The refusal is the denying rule's alone.
      rules.clear();
      if (decision.rule) rules.add(decision.rule);
      return refuse(
        decision.rule,
        refusal(decision.rule, decision.message, 'no policy rule allows it'),
      );
    }
    if (decision.effect === 'review' && decision.review) {
      // One review approves one requirement: statements that need reviews
      // by different rules are refused together (fail closed).
      if (review && review.rule !== decision.review.rule) {
        rules.clear();
        rules.add(review.rule).add(decision.review.rule);
        return refuse(
          decision.review.rule,
          refusal(
            decision.review.rule,
            undefined,
            `this string also needs a review by rule "${review.rule}"; send its statements separately`,
          ),
        );
      }
      review ??= decision.review;
    } else if (decision.effect !== 'allow') continue;
    // A masked column may leave only as masked output: other uses the mask rule does not allow refuse the string.
    const misuse = maskedUse(statement, decision.masks);
    if (misuse) {
      rules.clear();
      rules.add(misuse.rule);
      return refuse(misuse.rule, refusal(misuse.rule, misuse.message, ''));
    }
    if (decision.rule) rules.add(decision.rule);
    for (const mask of decision.masks) {
      const known = masks.get(mask.rule);
      masks.set(
        mask.rule,
        known
          ? {
              ...known,
              tables: [...new Set([...known.tables, ...statement.tables])],
              ...(known.tablesUnknown || readsUnnamed(statement) ? { tablesUnknown: true } : {}),
            }
          : applied(mask, statement.tables, readsUnnamed(statement)),
      );
    }
  }
  const timed = decided.statements.some(({ decision }) => decision.timed);
  const approved = allowed([...masks.values()], lineage, record('allow'), timed);
  if (!review) return approved;
  return {
    effect: 'review',
    ...(timed ? { timed: true as const } : {}),
    hold: {
      requirement: review,
      policyHash: policy.hash,
      text: action.text,
      fingerprint,
      approved,
    },
    message: refusal(
      review.rule,
      undefined,
      `the statement needs a review by ${review.approvers.join(', ')}, and this session cannot wait for one`,
    ),
    record: record('deny'),
  };
}

function allowed(
  masks: AppliedMask[],
  lineage: MaskPlan['lineage'],
  record: SqlRecord,
  timed = false,
): Allowed {
  const clock = timed ? { timed: true as const } : {};
  if (masks.length === 0) return { effect: 'allow', record, ...clock };
  const plan: MaskPlan = lineage ? { masks, lineage } : { masks };
  return { effect: 'allow', masks: plan, record, ...clock };
}

/**
 * A FETCH (or MOVE) returns rows of a cursor's query, which it does not
 * name: what its values derive from is unknown (fail closed).
 */
function readsUnnamed(statement: { kinds: readonly string[] }): boolean {
  return statement.kinds.includes('cursor');
}

function applied(
  mask: MaskDirective,
  tables: readonly string[],
  tablesUnknown: boolean,
): AppliedMask {
  return {
    rule: mask.rule,
    columns: mask.columns,
    detectors: mask.detectors,
    ...(mask.hashAllowed === undefined ? {} : { hashAllowed: mask.hashAllowed }),
    ...(mask.allow === undefined ? {} : { allow: mask.allow }),
    tables,
    ...(tablesUnknown ? { tablesUnknown } : {}),
  };
}

/** The client's error text: who refused and why ("the message names the rule"). */
export function refusal(
  rule: string | undefined,
  message: string | undefined,
  fallback: string,
): string {
  const why = message ?? fallback;
  return rule
    ? `hoop: refused by policy rule "${rule}": ${why}`
    : `hoop: refused by policy: ${why}`;
}
