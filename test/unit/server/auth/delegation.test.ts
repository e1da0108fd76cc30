import assert from 'node:assert/strict';
import { test } from 'node:test';
import { delegationPolicy } from '../../../../src/server/auth/delegation.js';

test('no rules: no delegation, but undelegated tokens pass', () => {
  const allow = delegationPolicy([]);
  assert.equal(allow('alice', ['agent-1']), false);
  assert.equal(allow('alice', []), true);
});

test('an actor may act for the subjects its rule names, or anyone with *', () => {
  const allow = delegationPolicy([
    { actors: ['agent-1'], subjects: ['alice'] },
    { actors: ['agent-2'], subjects: ['*'] },
  ]);
  assert.equal(allow('alice', ['agent-1']), true);
  assert.equal(allow('bob', ['agent-1']), false);
  assert.equal(allow('bob', ['agent-2']), true);
  assert.equal(allow('alice', ['agent-3']), false);
});

test('a chain is checked link by link, earliest actor first', () => {
  // agent-0 acted for alice, then agent-1 acts for agent-0 (actors: current first).
  const allow = delegationPolicy([
    { actors: ['agent-0'], subjects: ['alice'] },
    { actors: ['agent-1'], subjects: ['agent-0'] },
  ]);
  assert.equal(allow('alice', ['agent-1', 'agent-0']), true);
  assert.equal(allow('alice', ['agent-0', 'agent-1']), false, 'the order of the chain matters');
  assert.equal(allow('alice', ['agent-1']), false, 'agent-1 may not act for alice directly');
});

test('rules may name provider identities by principal; an API key is never an actor', () => {
  const allow = delegationPolicy([
    { actors: ['oidc:agent-1'], subjects: ['oidc:alice'] },
    { actors: ['apikey:agent-2'], subjects: ['*'] },
  ]);
  assert.equal(allow('alice', ['agent-1']), true);
  assert.equal(allow('oidc:alice', ['agent-1']), false, 'the principal is not a subject');
  assert.equal(allow('bob', ['agent-2']), false);
  assert.equal(allow('bob', ['apikey:agent-2']), false);
});
