import { calculateJwkThumbprint, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';

export type SigningAlg = 'ES256' | 'RS256';

export interface SigningKey {
  kid: string;
  alg: SigningAlg;
  privateKey: CryptoKey;
  /** The private JWK, with `kid`, `alg` and `use`, as oidc-provider's `jwks` option takes it. */
  jwk: JWK;
}

/**
 * The IdP's signing keys: the current one signs, the published ones appear
 * in the JWKS (current first, so oidc-provider picks it to sign), and retired
 * ones are kept so tests can still mint tokens with a key no longer published.
 * `kid` is the RFC 7638 thumbprint.
 */
export class KeyRing {
  readonly #all = new Map<string, SigningKey>();
  #published: SigningKey[] = [];

  private constructor(readonly alg: SigningAlg) {}

  static async create(alg: SigningAlg): Promise<KeyRing> {
    const ring = new KeyRing(alg);
    await ring.rotate({ keepOld: false });
    return ring;
  }

  get current(): SigningKey {
    const [key] = this.#published;
    if (!key) throw new Error('dev IdP: no signing key');
    return key;
  }

  /** A key this IdP holds or held, by `kid`. */
  get(kid: string): SigningKey | undefined {
    return this.#all.get(kid);
  }

  /** What oidc-provider's `jwks` option takes: the published private keys, current first. */
  jwks(): { keys: JWK[] } {
    return { keys: this.#published.map((key) => ({ ...key.jwk })) };
  }

  async rotate({ keepOld }: { keepOld: boolean }): Promise<SigningKey> {
    const key = await newKey(this.alg);
    this.#all.set(key.kid, key);
    this.#published = keepOld ? [key, ...this.#published] : [key];
    return key;
  }
}

// ES256 keys take a millisecond to make; RSA-2048 tens to hundreds, so tests default to ES256.
async function newKey(alg: SigningAlg): Promise<SigningKey> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { kid, alg, privateKey, jwk: { ...jwk, kid, alg, use: 'sig' } };
}
