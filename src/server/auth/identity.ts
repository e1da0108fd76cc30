import { HoopError } from '../../lib/errors.js';
import { inNamespace, reservedPrefix, type AuthMethod } from '../../lib/principal.js';

/** Who is asking, as the gateway established it. */
export interface Identity {
  /**
   * Stable subject within `method`'s namespace: `apikey:<name>` for API keys,
   * the token's `sub` for OIDC, which never starts with `apikey:` or `oidc:`
   * (src/lib/principal.ts). Compare identities with `samePrincipal`.
   */
  subject: string;
  /** Display name (key name, or the user's email or name). */
  name: string;
  kind: 'user' | 'agent';
  /** Which strategy authenticated the caller: the namespace `subject` lives in. */
  method: AuthMethod;
  groups: string[];
  email?: string;
  /** When the credential stops being valid, if it does. */
  expiresAt?: Date;
  /** When the credential was issued (a JWT's `iat`): tells a refreshed token from a replayed one. */
  issuedAt?: Date;
  /** RFC 8693 §4.1 delegation: who acts for `subject`, the current actor first. Recorded on the session. */
  actors?: string[];
  /** The token's `jti`, for audit; with the subject, the only token content that is logged. */
  jti?: string;
}

/** True when the identity may use a resource open to `groups`. */
export function sharesGroup(identity: Identity, groups: readonly string[]): boolean {
  return identity.groups.some((group) => groups.includes(group));
}

/** What a caller refused for a reserved subject is told to do. */
export const RESERVED_SUBJECT_HINT =
  'An identity of one kind cannot pass for another: an administrator must change the subject where it is issued (the gateway reserves apikey: and oidc: for its own names).';

/**
 * Why a subject and actor chain are not in `method`'s namespace, or
 * undefined when they are: an API key's subject must be `apikey:<name>`; a
 * provider's, and every actor's (actors are always provider identities), may
 * not start with `apikey:` or `oidc:` in any case.
 */
export function namespaceProblem(
  method: AuthMethod,
  subject: string,
  actors: readonly string[] = [],
): string | undefined {
  if (!inNamespace(method, subject)) {
    return method === 'apikey'
      ? 'the API key identity has no apikey:<name> subject'
      : `the token's subject ${reserved(subject)}`;
  }
  const actor = actors.find((candidate) => !inNamespace('oidc', candidate));
  return actor === undefined ? undefined : `the token's actor (act) subject ${reserved(actor)}`;
}

function reserved(subject: string): string {
  const prefix = reservedPrefix(subject);
  return prefix === undefined
    ? 'is empty'
    : `starts with "${prefix}", which the gateway reserves: a provider identity cannot take it`;
}

/**
 * Refuses an identity whose subject is not in its method's namespace (see
 * {@link namespaceProblem}). Every identity a strategy establishes passes
 * here before the gateway uses it, so no strategy, present or future, can
 * make one kind of identity pass for another.
 *
 * @throws HoopError `HOOP_AUTH_RESERVED_SUBJECT` (`details.reason`
 *   `reserved_subject`).
 */
export function checkNamespace(identity: Identity): Identity {
  const problem = namespaceProblem(identity.method, identity.subject, identity.actors);
  if (problem === undefined) return identity;
  throw new HoopError('HOOP_AUTH_RESERVED_SUBJECT', problem, {
    hint: RESERVED_SUBJECT_HINT,
    details: {
      reason: 'reserved_subject',
      subject: identity.subject,
      ...(identity.jti === undefined ? {} : { jti: identity.jti }),
    },
  });
}
