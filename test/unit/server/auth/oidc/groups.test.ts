import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { claimAt, groupsAt } from '../../../../../src/server/auth/oidc/claims.js';
import { startIssuer, strategyFor, testClock, type TestIssuer } from './issuer.js';

describe('claimAt', () => {
  test('a plain name, a nested path, and a name that contains dots', () => {
    const claims = {
      groups: ['a'],
      realm_access: { roles: ['b'] },
      'https://example.com/groups': ['c'],
    };
    assert.deepEqual(claimAt(claims, 'groups'), ['a']);
    assert.deepEqual(claimAt(claims, 'realm_access.roles'), ['b']);
    assert.deepEqual(claimAt(claims, 'https://example.com/groups'), ['c']);
  });

  test('the full name wins over a dotted path that also exists', () => {
    assert.equal(claimAt({ 'a.b': 'flat', a: { b: 'nested' } }, 'a.b'), 'flat');
  });

  test('dotted names nested in objects, longest key first', () => {
    const claims = {
      'https://example.com/claims': { 'hoop.groups': ['x'], hoop: { groups: ['y'] } },
    };
    assert.deepEqual(claimAt(claims, 'https://example.com/claims.hoop.groups'), ['x']);
    assert.equal(claimAt(claims, 'https://example.com/claims.missing'), undefined);
  });

  test('falls back to a shorter prefix when the longer one leads nowhere', () => {
    const claims = { 'a.b': { z: 1 }, a: { b: { c: ['deep'] } } };
    assert.deepEqual(claimAt(claims, 'a.b.c'), ['deep']);
  });

  test('only own properties: no prototype lookups', () => {
    assert.equal(claimAt({}, 'constructor'), undefined);
    assert.equal(claimAt({}, '__proto__.toString'), undefined);
    assert.equal(claimAt({ a: {} }, 'a.hasOwnProperty'), undefined);
  });
});

describe('groupsAt', () => {
  test('arrays keep their distinct non-empty strings; a string is one group; else none', () => {
    assert.deepEqual(groupsAt({ g: ['a', 'b', 'a', 1, '', null] }, 'g'), ['a', 'b']);
    assert.deepEqual(groupsAt({ g: 'solo' }, 'g'), ['solo']);
    assert.deepEqual(groupsAt({ g: { a: true } }, 'g'), []);
    assert.deepEqual(groupsAt({}, 'g'), []);
  });
});

describe('groups from real tokens', () => {
  let idp: TestIssuer;
  before(async () => {
    idp = await startIssuer();
  });
  after(() => idp.close());

  const cases = [
    { groupsClaim: 'groups', claims: { groups: ['engineering'] }, expected: ['engineering'] },
    {
      groupsClaim: 'realm_access.roles',
      claims: { realm_access: { roles: ['dba', 'offline_access'] } },
      expected: ['dba', 'offline_access'],
    },
    {
      groupsClaim: 'https://example.com/groups',
      claims: { 'https://example.com/groups': ['support'] },
      expected: ['support'],
    },
    { groupsClaim: 'groups', claims: {}, expected: [] },
  ];
  for (const { groupsClaim, claims, expected } of cases) {
    test(`groupsClaim ${groupsClaim}`, async () => {
      const strategy = strategyFor(idp, testClock(), { groupsClaim });
      const identity = await strategy.authenticate(await idp.token(claims));
      assert.deepEqual(identity?.groups, expected);
    });
  }
});
