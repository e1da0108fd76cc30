import { HoopError, type ErrorCode } from '../../../lib/errors.js';
import { RESERVED_SUBJECT_HINT } from '../identity.js';

/**
 * Why an OIDC token was refused. Each reason is stable (scripts and the
 * gateway's JSON error bodies carry it as `details.reason`) and maps to the
 * error code thrown for it; several reasons share `HOOP_AUTH_INVALID`.
 */
export const OIDC_REFUSALS = {
  expired: {
    code: 'HOOP_AUTH_EXPIRED',
    hint: 'Run `hoop login` to get a new token.',
  },
  not_yet_valid: {
    code: 'HOOP_AUTH_NOT_YET_VALID',
    hint: 'Check that the clocks of this machine, the gateway and the identity provider agree.',
  },
  unknown_issuer: {
    code: 'HOOP_AUTH_UNKNOWN_ISSUER',
    hint: 'Run `hoop login` against this gateway; tokens from other identity providers are not accepted.',
  },
  wrong_audience: {
    code: 'HOOP_AUTH_WRONG_AUDIENCE',
    hint: 'The token was issued for another application; run `hoop login` against this gateway.',
  },
  bad_signature: {
    code: 'HOOP_AUTH_INVALID',
    hint: 'The token was altered or not issued by the identity provider; run `hoop login`.',
  },
  algorithm_not_allowed: {
    code: 'HOOP_AUTH_INVALID',
    hint: 'Configure the identity provider to sign tokens with an asymmetric algorithm (RS256, ES256, EdDSA …).',
  },
  unknown_key: {
    code: 'HOOP_AUTH_INVALID',
    hint: 'The signing key is not (or no longer) published by the identity provider; run `hoop login`.',
  },
  malformed: {
    code: 'HOOP_AUTH_INVALID',
    hint: 'Send the token exactly as the identity provider issued it, or run `hoop login`.',
  },
  too_large: {
    code: 'HOOP_AUTH_INVALID',
    hint: 'Send the token exactly as the identity provider issued it, or run `hoop login`.',
  },
  revoked: {
    code: 'HOOP_AUTH_REVOKED',
    hint: 'Run `hoop login` to get a new token.',
  },
  delegation_denied: {
    code: 'HOOP_AUTH_DELEGATION_DENIED',
    hint: 'Ask an administrator to allow this agent to act for this subject, or authenticate as the agent itself.',
  },
  reserved_subject: {
    code: 'HOOP_AUTH_RESERVED_SUBJECT',
    hint: RESERVED_SUBJECT_HINT,
  },
  unavailable: {
    code: 'HOOP_AUTH_UNAVAILABLE',
    hint: 'The gateway cannot check tokens right now; try again shortly, or ask an administrator to check the identity provider.',
  },
} as const satisfies Record<string, { code: ErrorCode; hint: string }>;

export type OidcRefusal = keyof typeof OIDC_REFUSALS;

export interface OidcErrorOptions {
  cause?: unknown;
  /** Only from a token whose signature was verified: never log unverified claims. */
  subject?: string;
  jti?: string;
}

/** The HoopError for one refusal; the message must not quote the token or its claims. */
export function oidcError(
  reason: OidcRefusal,
  message: string,
  options: OidcErrorOptions = {},
): HoopError {
  const refusal = OIDC_REFUSALS[reason];
  return new HoopError(refusal.code, message, {
    hint: refusal.hint,
    ...(options.cause === undefined ? {} : { cause: options.cause }),
    details: {
      reason,
      ...(options.subject === undefined ? {} : { subject: options.subject }),
      ...(options.jti === undefined ? {} : { jti: options.jti }),
    },
  });
}

/** The refusal reason of an error thrown by this strategy, if it is one. */
export function refusalReason(error: unknown): OidcRefusal | undefined {
  if (!(error instanceof HoopError)) return undefined;
  const reason = error.details?.['reason'];
  return typeof reason === 'string' && Object.hasOwn(OIDC_REFUSALS, reason)
    ? (reason as OidcRefusal)
    : undefined;
}
