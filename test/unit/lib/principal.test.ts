import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  inNamespace,
  legacyMethod,
  parsePrincipal,
  principalName,
  reservedPrefix,
  samePrincipal,
} from '../../../src/lib/principal.js';

describe('identity namespaces', () => {
  it('reserves apikey: and oidc: in any case, and nothing that only looks like them', () => {
    assert.equal(reservedPrefix('apikey:agent-1'), 'apikey:');
    assert.equal(reservedPrefix('ApiKey:agent-1'), 'apikey:');
    assert.equal(reservedPrefix('OIDC:alice'), 'oidc:');
    for (const subject of ['apikey', 'api-key:x', ' apikey:x', 'oidc|alice', 'alice', '']) {
      assert.equal(reservedPrefix(subject), undefined, subject);
    }
  });

  it('puts API keys at apikey:<name> and provider subjects everywhere else', () => {
    assert.equal(inNamespace('apikey', 'apikey:agent-1'), true);
    assert.equal(inNamespace('apikey', 'apikey:'), false);
    assert.equal(inNamespace('apikey', 'agent-1'), false);
    assert.equal(inNamespace('apikey', 'apikey:a:b'), false);
    assert.equal(inNamespace('oidc', 'agent-1'), true);
    assert.equal(inNamespace('oidc', 'apikey:agent-1'), false);
    assert.equal(inNamespace('oidc', 'oidc:alice'), false);
    assert.equal(inNamespace('oidc', ''), false);
  });

  it('compares identities as method and subject, and an unknown method as nobody', () => {
    const key = { method: 'apikey', subject: 'apikey:agent-1' } as const;
    assert.equal(samePrincipal(key, { ...key }), true);
    assert.equal(samePrincipal(key, { method: 'oidc', subject: 'apikey:agent-1' }), false);
    assert.equal(samePrincipal({ method: undefined, subject: 'apikey:agent-1' }, key), false);
    assert.equal(
      samePrincipal({ method: undefined, subject: 'x' }, { method: undefined, subject: 'x' }),
      false,
    );
  });

  it('writes and reads principals', () => {
    assert.equal(principalName({ method: 'apikey', subject: 'apikey:agent-1' }), 'apikey:agent-1');
    assert.equal(principalName({ method: 'oidc', subject: 'alice' }), 'oidc:alice');
    assert.equal(
      principalName({ method: 'oidc', subject: 'apikey:agent-1' }),
      'oidc:apikey:agent-1',
    );
    assert.equal(principalName({ method: undefined, subject: 'alice' }), undefined);
    assert.deepEqual(parsePrincipal('APIKEY:agent-1'), {
      method: 'apikey',
      subject: 'apikey:agent-1',
    });
    assert.deepEqual(parsePrincipal('oidc:alice'), { method: 'oidc', subject: 'alice' });
    assert.deepEqual(parsePrincipal('oidc:apikey:agent-1'), {
      method: 'oidc',
      subject: 'apikey:agent-1',
    });
    assert.equal(parsePrincipal('alice'), undefined);
    assert.equal(parsePrincipal('alice@example.com'), undefined);
  });

  it('reads the method of rows written before methods were recorded only where it is certain', () => {
    assert.equal(legacyMethod('alice'), 'oidc');
    assert.equal(legacyMethod('APIKEY:agent-1'), 'oidc', 'no key subject was ever written so');
    assert.equal(legacyMethod('apikey:agent-1'), undefined, 'a key, or a token that claimed it');
  });
});
