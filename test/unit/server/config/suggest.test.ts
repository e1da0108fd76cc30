import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { closest, editDistance } from '../../../../src/server/config/suggest.js';

describe('editDistance', () => {
  it('counts insertions, deletions, substitutions and transpositions as one edit', () => {
    assert.equal(editDistance('host', 'host'), 0);
    assert.equal(editDistance('hst', 'host'), 1);
    assert.equal(editDistance('hosts', 'host'), 1);
    assert.equal(editDistance('hast', 'host'), 1);
    assert.equal(editDistance('hots', 'host'), 1);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('kitten', 'sitting'), 3);
  });
});

describe('closest', () => {
  const keys = ['listen', 'store', 'auth', 'connections', 'policy', 'tunnel', 'log'];

  it('suggests a key within a small distance, ignoring case', () => {
    assert.equal(closest('conections', keys), 'connections');
    assert.equal(closest('Listen', keys), 'listen');
    assert.equal(closest('stroe', keys), 'store');
    assert.equal(closest('logs', keys), 'log');
  });

  it('suggests nothing when no key is close', () => {
    assert.equal(closest('database', keys), undefined);
    assert.equal(closest('x', keys), undefined);
    assert.equal(closest('pg', ['postgres', 'mysql']), undefined);
  });
});
