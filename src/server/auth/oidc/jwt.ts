import {
  decodeJwt,
  errors,
  jwtVerify,
  type JWSAlgorithm,
  type JWTPayload,
  type JWTVerifyOptions,
} from 'jose';
import { HoopError } from '../../../lib/errors.js';
import { oidcError } from './errors.js';
import { isRecord } from './http.js';
import type { KeyResolver } from './jwks.js';

const SEGMENT = /^[A-Za-z0-9_-]+$/;

/** `typ` values of bearer credentials (RFC 7515 §4.1.9: case-insensitive, `application/` optional). */
const BEARER_TYPES: ReadonlySet<string> = new Set([
  'jwt',
  'application/jwt',
  'at+jwt', // RFC 9068 §2.1
  'application/at+jwt',
]);

/**
 * The protected header of a token shaped like a JWS compact serialization
 * (RFC 7515 §7.1: three base64url parts, the first a JSON object), or
 * `undefined` for anything else, which is then an opaque token. The
 * signature part may be empty so that an unsigned `alg: none` token is still
 * recognised as a JWT, and refused as one.
 */
export function jwtHeader(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [header, payload, signature] = parts as [string, string, string];
  if (!SEGMENT.test(header) || !SEGMENT.test(payload)) return undefined;
  if (signature !== '' && !SEGMENT.test(signature)) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
    return isRecord(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export interface JwtCheck {
  issuer: string;
  audience: string;
  algorithms: readonly string[];
  clockToleranceSeconds: number;
  now: () => number;
  getKey: KeyResolver;
}

export type VerifiedClaims = JWTPayload & { sub: string; exp: number };

/**
 * Verifies a JWT (RFC 7519 §7.2): the algorithm is one of the accepted
 * asymmetric ones, the signature is by a key the issuer publishes, and `iss`,
 * `aud`, `exp`, `nbf` hold, with the clock tolerance. Every refusal is an
 * oidcError with its reason; no message quotes the token's claims.
 */
export async function verifyJwt(
  token: string,
  header: Record<string, unknown>,
  check: JwtCheck,
): Promise<VerifiedClaims> {
  // Checked before any key is looked up: `none`, and HS256 "signed" with the
  // provider's public key as the HMAC secret, never get near a verifier.
  if (typeof header['alg'] !== 'string' || !check.algorithms.includes(header['alg'])) {
    throw oidcError(
      'algorithm_not_allowed',
      `the token's signature algorithm is not accepted (accepted: ${check.algorithms.join(', ')})`,
    );
  }
  // RFC 8725 §3.11 explicit typing: logout tokens (OIDC Back-Channel Logout
  // §2.4, `logout+jwt`), security event tokens and DPoP proofs come from the
  // same issuer with the same keys, but are not credentials.
  if (header['typ'] !== undefined && !BEARER_TYPES.has(String(header['typ']).toLowerCase())) {
    throw oidcError('malformed', 'the token is not an access or ID token (see its "typ" header)');
  }
  // A token from another issuer is refused on its (unverified) `iss` before
  // its unknown kid can make the gateway refetch this issuer's keys.
  let unverified: JWTPayload;
  try {
    unverified = decodeJwt(token);
  } catch {
    throw oidcError('malformed', 'the token is not a well-formed JWT');
  }
  if (unverified.iss !== check.issuer) {
    throw oidcError('unknown_issuer', `the token was not issued by ${check.issuer}`);
  }

  const options: JWTVerifyOptions = {
    issuer: check.issuer,
    audience: check.audience,
    algorithms: check.algorithms as JWSAlgorithm[],
    clockTolerance: check.clockToleranceSeconds,
    currentDate: new Date(check.now()),
    requiredClaims: ['exp', 'sub'],
  };
  let payload: JWTPayload;
  try {
    payload = await verifyWithEveryMatchingKey(token, check.getKey, options);
  } catch (error) {
    throw refusal(error, check);
  }
  if (typeof payload.sub !== 'string' || payload.sub === '') {
    throw oidcError('malformed', 'the token\'s "sub" claim is not a string');
  }
  // RFC 9449 §7.1, RFC 8705 §3: a sender-constrained token is only valid with
  // a proof of its key (DPoP header, client certificate) that a bearer
  // header does not carry.
  if (payload['cnf'] !== undefined) {
    throw oidcError(
      'malformed',
      'the token is bound to a key (DPoP or mutual TLS) and cannot be used as a bearer token',
      verifiedIds(payload),
    );
  }
  return payload as VerifiedClaims;
}

/**
 * A token without a `kid` can match several keys of the set (during a
 * rotation, say); jose then hands them over one by one (see its
 * createLocalJWKSet docs) and the first that verifies wins.
 */
async function verifyWithEveryMatchingKey(
  token: string,
  getKey: KeyResolver,
  options: JWTVerifyOptions,
): Promise<JWTPayload> {
  try {
    return (await jwtVerify(token, getKey, options)).payload;
  } catch (error) {
    if (!(error instanceof errors.JWKSMultipleMatchingKeys)) throw error;
    for await (const key of error) {
      try {
        return (await jwtVerify(token, key, options)).payload;
      } catch (inner) {
        if (!(inner instanceof errors.JWSSignatureVerificationFailed)) throw inner;
      }
    }
    throw new errors.JWSSignatureVerificationFailed();
  }
}

/**
 * Maps jose's errors to refusals. jose's claim errors carry the whole payload
 * (`error.payload`), so they are never attached as a `cause` that a logger
 * could serialise; only the (by then verified) subject and jti are kept.
 */
function refusal(error: unknown, check: JwtCheck): HoopError | unknown {
  if (error instanceof HoopError) return error;
  if (error instanceof errors.JWTExpired) {
    return oidcError('expired', 'the token has expired', verifiedIds(error.payload));
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    const ids = verifiedIds(error.payload);
    switch (error.claim) {
      case 'aud':
        return oidcError(
          'wrong_audience',
          `the token is not meant for this gateway (expected audience ${check.audience})`,
          ids,
        );
      case 'iss':
        return oidcError('unknown_issuer', `the token was not issued by ${check.issuer}`, ids);
      case 'nbf':
        return oidcError('not_yet_valid', 'the token is not valid yet', ids);
      default:
        return oidcError('malformed', `the token has no valid "${error.claim}" claim`, ids);
    }
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return oidcError('bad_signature', 'the token signature does not verify');
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return oidcError(
      'algorithm_not_allowed',
      `the token's signature algorithm is not accepted (accepted: ${check.algorithms.join(', ')})`,
    );
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    return oidcError(
      'unknown_key',
      `the token is signed with a key that ${check.issuer} does not publish`,
    );
  }
  if (error instanceof errors.JWKSInvalid || error instanceof errors.JWKInvalid) {
    return oidcError('unavailable', `${check.issuer} publishes a signing key that cannot be used`);
  }
  if (error instanceof errors.JOSEError) {
    return oidcError('malformed', 'the token is not a well-formed JWT');
  }
  return error;
}

function verifiedIds(payload: JWTPayload): { subject?: string; jti?: string } {
  return {
    ...(typeof payload.sub === 'string' && payload.sub.length <= 256
      ? { subject: payload.sub }
      : {}),
    ...(typeof payload.jti === 'string' && payload.jti.length <= 256 ? { jti: payload.jti } : {}),
  };
}
