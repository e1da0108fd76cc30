import type { Identity } from '../identity.js';
import { oidcError } from './errors.js';
import { isRecord } from './http.js';

/**
 * The identity an OIDC token establishes. The extra fields belong in
 * `Identity` itself (see the report for issue 3); they live here until then.
 */
export interface OidcIdentity extends Identity {
  method: 'oidc';
  /** Whether a signed JWT or an opaque token (checked at the userinfo endpoint) established it. */
  tokenKind: 'jwt' | 'opaque';
}

/**
 * The value at a claim path. A claim name may itself contain dots (Auth0's
 * namespaced `https://example.com/groups`), so at every level the longest
 * key that exists wins: the whole remaining path first, then shorter dotted
 * prefixes (`realm_access.roles` for Keycloak). Own properties only.
 */
export function claimAt(claims: Record<string, unknown>, path: string): unknown {
  if (Object.hasOwn(claims, path)) return claims[path];
  for (let dot = path.lastIndexOf('.'); dot > 0; dot = path.lastIndexOf('.', dot - 1)) {
    const head = path.slice(0, dot);
    const next = Object.hasOwn(claims, head) ? claims[head] : undefined;
    if (isRecord(next)) {
      const found = claimAt(next, path.slice(dot + 1));
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** Groups from the claim at `path`: an array of strings, or one string; anything else is no groups. */
export function groupsAt(claims: Record<string, unknown>, path: string): string[] {
  const value = claimAt(claims, path);
  if (typeof value === 'string') return value === '' ? [] : [value];
  if (!Array.isArray(value)) return [];
  return [
    ...new Set(value.filter((item): item is string => typeof item === 'string' && item !== '')),
  ];
}

/**
 * The actor chain of an RFC 8693 §4.1 `act` claim, current actor first:
 * `act: { sub: 'agent-1', act: { sub: 'agent-0' } }` → `['agent-1', 'agent-0']`.
 * `undefined` when the token is not delegated; a malformed or overly deep
 * chain is refused.
 */
export function actorChain(
  claims: Record<string, unknown>,
  maxDepth: number,
): string[] | undefined {
  if (claims['act'] === undefined) return undefined;
  const actors: string[] = [];
  let act: unknown = claims['act'];
  while (act !== undefined) {
    if (!isRecord(act) || typeof act['sub'] !== 'string' || act['sub'] === '') {
      throw oidcError('malformed', 'the token\'s "act" (actor) claim has no subject');
    }
    if (actors.length === maxDepth) {
      throw oidcError('malformed', `the token's actor chain is longer than ${maxDepth}`);
    }
    actors.push(act['sub']);
    act = act['act'];
  }
  return actors;
}

/**
 * True for a token the provider issued to a client for itself (OAuth 2.0
 * client-credentials grant) rather than to a person. Providers say so in
 * different ways:
 * - RFC 9068 §2.2 (Okta, oidc-provider, …): `sub` is the client's id
 *   (`client_id`, `azp`, Okta's `cid`, Entra's `appid`);
 * - Auth0: `gty: "client-credentials"`;
 * - Entra ID: `idtyp: "app"`;
 * - Keycloak: the service-account user, `preferred_username: "service-account-<client>"`.
 */
export function isClientToken(claims: Record<string, unknown>): boolean {
  const sub = claims['sub'];
  if (claims['gty'] === 'client-credentials' || claims['idtyp'] === 'app') return true;
  for (const key of ['client_id', 'azp', 'cid', 'appid']) {
    if (typeof claims[key] === 'string' && claims[key] === sub) return true;
  }
  const azp = claims['azp'] ?? claims['client_id'];
  return typeof azp === 'string' && claims['preferred_username'] === `service-account-${azp}`;
}

export interface IdentityOptions {
  groupsClaim: string;
  tokenKind: 'jwt' | 'opaque';
  actors?: string[];
  expiresAt?: Date;
  issuedAt?: Date;
}

/** The identity for verified claims (a JWT's payload or a userinfo response) that carry a `sub`. */
export function identityFromClaims(
  claims: Record<string, unknown> & { sub: string },
  options: IdentityOptions,
): OidcIdentity {
  const agent = isClientToken(claims);
  // An address the provider says it has not verified could be anyone's, and
  // policies match on it: drop it (OIDC Core §5.1 `email_verified`).
  const email =
    !agent && typeof claims['email'] === 'string' && claims['email_verified'] !== false
      ? claims['email']
      : undefined;
  const name = agent
    ? firstString(claims, ['client_id', 'azp', 'cid', 'appid'])
    : (email ?? firstString(claims, ['preferred_username', 'name']));
  const jti = typeof claims['jti'] === 'string' ? claims['jti'] : undefined;
  return {
    subject: claims.sub,
    name: name ?? claims.sub,
    // The caller of a delegated token is the actor, an agent, whoever it acts for.
    kind: agent || options.actors ? 'agent' : 'user',
    method: 'oidc',
    groups: groupsAt(claims, options.groupsClaim),
    ...(email === undefined ? {} : { email }),
    ...(options.expiresAt ? { expiresAt: options.expiresAt } : {}),
    ...(options.issuedAt ? { issuedAt: options.issuedAt } : {}),
    tokenKind: options.tokenKind,
    ...(options.actors ? { actors: options.actors } : {}),
    ...(jti === undefined ? {} : { jti }),
  };
}

function firstString(claims: Record<string, unknown>, keys: string[]): string | undefined {
  for (const key of keys) {
    const value = claims[key];
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}
