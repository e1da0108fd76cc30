import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, test } from 'node:test';
import { assertRefused, startIssuer, strategyFor, testClock, type TestIssuer } from './issuer.js';

let idp: TestIssuer;
beforeEach(async () => {
  idp = await startIssuer();
});
afterEach(() => idp.close());

test('a key rotated in is picked up by one refetch once the cooldown has passed', async () => {
  const clock = testClock();
  const strategy = strategyFor(idp, clock, { jwksRefetchCooldownSeconds: 10 });
  assert.ok(await strategy.authenticate(await idp.token()));
  assert.equal(idp.hits.jwks, 1);

  const next = await idp.newKey('key-2');
  idp.published.push(next);
  const token = await idp.token({}, { key: next });
  // Right after a fetch, an unknown kid is refused without asking again …
  await assertRefused(strategy.authenticate(token), 'unknown_key');
  assert.equal(idp.hits.jwks, 1);
  // … and once the cooldown is over, it is fetched once and accepted.
  clock.advance(10);
  assert.equal((await strategy.authenticate(token))?.subject, 'alice');
  assert.ok(await strategy.authenticate(token));
  assert.equal(idp.hits.jwks, 2);
});

test('a key rotated out stops working when the cached key set expires', async () => {
  const clock = testClock();
  const strategy = strategyFor(idp, clock, { jwksCacheSeconds: 600 });
  const old = idp.key;
  const next = await idp.newKey('key-2');
  idp.published = [old, next];
  const oldToken = await idp.token({}, { key: old });
  const newToken = await idp.token({}, { key: next });
  assert.ok(await strategy.authenticate(oldToken));

  idp.published = [next];
  clock.advance(599);
  assert.ok(await strategy.authenticate(oldToken), 'still in the cached set');
  clock.advance(1);
  await assertRefused(strategy.authenticate(oldToken), 'unknown_key');
  assert.equal(idp.hits.jwks, 2);
  assert.ok(await strategy.authenticate(newToken));
  assert.equal(idp.hits.jwks, 2);
});

test('a flood of unknown kids costs at most one refetch per cooldown', async () => {
  const clock = testClock();
  const strategy = strategyFor(idp, clock, { jwksRefetchCooldownSeconds: 10 });
  assert.ok(await strategy.authenticate(await idp.token()));
  const stranger = await idp.newKey('unpublished');
  const flood = () =>
    Promise.all(
      Array.from({ length: 50 }, async () => {
        const token = await idp.token({}, { key: stranger, header: { kid: randomUUID() } });
        await assertRefused(strategy.authenticate(token), 'unknown_key');
      }),
    );

  await flood();
  assert.equal(idp.hits.jwks, 1);
  clock.advance(10);
  await flood();
  assert.equal(idp.hits.jwks, 2, 'the flood shared a single refetch');
  clock.advance(5);
  await flood();
  assert.equal(idp.hits.jwks, 2);
});

test('a token from another issuer never triggers a refetch', async () => {
  const clock = testClock();
  const strategy = strategyFor(idp, clock);
  assert.ok(await strategy.authenticate(await idp.token()));
  clock.advance(3600);
  const stranger = await idp.newKey('other-idp');
  const token = await idp.token(
    { iss: 'https://other.example.com', exp: 4_000_000_000 },
    { key: stranger },
  );
  await assertRefused(strategy.authenticate(token), 'unknown_issuer');
  assert.equal(idp.hits.jwks, 1);
});

test('a token without kid is checked against every matching key', async () => {
  const strategy = strategyFor(idp, testClock());
  const next = await idp.newKey('key-2');
  idp.published = [idp.key, next];
  for (const key of [idp.key, next]) {
    const token = await idp.token({}, { key, header: { kid: undefined } });
    assert.ok(await strategy.authenticate(token));
  }
  const stranger = await idp.newKey('key-3');
  const forged = await idp.token({}, { key: stranger, header: { kid: undefined } });
  await assertRefused(strategy.authenticate(forged), 'bad_signature');
});

test('the key set endpoint failing fails closed, then recovers after a short backoff', async () => {
  const clock = testClock();
  const strategy = strategyFor(idp, clock);
  const token = await idp.token();
  idp.jwksStatus = 500;
  const error = await assertRefused(strategy.authenticate(token), 'unavailable');
  assert.match(error.message, /key set answered HTTP 500/);
  await assertRefused(strategy.authenticate(token), 'unavailable');
  assert.equal(idp.hits.jwks, 1, 'no second request within the backoff');

  idp.jwksStatus = undefined;
  clock.advance(1);
  assert.ok(await strategy.authenticate(token));
  assert.equal(idp.hits.jwks, 2);
});
