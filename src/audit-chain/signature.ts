import { createHash, createPrivateKey, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { HoopError } from '../lib/errors.js';
import { CHAIN_VERSION } from './canonical.js';
import type { ChainSignature } from './records.js';

/**
 * The bytes a chain signature covers: the scheme, the session, the position
 * and hash of the head, and whether it is the session's end, one per line.
 * Heads are heads whatever kinds of events lead to them: the scheme stays
 * `hoop-audit-v1`.
 */
export function signedMessage(
  sessionId: string,
  seq: number,
  hash: string,
  final: boolean,
): Buffer {
  return Buffer.from(
    `${CHAIN_VERSION}\n${sessionId}\n${seq}\n${hash}\n${final ? 'end' : 'head'}`,
    'utf8',
  );
}

/** First 16 hex digits of SHA-256 of the public key's DER (SPKI): names the key in each signature. */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 16);
}

/** A public key from PEM (SPKI) or from a private key's PEM, for verification. */
export function publicKeyFromPem(pem: string, source: string): KeyObject {
  try {
    const key = pem.includes('PRIVATE KEY')
      ? createPublicKey(createPrivateKey(pem))
      : createPublicKey(pem);
    if (key.asymmetricKeyType === 'ed25519') return key;
  } catch (error) {
    throw new HoopError('HOOP_AUDIT_KEY_INVALID', `${source} is not an Ed25519 key in PEM`, {
      cause: error,
    });
  }
  throw new HoopError('HOOP_AUDIT_KEY_INVALID', `${source} is not an Ed25519 key`);
}

/** Whether `signature` is a valid Ed25519 signature of the head it names. */
export function verifySignature(signature: ChainSignature, publicKey: KeyObject): boolean {
  try {
    return verify(
      null,
      signedMessage(signature.sessionId, signature.seq, signature.hash, signature.final),
      publicKey,
      Buffer.from(signature.signature, 'base64'),
    );
  } catch {
    return false;
  }
}

/**
 * A public key's fingerprint as OpenSSH prints one: `SHA256:` and the
 * unpadded base64 of the SHA-256 of the key's SubjectPublicKeyInfo (DER), so
 * two people can compare the key they each hold by reading a line.
 */
export function publicKeyFingerprint(key: KeyObject): string {
  const spki = key.export({ type: 'spki', format: 'der' });
  return `SHA256:${createHash('sha256').update(spki).digest('base64').replace(/=+$/, '')}`;
}
