import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  type KeyObject,
} from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { HoopError } from '../../lib/errors.js';
import { keyIdOf, signedMessage } from '../../audit-chain/index.js';
import type { ChainSignature } from '../store/index.js';

/** The gateway's Ed25519 key pair that signs chain heads. */
export interface AuditSigner {
  /** First 16 hex digits of SHA-256 of the public key's DER (SPKI): names the key in each signature. */
  readonly keyId: string;
  readonly publicKey: KeyObject;
  /** The public key as PEM (SPKI), what `hoop audit public-key` prints and verifiers are given. */
  readonly publicKeyPem: string;
  /** Signs a session's chain head at `seq` (`final`: the end hash that closes the session). */
  sign(sessionId: string, seq: number, hash: string, final: boolean, at?: Date): ChainSignature;
}

/** The key file next to a SQLite store: `<store dir>/audit-signing.key`. */
export const KEY_FILE = 'audit-signing.key';

/** A signer for a private key in PEM (PKCS #8); refuses any key that is not Ed25519. */
export function signerFromPem(pem: string, source: string): AuditSigner {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch (error) {
    throw new HoopError('HOOP_AUDIT_KEY_INVALID', `${source} is not a private key in PEM`, {
      hint: 'Generate one with: openssl genpkey -algorithm ed25519',
      cause: error,
    });
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new HoopError(
      'HOOP_AUDIT_KEY_INVALID',
      `${source} is a ${privateKey.asymmetricKeyType ?? 'unknown'} key; audit signatures need Ed25519`,
      { hint: 'Generate one with: openssl genpkey -algorithm ed25519' },
    );
  }
  const publicKey = createPublicKey(privateKey);
  const keyId = keyIdOf(publicKey);
  return {
    keyId,
    publicKey,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    sign(sessionId, seq, hash, final, at = new Date()) {
      const signature = sign(null, signedMessage(sessionId, seq, hash, final), privateKey);
      return { sessionId, seq, hash, final, keyId, signature: signature.toString('base64'), at };
    },
  };
}

/**
 * The key in `file`, generated at first use (mode 0600, its directory
 * created): the gateway's default when the config names no `audit.signingKey`.
 */
export function loadOrCreateKeyFile(file: string): AuditSigner {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new HoopError('HOOP_AUDIT_KEY_INVALID', `cannot read the audit signing key ${file}`, {
        cause: error,
      });
    }
    mkdirSync(path.dirname(file), { recursive: true });
    const { privateKey } = generateKeyPairSync('ed25519');
    pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    // 'wx': never overwrite a key another process created meanwhile.
    try {
      writeFileSync(file, pem, { mode: 0o600, flag: 'wx' });
      chmodSync(file, 0o600);
    } catch (raced) {
      if ((raced as NodeJS.ErrnoException).code !== 'EEXIST') throw raced;
      pem = readFileSync(file, 'utf8');
    }
  }
  return signerFromPem(pem, file);
}
