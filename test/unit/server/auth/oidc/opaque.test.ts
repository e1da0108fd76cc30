import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { assertRefused, startIssuer, strategyFor, testClock, type TestIssuer } from './issuer.js';

let idp: TestIssuer;
beforeEach(async () => {
  idp = await startIssuer();
  idp.userinfo.set('opaque-bob', {
    sub: 'bob',
    email: 'bob@example.com',
    email_verified: true,
    groups: ['support'],
  });
});
afterEach(() => idp.close());

test('an opaque token is checked at userinfo, and the answer is cached briefly', async () => {
  const clock = testClock();
  const strategy = strategyFor(idp, clock, { userinfoCacheSeconds: 30 });
  const expected = {
    subject: 'bob',
    name: 'bob@example.com',
    kind: 'user',
    method: 'oidc',
    groups: ['support'],
    email: 'bob@example.com',
    tokenKind: 'opaque',
  };
  assert.deepEqual(await strategy.authenticate('opaque-bob'), expected);
  assert.equal(idp.hits.userinfo, 1);
  clock.advance(29);
  assert.deepEqual(await strategy.authenticate('opaque-bob'), expected);
  assert.equal(idp.hits.userinfo, 1, 'the second call did not reach userinfo');
  clock.advance(1);
  assert.deepEqual(await strategy.authenticate('opaque-bob'), expected);
  assert.equal(idp.hits.userinfo, 2);
  assert.equal(idp.hits.jwks, 0);
});

test('concurrent requests with one opaque token share one userinfo call', async () => {
  const strategy = strategyFor(idp, testClock());
  await Promise.all(Array.from({ length: 20 }, () => strategy.authenticate('opaque-bob')));
  assert.equal(idp.hits.userinfo, 1);
});

test('an opaque token the provider refuses is refused, and the refusal is cached too', async () => {
  const strategy = strategyFor(idp, testClock());
  const error = await assertRefused(strategy.authenticate('not-a-token'), 'revoked');
  assert.doesNotMatch(JSON.stringify(error.toJSON()) + error.message, /not-a-token/);
  await assertRefused(strategy.authenticate('not-a-token'), 'revoked');
  assert.equal(idp.hits.userinfo, 1);
});

test('recheck skips the cache, so a revoked token ends the session', async () => {
  const strategy = strategyFor(idp, testClock());
  assert.ok(await strategy.authenticate('opaque-bob'));
  assert.equal((await strategy.recheck('opaque-bob')).subject, 'bob');
  assert.equal(idp.hits.userinfo, 2);
  idp.userinfo.delete('opaque-bob');
  await assertRefused(strategy.recheck('opaque-bob'), 'revoked');
  // The cache now holds the refusal as well.
  await assertRefused(strategy.authenticate('opaque-bob'), 'revoked');
  assert.equal(idp.hits.userinfo, 3);
});

test('the userinfo endpoint being down fails closed, and the failure is not cached', async () => {
  const clock = testClock();
  const strategy = strategyFor(idp, clock);
  assert.ok(await strategy.authenticate('opaque-bob'));
  clock.advance(30);
  idp.down = true;
  await assertRefused(strategy.authenticate('opaque-bob'), 'unavailable');
  idp.down = false;
  assert.equal((await strategy.authenticate('opaque-bob'))?.subject, 'bob');
});

test('a token that is neither a JWT nor an RFC 6750 token never reaches the provider', async () => {
  const strategy = strategyFor(idp, testClock());
  for (const token of ['héllo', 'a,b', 'x"y', 'a=b']) {
    await assertRefused(strategy.authenticate(token), 'malformed');
  }
  assert.equal(idp.hits.userinfo, 0);
});

test('without a userinfo endpoint an opaque token cannot be checked', async () => {
  delete idp.discovery['userinfo_endpoint'];
  const strategy = strategyFor(idp, testClock());
  const error = await assertRefused(strategy.authenticate('opaque-bob'), 'malformed');
  assert.match(error.message, /no userinfo endpoint/);
  assert.equal(idp.hits.userinfo, 0);
});

test('the userinfo cache is bounded', async () => {
  const strategy = strategyFor(idp, testClock(), { userinfoCacheMaxEntries: 2 });
  for (const token of ['t1', 't2', 't3']) idp.userinfo.set(token, { sub: token });
  for (const token of ['t1', 't2', 't3']) await strategy.authenticate(token);
  assert.equal(idp.hits.userinfo, 3);
  await strategy.authenticate('t3');
  assert.equal(idp.hits.userinfo, 3);
  await strategy.authenticate('t1');
  assert.equal(idp.hits.userinfo, 4, 't1 was evicted first');
});
