import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HoopError } from '../../../../src/lib/errors.js';
import { createAuthenticator } from '../../../../src/server/auth/authenticator.js';
import { checkNamespace, type Identity } from '../../../../src/server/auth/identity.js';
import type { AuthStrategy } from '../../../../src/server/auth/strategy.js';

/** A strategy that establishes whatever identity it is given: a future strategy that forgets the rule. */
function careless(identity: Identity): AuthStrategy {
  return { name: 'careless', authenticate: async () => identity };
}

const person = (subject: string, extra: Partial<Identity> = {}): Identity => ({
  subject,
  name: subject,
  kind: 'user',
  method: 'oidc',
  groups: ['agents'],
  ...extra,
});

describe('every identity lies in its method’s namespace', () => {
  it('accepts API keys as apikey:<name> and provider subjects outside the reserved prefixes', () => {
    const key: Identity = { ...person('apikey:agent-1'), method: 'apikey', kind: 'agent' };
    assert.equal(checkNamespace(key), key);
    assert.ok(checkNamespace(person('alice')));
    assert.ok(checkNamespace(person('alice', { actors: ['agent-1', 'agent-0'] })));
  });

  for (const [name, identity] of [
    ['a provider subject in the API key namespace', person('apikey:agent-1')],
    ['the same in capitals', person('APIKEY:agent-1')],
    ['a provider subject posing as a principal', person('oidc:alice')],
    ['an actor in the API key namespace', person('alice', { actors: ['apikey:agent-1'] })],
    ['an API key whose subject is a bare name', { ...person('agent-1'), method: 'apikey' }],
    ['an API key whose subject is a person’s', { ...person('alice'), method: 'apikey' }],
  ] as const) {
    it(`refuses ${name} through the authenticator, and logs it`, async () => {
      const warnings: Record<string, unknown>[] = [];
      const authenticate = createAuthenticator([careless(identity)], {
        log: { warn: (entry: object) => void warnings.push(entry as Record<string, unknown>) },
      });
      await assert.rejects(authenticate('Bearer anything'), (error: unknown) => {
        assert.ok(error instanceof HoopError);
        assert.equal(error.code, 'HOOP_AUTH_RESERVED_SUBJECT');
        assert.equal(error.status, 401);
        assert.equal(error.exitCode, 5);
        assert.equal(error.details?.['reason'], 'reserved_subject');
        assert.ok(error.hint);
        return true;
      });
      assert.equal(warnings.length, 1);
      assert.equal(warnings[0]?.['event'], 'auth_refused');
      assert.equal(warnings[0]?.['subject'], identity.subject);
      assert.ok(!JSON.stringify(warnings).includes('anything'), 'the token is not logged');
    });
  }
});
