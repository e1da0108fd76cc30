import type { Identity } from './identity.js';

/**
 * One way of authenticating a bearer token (API keys, OIDC JWTs …). A
 * strategy returns `undefined` for a token it does not recognise, so the next
 * one can try; it throws a HoopError (`HOOP_AUTH_INVALID`, with the reason)
 * for a token it recognises and refuses.
 */
export interface AuthStrategy {
  readonly name: string;
  authenticate(token: string): Promise<Identity | undefined>;
}
