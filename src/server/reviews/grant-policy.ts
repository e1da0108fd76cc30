import { parseDuration } from '../../lib/duration.js';
import {
  DEFAULT_REVIEW_TIMEOUT_MS,
  type Decision,
  type Policy,
  type ReviewRequirement,
  type Rule,
} from '../policy/index.js';

/**
 * A `review` rule whose match says nothing of statements, tables or
 * functions applies to opening a session: the connection can be opened only
 * under an approved grant (time-bound access).
 */
export function isSessionRule(rule: Rule): boolean {
  return (
    rule.effect === 'review' &&
    rule.match.statements === undefined &&
    rule.match.tables === undefined &&
    rule.match.functions === undefined
  );
}

/** The grant rule that decided `decision`, when it is one. */
export function grantRuleOf(policy: Policy, decision: Decision): Rule | undefined {
  if (decision.effect !== 'review' || decision.review === undefined) return undefined;
  const rule = policy.rules.find((candidate) => candidate.name === decision.review?.rule);
  return rule && isSessionRule(rule) ? rule : undefined;
}

/**
 * The policy as it applies inside a session opened under a grant of `rule`:
 * the grant stands for that rule's review, and every other rule decides as
 * before (a deny still refuses, another review still holds, and without an
 * allow the default deny still applies). Pure; the wrapped policy's cache is
 * used for the first decision, the rest is a walk over `matched`.
 */
export function policyUnderGrant(policy: Policy, rule: string): Policy {
  const rules = new Map(policy.rules.map((candidate) => [candidate.name, candidate]));
  const decide = (request: Parameters<Policy['decide']>[0]): Decision => {
    const decision = policy.decide(request);
    if (decision.effect !== 'review' || decision.review?.rule !== rule) return decision;
    for (const name of decision.matched) {
      if (name === rule) continue;
      const other = rules.get(name);
      if (other?.effect === 'review' && other.review) {
        return {
          ...decision,
          rule: other.name,
          review: requirementOf(other),
          ...(other.message === undefined ? {} : { message: other.message }),
        };
      }
    }
    const allow = decision.matched.find((name) => rules.get(name)?.effect === 'allow');
    const { review: _granted, message: _message, ...rest } = decision;
    return allow === undefined
      ? { ...rest, effect: 'deny', rule: undefined, message: 'no policy rule allows this request' }
      : { ...rest, effect: 'allow', rule: allow };
  };
  return { ...policy, decide };
}

/** A review rule's requirement, as the engine derives it. */
export function requirementOf(rule: Rule): ReviewRequirement {
  return {
    rule: rule.name,
    approvers: [...(rule.review?.approvers ?? [])],
    approvals: rule.review?.approvals ?? 1,
    timeoutMs:
      rule.review?.timeout === undefined
        ? DEFAULT_REVIEW_TIMEOUT_MS
        : parseDuration(rule.review.timeout),
  };
}
