import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { assertRefused, startIssuer, strategyFor, testClock, type TestIssuer } from './issuer.js';

let idp: TestIssuer;
before(async () => {
  idp = await startIssuer();
});
after(() => idp.close());

// A provider's `sub` may not take another kind of identity's namespace: `apikey:agent-1` is the API key's.
for (const sub of ['apikey:agent-1', 'APIKEY:agent-1', 'ApiKey:', 'oidc:alice', 'OIDC:alice']) {
  test(`a token whose sub is ${JSON.stringify(sub)} is refused as reserved_subject`, async () => {
    const strategy = strategyFor(idp, testClock());
    const token = await idp.token({ sub, groups: ['agents'], jti: 'j-9' });
    const error = await assertRefused(strategy.authenticate(token), 'reserved_subject');
    assert.match(error.message, /the token's subject starts with "(apikey|oidc):"/);
    assert.equal(error.details?.['subject'], sub);
    assert.equal(error.details?.['jti'], 'j-9');
    await assertRefused(strategy.recheck(token), 'reserved_subject');
  });
}

test('an actor claiming an API key subject is refused before delegation is asked', async () => {
  const asked: string[] = [];
  const strategy = strategyFor(idp, testClock(), {
    allowDelegation: (subject) => {
      asked.push(subject);
      return true;
    },
  });
  for (const act of [{ sub: 'apikey:agent-1' }, { sub: 'agent-2', act: { sub: 'apikey:x' } }]) {
    const error = await assertRefused(
      strategy.authenticate(await idp.token({ sub: 'alice', act })),
      'reserved_subject',
    );
    assert.match(error.message, /actor \(act\) subject starts with "apikey:"/);
  }
  assert.deepEqual(asked, []);
});

test('subjects that only look alike are other subjects, and accepted', async () => {
  const strategy = strategyFor(idp, testClock());
  for (const sub of ['apikey', 'api-key:agent-1', 'xapikey:agent-1', 'oidc|alice', 'agent-1']) {
    const identity = await strategy.authenticate(await idp.token({ sub }));
    assert.equal(identity?.subject, sub);
    assert.equal(identity?.method, 'oidc');
  }
});

test('an opaque token whose userinfo answers with an API key subject is refused too', async () => {
  idp.userinfo.set('opaque-forged', { sub: 'apikey:agent-1', groups: ['agents'] });
  const strategy = strategyFor(idp, testClock());
  const error = await assertRefused(strategy.authenticate('opaque-forged'), 'reserved_subject');
  assert.equal(error.details?.['subject'], 'apikey:agent-1');
  await assertRefused(strategy.recheck('opaque-forged'), 'reserved_subject');
});
