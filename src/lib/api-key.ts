import { createHash, randomBytes } from 'node:crypto';

/** Every API key starts with this, so a leaked key is easy to recognise in scanners and logs. */
export const API_KEY_PREFIX = 'hoop_';

/** A new random API key: 32 bytes from the CSPRNG, base64url. */
export function generateApiKey(): string {
  return API_KEY_PREFIX + randomBytes(32).toString('base64url');
}

/** The form stored in `hoop.yaml`: `sha256:<hex>`; the key itself is never stored. */
export function hashApiKey(key: string): string {
  return `sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}

export function looksLikeApiKey(token: string): boolean {
  return token.startsWith(API_KEY_PREFIX);
}
