import { createHash, type KeyObject } from 'node:crypto';

/**
 * A public key's fingerprint as OpenSSH prints one: `SHA256:` and the
 * unpadded base64 of the SHA-256 of the key's SubjectPublicKeyInfo (DER), so
 * two people can compare the key they each hold by reading a line.
 */
export function publicKeyFingerprint(key: KeyObject): string {
  const spki = key.export({ type: 'spki', format: 'der' });
  return `SHA256:${createHash('sha256').update(spki).digest('base64').replace(/=+$/, '')}`;
}
