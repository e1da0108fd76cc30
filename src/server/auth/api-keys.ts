import { hashApiKey, looksLikeApiKey } from '../../lib/api-key.js';
import { HoopError } from '../../lib/errors.js';
import { apiKeySubject } from '../../lib/principal.js';
import type { ApiKeyConfig } from '../config/index.js';
import type { Identity } from './identity.js';
import type { AuthStrategy } from './strategy.js';

/** The API keys a gateway accepts now; a config reload replaces them (a removed key stops working at once). */
export class ApiKeyRing {
  private byHash = new Map<string, ApiKeyConfig>();

  constructor(keys: readonly ApiKeyConfig[]) {
    this.replace(keys);
  }

  replace(keys: readonly ApiKeyConfig[]): void {
    this.byHash = new Map(keys.map((key) => [key.keyHash, key]));
  }

  get(hash: string): ApiKeyConfig | undefined {
    return this.byHash.get(hash);
  }
}

/**
 * Machine identities: the config holds only SHA-256 hashes of the keys. A
 * lookup by hash takes the same time whatever the key, so there is no timing
 * oracle on the secret; keys are 256-bit random, so a fast hash is enough.
 */
export function apiKeyStrategy(keys: readonly ApiKeyConfig[] | ApiKeyRing): AuthStrategy {
  const byHash = keys instanceof ApiKeyRing ? keys : new ApiKeyRing(keys);
  return {
    name: 'apikey',
    async authenticate(token) {
      if (!looksLikeApiKey(token)) return undefined;
      const key = byHash.get(hashApiKey(token));
      if (!key) {
        throw new HoopError('HOOP_AUTH_INVALID', 'the API key is not known to this gateway', {
          hint: 'Check HOOP_TOKEN; an administrator can create a key with `hoop keys generate`.',
        });
      }
      const identity: Identity = {
        subject: apiKeySubject(key.name),
        name: key.name,
        kind: 'agent',
        method: 'apikey',
        groups: [...key.groups],
      };
      return identity;
    },
  };
}
