import type { DelegationRule } from '../config/index.js';

/**
 * Decides RFC 8693 delegation from `auth.delegation`. The chain is checked
 * link by link (§4.1: the outermost `act` is the current actor, nested ones
 * acted before it): the earliest actor must be allowed to act for the
 * subject, and each later actor for the one before it. No rule, no
 * delegation.
 */
export function delegationPolicy(
  rules: readonly DelegationRule[],
): (subject: string, actors: readonly string[]) => boolean {
  const allows = (actor: string, principal: string): boolean =>
    rules.some(
      (rule) =>
        rule.actors.includes(actor) &&
        (rule.subjects.includes('*') || rule.subjects.includes(principal)),
    );
  return (subject, actors) => {
    if (actors.length === 0) return true;
    let principal = subject;
    for (let i = actors.length - 1; i >= 0; i -= 1) {
      const actor = actors[i] as string;
      if (!allows(actor, principal)) return false;
      principal = actor;
    }
    return true;
  };
}
