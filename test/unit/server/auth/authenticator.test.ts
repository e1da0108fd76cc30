import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateApiKey, hashApiKey } from '../../../../src/lib/api-key.js';
import { HoopError } from '../../../../src/lib/errors.js';
import { apiKeyStrategy } from '../../../../src/server/auth/api-keys.js';
import { createAuthenticator } from '../../../../src/server/auth/authenticator.js';
import type { Identity } from '../../../../src/server/auth/identity.js';
import type { AuthStrategy } from '../../../../src/server/auth/strategy.js';

const key = generateApiKey();
const keys = apiKeyStrategy([{ name: 'agent-1', groups: ['agents'], keyHash: hashApiKey(key) }]);

/** A stand-in for the next strategy (OIDC): accepts one fixed token, records what it saw. */
function fixedStrategy(token: string, identity: Identity): AuthStrategy & { seen: string[] } {
  const seen: string[] = [];
  return {
    name: 'fixed',
    seen,
    async authenticate(candidate) {
      seen.push(candidate);
      return candidate === token ? identity : undefined;
    },
  };
}

const alice: Identity = {
  subject: 'oidc|alice',
  name: 'alice@example.com',
  kind: 'user',
  method: 'oidc',
  groups: ['engineering'],
};

async function rejectsWith(promise: Promise<unknown>, code: string, message?: RegExp) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof HoopError);
    assert.equal(error.code, code);
    assert.equal(error.status, 401);
    assert.equal(error.exitCode, 5);
    assert.ok(error.hint, 'a refusal says what to do');
    if (message) assert.match(error.message, message);
    return true;
  });
}

describe('createAuthenticator', () => {
  const authenticate = createAuthenticator([keys]);

  it('refuses a missing or empty header with HOOP_AUTH_MISSING', async () => {
    await rejectsWith(authenticate(undefined), 'HOOP_AUTH_MISSING');
    await rejectsWith(authenticate(''), 'HOOP_AUTH_MISSING');
  });

  it('refuses headers that are not `Bearer <token>` with HOOP_AUTH_INVALID', async () => {
    for (const header of [
      `Basic ${Buffer.from(`user:${key}`).toString('base64')}`,
      `Token ${key}`,
      key,
      'Bearer',
      'Bearer ',
      `Bearer ${key} extra`,
    ]) {
      await rejectsWith(authenticate(header), 'HOOP_AUTH_INVALID', /Bearer/);
    }
  });

  it('accepts the scheme in any case and surrounding spaces (RFC 9110 §11.1)', async () => {
    for (const header of [`Bearer ${key}`, `bearer ${key}`, `BEARER   ${key}  `]) {
      assert.equal((await authenticate(header)).subject, 'apikey:agent-1');
    }
  });

  it('refuses an unknown API key with the API key strategy’s own message', async () => {
    await rejectsWith(authenticate(`Bearer ${generateApiKey()}`), 'HOOP_AUTH_INVALID', /API key/);
  });

  it('refuses a token no strategy recognises with HOOP_AUTH_INVALID', async () => {
    await rejectsWith(authenticate('Bearer some.jwt.token'), 'HOOP_AUTH_INVALID', /not a valid/);
    await rejectsWith(createAuthenticator([])(`Bearer ${key}`), 'HOOP_AUTH_INVALID');
  });

  it('asks each strategy in order; the first that recognises the token decides', async () => {
    const fixed = fixedStrategy('opaque-login-token', alice);
    const both = createAuthenticator([keys, fixed]);
    assert.deepEqual(await both('Bearer opaque-login-token'), alice);
    assert.equal((await both(`Bearer ${key}`)).subject, 'apikey:agent-1');
    // An API key the first strategy refused is not offered to the next one.
    await rejectsWith(both(`Bearer ${generateApiKey()}`), 'HOOP_AUTH_INVALID');
    assert.deepEqual(fixed.seen, ['opaque-login-token']);
  });
});
