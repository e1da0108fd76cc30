import { HoopError } from '../../lib/errors.js';
import type { Logger } from '../logger.js';
import { checkNamespace, type Identity } from './identity.js';
import type { AuthStrategy } from './strategy.js';

export type Authenticator = (authorization: string | undefined) => Promise<Identity>;

export interface AuthenticatorOptions {
  /** Told of tokens refused for claiming another kind of identity's subject (`auth_refused`). */
  log?: Pick<Logger, 'warn'>;
}

/**
 * Builds the gateway's authenticator from its strategies: the first strategy
 * that recognises the token decides. A missing header, a non-Bearer scheme or
 * a token no strategy recognises is refused with its own code and advice.
 * Whatever identity a strategy establishes must lie in its method's
 * namespace (`checkNamespace`); a token refused for that is logged, since it
 * is an identity provider issuing, or someone forging, another kind's subject.
 */
export function createAuthenticator(
  strategies: readonly AuthStrategy[],
  options: AuthenticatorOptions = {},
): Authenticator {
  return async (authorization) => {
    const token = bearerToken(authorization);
    try {
      for (const strategy of strategies) {
        const identity = await strategy.authenticate(token);
        if (identity) return checkNamespace(identity);
      }
    } catch (error) {
      if (error instanceof HoopError && error.code === 'HOOP_AUTH_RESERVED_SUBJECT') {
        // The subject and jti come from a verified token only; never the token itself.
        options.log?.warn(
          {
            event: 'auth_refused',
            code: error.code,
            reason: error.details?.['reason'],
            subject: error.details?.['subject'],
            ...(error.details?.['jti'] === undefined ? {} : { jti: error.details['jti'] }),
          },
          error.message,
        );
      }
      throw error;
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
