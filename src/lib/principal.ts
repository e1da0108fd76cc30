/*
 * Identity namespaces. An identity is how it authenticated (its method) and
 * its subject within that method's namespace:
 *
 * - an API key: method `apikey`, subject `apikey:<name>`;
 * - an identity provider's token (OIDC): method `oidc`, subject the token's
 *   `sub` as issued.
 *
 * The subject prefixes `apikey:` and `oidc:` are reserved: the gateway refuses
 * a provider token whose `sub` (or an actor's `sub`) starts with either, in
 * any case. So a subject names one identity whatever its method, and the
 * principal, the kind-qualified form below, names one identity in every
 * place a person writes one (policy `users:`, `hoop audit list --user`).
 *
 * Records that outlive a request (sessions, reviews, votes) keep the method
 * beside the subject, and identities are compared as pairs
 * ({@link samePrincipal}), so rows written before the reservation existed
 * cannot be taken for another kind's either.
 */

/** How an identity authenticated: each method is its own namespace of subjects. */
export type AuthMethod = 'apikey' | 'oidc';

export const AUTH_METHODS: readonly AuthMethod[] = ['apikey', 'oidc'];

/** The method a record names, or undefined for a value that is none. */
export function asAuthMethod(value: string | null | undefined): AuthMethod | undefined {
  return AUTH_METHODS.find((method) => method === value);
}

/**
 * One identity as records hold it. `method` is undefined only for rows
 * written before identities were namespaced whose kind cannot be known
 * (see {@link legacyMethod}): such a principal is the same as nobody.
 */
export interface Principal {
  readonly method: AuthMethod | undefined;
  readonly subject: string;
}

/** The subject prefix of API keys. */
export const API_KEY_SUBJECT_PREFIX = 'apikey:';
/** The prefix of a provider identity's principal. */
export const OIDC_PRINCIPAL_PREFIX = 'oidc:';

const RESERVED = [API_KEY_SUBJECT_PREFIX, OIDC_PRINCIPAL_PREFIX] as const;

/** The subject of the API key `name`. */
export function apiKeySubject(name: string): string {
  return `${API_KEY_SUBJECT_PREFIX}${name}`;
}

/**
 * The reserved prefix `text` starts with (`apikey:` or `oidc:`, compared
 * without case), or undefined. A provider subject may not start with one.
 */
export function reservedPrefix(text: string): string | undefined {
  const head = text.slice(0, 8).toLowerCase();
  return RESERVED.find((prefix) => head.startsWith(prefix));
}

/** Whether `subject` is a well-formed subject of `method`'s namespace. */
export function inNamespace(method: AuthMethod, subject: string): boolean {
  if (method === 'apikey') {
    return (
      subject.startsWith(API_KEY_SUBJECT_PREFIX) &&
      subject.length > API_KEY_SUBJECT_PREFIX.length &&
      !subject.includes(':', API_KEY_SUBJECT_PREFIX.length)
    );
  }
  return subject !== '' && reservedPrefix(subject) === undefined;
}

/**
 * True when both name the same identity: the same method and the same
 * subject. A principal of unknown method is the same as nobody.
 */
export function samePrincipal(
  a: { readonly method: string | undefined; readonly subject: string },
  b: { readonly method: string | undefined; readonly subject: string },
): boolean {
  return a.method !== undefined && a.method === b.method && a.subject === b.subject;
}

/**
 * The one-string form that names an identity: `apikey:<name>` for an API key
 * (its subject), `oidc:<sub>` for a provider identity; undefined when the
 * method is not known.
 */
export function principalName(principal: Principal): string | undefined {
  switch (principal.method) {
    case 'apikey':
      return principal.subject;
    case 'oidc':
      return `${OIDC_PRINCIPAL_PREFIX}${principal.subject}`;
    default:
      return undefined;
  }
}

/**
 * A name as people read it, with the principal where it says more:
 * `agent-1 (apikey:agent-1)` and `agent-1 (oidc:u-42)` tell an API key from a
 * person who took its name; a row whose kind was not recorded says so.
 */
export function describePrincipal(name: string, principal: Principal): string {
  const full = principalName(principal);
  if (full === undefined) return `${name} (${principal.subject}, kind not recorded)`;
  return full === name ? name : `${name} (${full})`;
}

/**
 * Reads a principal's one-string form: `apikey:<name>` (the prefix in any
 * case; the name as written) or `oidc:<sub>`. Undefined for anything else,
 * which is a bare subject, name or email.
 */
export function parsePrincipal(text: string): Principal | undefined {
  const prefix = reservedPrefix(text);
  if (prefix === API_KEY_SUBJECT_PREFIX) {
    return { method: 'apikey', subject: apiKeySubject(text.slice(prefix.length)) };
  }
  if (prefix === OIDC_PRINCIPAL_PREFIX) {
    return { method: 'oidc', subject: text.slice(prefix.length) };
  }
  return undefined;
}

/**
 * The method of a record written before methods were recorded beside
 * subjects (reviews and votes before store migration 0008): a subject outside
 * the `apikey:` namespace can only have been a provider's, but one inside it
 * may have been an API key's or a provider token's that claimed it, so its
 * method is unknown.
 */
export function legacyMethod(subject: string): AuthMethod | undefined {
  // API keys' subjects were always written with this exact prefix.
  return subject.startsWith(API_KEY_SUBJECT_PREFIX) ? undefined : 'oidc';
}
