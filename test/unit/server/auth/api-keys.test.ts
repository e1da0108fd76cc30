import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateApiKey, hashApiKey } from '../../../../src/lib/api-key.js';
import { apiKeyStrategy } from '../../../../src/server/auth/api-keys.js';

describe('apiKeyStrategy', () => {
  const key = generateApiKey();
  const other = generateApiKey();
  const strategy = apiKeyStrategy([
    { name: 'agent-1', groups: ['agents', 'ci'], keyHash: hashApiKey(key) },
    { name: 'agent-2', groups: [], keyHash: hashApiKey(other) },
  ]);

  it('authenticates a configured key as an agent identity', async () => {
    assert.deepEqual(await strategy.authenticate(key), {
      subject: 'apikey:agent-1',
      name: 'agent-1',
      kind: 'agent',
      method: 'apikey',
      groups: ['agents', 'ci'],
    });
    assert.equal((await strategy.authenticate(other))?.subject, 'apikey:agent-2');
  });

  it('hands back a copy of the groups, so a caller cannot change the config', async () => {
    const identity = await strategy.authenticate(key);
    identity?.groups.push('admins');
    assert.deepEqual((await strategy.authenticate(key))?.groups, ['agents', 'ci']);
  });

  it('leaves tokens that are not API keys to the next strategy', async () => {
    assert.equal(await strategy.authenticate('eyJhbGciOiJSUzI1NiJ9.e30.sig'), undefined);
    assert.equal(await strategy.authenticate(''), undefined);
  });

  it('refuses an API key it does not know with HOOP_AUTH_INVALID, without echoing it', async () => {
    const unknown = generateApiKey();
    await assert.rejects(strategy.authenticate(unknown), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'HOOP_AUTH_INVALID');
      assert.ok(!error.message.includes(unknown));
      return true;
    });
    // One character off is as unknown as any other key.
    const flipped = key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A');
    await assert.rejects(strategy.authenticate(flipped), { code: 'HOOP_AUTH_INVALID' });
  });

  it('does not accept the hash in place of the key', async () => {
    assert.equal(await strategy.authenticate(hashApiKey(key)), undefined);
  });
});
