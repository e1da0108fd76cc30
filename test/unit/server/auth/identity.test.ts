import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sharesGroup, type Identity } from '../../../../src/server/auth/identity.js';

function withGroups(groups: string[]): Identity {
  return { subject: 's', name: 'n', kind: 'agent', method: 'apikey', groups };
}

describe('sharesGroup', () => {
  it('is true when at least one group overlaps', () => {
    assert.equal(sharesGroup(withGroups(['agents']), ['engineering', 'agents']), true);
    assert.equal(sharesGroup(withGroups(['a', 'b', 'c']), ['c']), true);
  });

  it('is false without overlap, and for no groups on either side', () => {
    assert.equal(sharesGroup(withGroups(['marketing']), ['engineering', 'agents']), false);
    assert.equal(sharesGroup(withGroups([]), ['agents']), false);
    assert.equal(sharesGroup(withGroups(['agents']), []), false);
  });

  it('compares group names exactly, as the identity provider spells them', () => {
    assert.equal(sharesGroup(withGroups(['Agents']), ['agents']), false);
    assert.equal(sharesGroup(withGroups(['agents ']), ['agents']), false);
  });
});
