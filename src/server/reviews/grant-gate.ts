import type { Policy } from '../policy/index.js';
import type { SessionContext } from '../protocols/handler.js';
import type { StatementGate } from '../protocols/postgres/statement-gate.js';
import { sqlPolicyGate } from '../sql-gate.js';
import { policyUnderGrant } from './grant-policy.js';

/**
 * The SQL gate for every session: sessions opened under a grant are decided
 * by the policy as it applies under that grant (its rule's review is what
 * the grant approved); the others by the policy in force.
 */
export function grantAwareGate(
  policy: () => Policy,
  grantRuleOf: (session: SessionContext) => string | undefined,
): StatementGate {
  const plain = sqlPolicyGate(policy);
  const underGrant = new Map<string, StatementGate>();
  return (session, sql) => {
    const rule = grantRuleOf(session);
    if (rule === undefined) return plain(session, sql);
    let gate = underGrant.get(rule);
    if (!gate) {
      gate = sqlPolicyGate(() => policyUnderGrant(policy(), rule));
      underGrant.set(rule, gate);
    }
    return gate(session, sql);
  };
}
