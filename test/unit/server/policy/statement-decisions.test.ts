import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import { decideStatements, parsePolicy } from '../../../../src/server/policy/index.js';
import { classifySql, initSqlParser, toAnalysis } from '../../../../src/server/sql/index.js';
import { agent, DESIGN_POLICY } from './fixtures.js';

const policy = parsePolicy(DESIGN_POLICY, { file: 'policy.yaml' });
const base = { identity: agent, connection: { name: 'pg-prod', type: 'postgres' as const } };

before(() => initSqlParser());

function decisive(sql: string): [string, string | undefined] | undefined {
  const decided = decideStatements(policy, base, toAnalysis(classifySql(sql)));
  assert.ok(decided.parsed);
  if (decided.decisive === undefined) return undefined;
  const { decision } = decided.statements[decided.decisive]!;
  return [decision.effect, decision.rule];
}

describe('decideStatements', () => {
  it('every statement allowed: nothing decisive', () => {
    assert.equal(decisive('select 1; select 2'), undefined);
  });

  it('a review holds the string, a deny anywhere beats it', () => {
    assert.deepEqual(decisive('select 1; delete from t'), ['review', 'agent-writes-need-review']);
    assert.deepEqual(decisive('delete from t; drop table t; truncate u'), ['deny', 'no-drops']);
  });

  it('a string that does not parse is decided once, as unparsed', () => {
    const decided = decideStatements(policy, base, toAnalysis(classifySql('selec 1')));
    assert.equal(decided.parsed, false);
    assert.ok(!decided.parsed);
    assert.equal(decided.decision.effect, 'deny');
  });
});
