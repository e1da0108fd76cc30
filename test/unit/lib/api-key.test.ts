import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { generateApiKey, hashApiKey, looksLikeApiKey } from '../../../src/lib/api-key.js';

describe('API keys', () => {
  it('are hoop_ and 32 random bytes in base64url', () => {
    const key = generateApiKey();
    assert.match(key, /^hoop_[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(key.slice(5), 'base64url').length, 32);
    assert.notEqual(generateApiKey(), key);
  });

  it('hash to sha256: and the hex SHA-256 of the key’s UTF-8', () => {
    const key = 'hoop_example';
    assert.equal(hashApiKey(key), `sha256:${createHash('sha256').update(key).digest('hex')}`);
    assert.match(hashApiKey(generateApiKey()), /^sha256:[0-9a-f]{64}$/);
  });

  it('are recognised by their prefix', () => {
    assert.equal(looksLikeApiKey(generateApiKey()), true);
    assert.equal(looksLikeApiKey('eyJhbGciOi.x.y'), false);
    assert.equal(looksLikeApiKey('HOOP_x'), false);
  });
});
