import { HoopError } from '../../lib/errors.js';
import type { Identity } from './identity.js';
import type { AuthStrategy } from './strategy.js';

export type Authenticator = (authorization: string | undefined) => Promise<Identity>;

/**
 * Builds the gateway's authenticator from its strategies: the first strategy
 * that recognises the token decides. A missing header, a non-Bearer scheme or
 * a token no strategy recognises is refused with its own code and advice.
 */
export function createAuthenticator(strategies: readonly AuthStrategy[]): Authenticator {
  return async (authorization) => {
    const token = bearerToken(authorization);
    for (const strategy of strategies) {
      const identity = await strategy.authenticate(token);
      if (identity) return identity;
    }
    throw new HoopError('HOOP_AUTH_INVALID', 'the token is not a valid API key or login token', {
      hint: 'Run `hoop login`, or set HOOP_TOKEN to a valid API key.',
    });
  };
}

function bearerToken(authorization: string | undefined): string {
  if (!authorization) {
    throw new HoopError('HOOP_AUTH_MISSING', 'no credentials were sent', {
      hint: 'Run `hoop login`, or set HOOP_TOKEN to an API key.',
    });
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!match?.[1]) {
    throw new HoopError(
      'HOOP_AUTH_INVALID',
      'the Authorization header is not of the form `Bearer <token>`',
      {
        hint: 'Send `Authorization: Bearer <token>`.',
      },
    );
  }
  return match[1];
}
