/** Who is asking, as the gateway established it. */
export interface Identity {
  /** Stable subject: `apikey:<name>` for API keys, the token's `sub` for OIDC. */
  subject: string;
  /** Display name (key name, or the user's email or name). */
  name: string;
  kind: 'user' | 'agent';
  /** Which strategy authenticated the caller. */
  method: 'apikey' | 'oidc';
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
