import { constants, createHash, publicEncrypt } from 'node:crypto';
import { ed25519Sign } from './ed25519.js';

/**
 * The answers to the target's authentication methods, computed from the
 * stored password and the scramble the target sent. Pure functions: the
 * login code drives the exchange.
 */

function sha1(...parts: Uint8Array[]): Buffer {
  const h = createHash('sha1');
  for (const p of parts) h.update(p);
  return h.digest();
}

function sha256(...parts: Uint8Array[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.allocUnsafe(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i % b.length]!;
  return out;
}

/** The first 20 bytes of a scramble: what the hash-based methods use. */
function nonce(scramble: Buffer): Buffer {
  return scramble.subarray(0, 20);
}

/**
 * mysql_native_password: SHA1(password) XOR SHA1(scramble + SHA1(SHA1(password)));
 * empty for an empty password
 * (https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase_authentication_methods_native_password_authentication.html).
 */
export function nativePassword(password: string, scramble: Buffer): Buffer {
  if (password === '') return Buffer.alloc(0);
  const stage1 = sha1(Buffer.from(password, 'utf8'));
  return xor(stage1, sha1(nonce(scramble), sha1(stage1)));
}

/**
 * caching_sha2_password's fast path: SHA256(password) XOR
 * SHA256(SHA256(SHA256(password)) + scramble)
 * (https://dev.mysql.com/doc/dev/mysql-server/latest/page_caching_sha2_authentication_exchanges.html).
 */
export function cachingSha2Password(password: string, scramble: Buffer): Buffer {
  if (password === '') return Buffer.alloc(0);
  const stage1 = sha256(Buffer.from(password, 'utf8'));
  return xor(stage1, sha256(sha256(stage1), nonce(scramble)));
}

/**
 * The full authentication of caching_sha2_password and sha256_password
 * without TLS: the NUL-terminated password XOR the scramble, encrypted with
 * the server's RSA public key (OAEP padding).
 */
export function rsaEncryptedPassword(
  password: string,
  scramble: Buffer,
  publicKeyPem: string,
): Buffer {
  const plain = xor(Buffer.from(`${password}\0`, 'utf8'), nonce(scramble));
  return publicEncrypt({ key: publicKeyPem, padding: constants.RSA_PKCS1_OAEP_PADDING }, plain);
}

/** The password as sent over TLS (full authentication): NUL-terminated cleartext. */
export function cleartextPassword(password: string): Buffer {
  return Buffer.from(`${password}\0`, 'utf8');
}

/**
 * MariaDB's client_ed25519: an Ed25519 signature of the scramble whose
 * private key is derived from SHA-512 of the password itself, not of a
 * 32-byte seed (https://mariadb.com/kb/en/authentication-plugin-ed25519/),
 * so Node's Ed25519 keys cannot express it.
 */
export function ed25519Password(password: string, scramble: Buffer): Buffer {
  return ed25519Sign(Buffer.from(password, 'utf8'), scramble);
}

/** The authentication methods the gateway answers for its login to the target. */
export const AUTH_PLUGINS = [
  'mysql_native_password',
  'caching_sha2_password',
  'sha256_password',
  'client_ed25519',
  'mysql_clear_password',
] as const;
