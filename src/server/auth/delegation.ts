import { parsePrincipal } from '../../lib/principal.js';
import type { DelegationRule } from '../config/index.js';

/**
 * Decides RFC 8693 delegation from `auth.delegation`. The chain is checked
 * link by link (§4.1: the outermost `act` is the current actor, nested ones
 * acted before it): the earliest actor must be allowed to act for the
 * subject, and each later actor for the one before it. No rule, no
 * delegation.
 *
 * Everyone in a chain is a provider identity: rules name them by `sub`, or
 * by principal (`oidc:<sub>`). An API key (`apikey:<name>`) is never in a
 * chain, so such an entry matches nothing.
 */
export function delegationPolicy(
  rules: readonly DelegationRule[],
): (subject: string, actors: readonly string[]) => boolean {
  const compiled = rules.map((rule) => ({
    actors: new Set(rule.actors.flatMap(providerSubject)),
    anyone: rule.subjects.includes('*'),
    subjects: new Set(rule.subjects.flatMap(providerSubject)),
  }));
  const allows = (actor: string, principal: string): boolean =>
    compiled.some(
      (rule) => rule.actors.has(actor) && (rule.anyone || rule.subjects.has(principal)),
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

/** The provider subject a rule entry names: none for an API key's principal. */
function providerSubject(entry: string): string[] {
  const named = parsePrincipal(entry);
  if (named === undefined) return [entry];
  return named.method === 'oidc' ? [named.subject] : [];
}
