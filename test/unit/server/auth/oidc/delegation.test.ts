import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { assertRefused, startIssuer, strategyFor, testClock, type TestIssuer } from './issuer.js';

let idp: TestIssuer;
before(async () => {
  idp = await startIssuer();
});
after(() => idp.close());

// RFC 8693 §4.1: `act` names the current actor; a nested `act`, the one before it.
const nested = { sub: 'agent-1', act: { sub: 'agent-0' } };

test('a delegated token is refused unless delegation is allowed', async () => {
  const strategy = strategyFor(idp, testClock());
  const token = await idp.token({ sub: 'alice', act: { sub: 'agent-1' }, jti: 'j-1' });
  const error = await assertRefused(strategy.authenticate(token), 'delegation_denied');
  assert.equal(error.details?.['subject'], 'alice');
  assert.equal(error.details?.['jti'], 'j-1');
});

test('allowed delegation exposes the actor chain, current actor first', async () => {
  const calls: [string, readonly string[]][] = [];
  const strategy = strategyFor(idp, testClock(), {
    allowDelegation: (subject, actors) => {
      calls.push([subject, actors]);
      return subject === 'alice' && actors[0] === 'agent-1';
    },
  });
  const single = await strategy.authenticate(
    await idp.token({ sub: 'alice', act: { sub: 'agent-1' }, groups: ['engineering'] }),
  );
  assert.equal(single?.subject, 'alice');
  assert.equal(single?.kind, 'agent');
  assert.deepEqual(single?.actors, ['agent-1']);
  assert.deepEqual(single?.groups, ['engineering']);

  const chained = await strategy.authenticate(await idp.token({ sub: 'alice', act: nested }));
  assert.deepEqual(chained?.actors, ['agent-1', 'agent-0']);
  assert.deepEqual(calls, [
    ['alice', ['agent-1']],
    ['alice', ['agent-1', 'agent-0']],
  ]);

  await assertRefused(
    strategy.authenticate(await idp.token({ sub: 'bob', act: nested })),
    'delegation_denied',
  );
});

test('an async hook is awaited', async () => {
  const strategy = strategyFor(idp, testClock(), { allowDelegation: async () => false });
  await assertRefused(
    strategy.authenticate(await idp.token({ act: { sub: 'agent-1' } })),
    'delegation_denied',
  );
});

test('an agent acting for another agent', async () => {
  const strategy = strategyFor(idp, testClock(), { allowDelegation: () => true });
  const identity = await strategy.authenticate(
    await idp.token({ sub: 'agent-ci', client_id: 'agent-ci', act: { sub: 'agent-helper' } }),
  );
  assert.equal(identity?.subject, 'agent-ci');
  assert.equal(identity?.kind, 'agent');
  assert.deepEqual(identity?.actors, ['agent-helper']);
});

test('a malformed or overlong actor chain is refused before the hook is asked', async () => {
  let asked = false;
  const strategy = strategyFor(idp, testClock(), {
    maxDelegationDepth: 2,
    allowDelegation: () => (asked = true),
  });
  for (const act of ['agent-1', { client_id: 'agent-1' }, { sub: 'a', act: [] }]) {
    await assertRefused(strategy.authenticate(await idp.token({ act })), 'malformed');
  }
  const deep = { sub: 'a2', act: { sub: 'a1', act: { sub: 'a0' } } };
  await assertRefused(strategy.authenticate(await idp.token({ act: deep })), 'malformed');
  assert.equal(asked, false);
  assert.deepEqual((await strategy.authenticate(await idp.token({ act: nested })))?.actors, [
    'agent-1',
    'agent-0',
  ]);
});

test('a token without act is not delegated', async () => {
  const strategy = strategyFor(idp, testClock(), { allowDelegation: () => false });
  const identity = await strategy.authenticate(await idp.token());
  assert.equal(identity?.kind, 'user');
  assert.equal(identity?.actors, undefined);
});
