import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import { HoopError } from '../../../../src/lib/errors.js';
import { parsePolicy } from '../../../../src/server/policy/index.js';
import { parseCases } from '../../../../src/server/policy-test/cases.js';
import { evaluate } from '../../../../src/server/policy-test/evaluate.js';
import { runCases } from '../../../../src/server/policy-test/run.js';
import { initSqlParser } from '../../../../src/server/sql/index.js';
import { alice, DESIGN_POLICY } from '../policy/fixtures.js';

const policy = parsePolicy(DESIGN_POLICY, { file: 'policy.yaml' });

before(() => initSqlParser());

function run(yaml: string, configured?: Map<string, 'postgres' | 'ssh'>) {
  return runCases(policy, parseCases(yaml, 'policy.test.yaml'), configured ? { configured } : {});
}

describe('runCases', () => {
  it('passes cases that match the decision, with rules and masks', () => {
    const results = run(`connections: { pg-prod: postgres }
cases:
  - name: engineers read customers, emails masked
    as: alice
    groups: [engineering]
    connection: pg-prod
    sql: select email, name from customers
    expect:
      effect: allow
      rule: engineers-and-agents
      masks: [pii]
      masked: [customers.email, public.customers.email, x.ssn]
      unmasked: [customers.name]
  - name: drops are denied
    as: alice
    groups: [engineering]
    connection: pg-prod
    sql: select 1; drop table customers
    expect: { effect: deny, rule: no-drops, masks: [] }
  - name: agent writes wait for a review
    apiKey: agent-1
    groups: [agents]
    connection: pg-prod
    sql: delete from orders where id = 1
    expect: { effect: review, rule: agent-writes-need-review }
  - name: marketing cannot open a session
    as: mallory
    groups: [marketing]
    connection: pg-prod
    open: true
    expect: { effect: deny, rule: null }
`);
    assert.deepEqual(
      results.map((r) => [r.name, r.passed, r.failures]),
      [
        ['engineers read customers, emails masked', true, []],
        ['drops are denied', true, []],
        ['agent writes wait for a review', true, []],
        ['marketing cannot open a session', true, []],
      ],
    );
    assert.equal(results[1]!.line, 14);
  });

  it('words each mismatch for the summary', () => {
    const results = run(`cases:
  - name: wrong effect
    as: alice
    groups: [engineering]
    connection: pg-prod
    type: postgres
    sql: drop table t
    expect: { effect: allow, rule: engineers-and-agents }
  - name: wrong masks
    as: alice
    groups: [engineering]
    connection: pg-prod
    type: postgres
    sql: select 1
    expect: { effect: allow, masks: [], masked: [orders.total], unmasked: [customers.email] }
  - name: no type
    as: alice
    connection: nowhere
    open: true
    expect: { effect: deny }
`);
    assert.deepEqual(
      results.map((r) => r.failures),
      [
        ['expected allow by engineers-and-agents, got deny by no-drops'],
        [
          'expected masks none, got pii',
          'expected orders.total masked, no applying mask names it',
          'expected customers.email unmasked, mask pii names it',
        ],
        [
          'the type of connection nowhere is unknown: give the case a `type`, list it under `connections:`, or pass --config',
        ],
      ],
    );
  });

  it('takes connection types from the gateway config first', () => {
    const results = run(
      `connections: { pg-prod: postgres }
cases:
  - { name: a, as: alice, groups: [engineering], connection: pg-prod, sql: select 1, expect: { effect: allow } }
  - { name: b, as: alice, groups: [engineering], connection: pg-other, open: true, expect: { effect: allow } }
`,
      new Map([['pg-prod', 'ssh']]),
    );
    // An ssh connection: `sql` is still decided by policy, here the allow without statements.
    assert.equal(results[0]!.passed, true);
    assert.deepEqual(results[1]!.failures, [
      'connection pg-other is not configured (give the case a `type`)',
    ]);
  });

  it('a string that does not parse is decided as unparsed', () => {
    const result = evaluate(
      policy,
      { identity: alice, connection: { name: 'pg-prod', type: 'postgres' } },
      'selec 1',
    );
    assert.equal(result.effect, 'deny');
    assert.equal(result.rule, 'no-drops');
    assert.match(result.parseError?.message ?? '', /syntax error/);
  });

  it('explains statements: kinds, tables, functions, every matching rule', () => {
    const result = evaluate(
      policy,
      { identity: alice, connection: { name: 'pg-prod', type: 'postgres' } },
      'select lower(email) from customers; truncate orders',
    );
    assert.equal(result.effect, 'deny');
    assert.deepEqual(
      result.statements?.map((s) => [s.kinds, s.tables, s.functions, s.effect, s.matched]),
      [
        [['select'], ['customers'], ['lower'], 'allow', ['pii', 'engineers-and-agents']],
        [['truncate'], ['orders'], [], 'deny', ['no-drops', 'pii', 'engineers-and-agents']],
      ],
    );
    assert.deepEqual(result.matched, ['no-drops', 'pii', 'engineers-and-agents']);
  });
});

describe('parseCases', () => {
  function problems(yaml: string): unknown {
    try {
      parseCases(yaml, 'policy.test.yaml');
    } catch (error) {
      assert.ok(error instanceof HoopError);
      assert.equal(error.code, 'HOOP_POLICY_CASES_INVALID');
      return error.details?.problems;
    }
    assert.fail('expected an error');
  }

  it('reports every problem with its line, column and key', () => {
    assert.deepEqual(
      problems(`cases:
  - name: a
    as: alice
    connection: pg-prod
    expect: { effect: allow }
  - name: a
    as: bob
    apiKey: agent-1
    connection: pg-prod
    sql: select 1
    expect: { effect: permit, rul: x }
`),
      [
        {
          line: 2,
          column: 5,
          key: 'cases[0].sql',
          message: 'missing, expected either `sql` or `open: true`',
        },
        {
          line: 11,
          column: 15,
          key: 'cases[1].expect.effect',
          message: 'expected one of allow, deny, review, got "permit"',
        },
        {
          line: 11,
          column: 31,
          key: 'cases[1].expect.rul',
          message: 'unknown key, did you mean `rule`?',
        },
      ],
    );
    // Checks across keys run once the keys themselves are valid.
    assert.deepEqual(
      problems(`cases:
  - { name: a, as: x, apiKey: y, connection: c, open: true, expect: { effect: deny } }
`),
      [
        {
          line: 2,
          column: 16,
          key: 'cases[0].as',
          message: 'expected either `as` or `apiKey`, got "x"',
        },
      ],
    );
  });

  it('reports duplicate case names and YAML syntax errors', () => {
    assert.deepEqual(
      problems(`cases:
  - { name: a, as: x, connection: c, open: true, expect: { effect: deny } }
  - { name: a, as: x, connection: c, open: true, expect: { effect: deny } }
`),
      [
        {
          line: 3,
          column: 7,
          key: 'cases[1].name',
          message: 'duplicate case name "a", already used by cases[0]',
        },
      ],
    );
    const syntax = problems('cases: [\n') as { line: number }[];
    assert.equal(syntax.length > 0, true);
  });
});

describe('policy test cases name each kind of identity apart', () => {
  it('as: is a person or provider identity (oidc:<sub> too), apiKey: an API key', () => {
    const results = runCases(
      parsePolicy(
        `rules:
  - { name: key, match: { apiKeys: [agent-1] }, effect: allow }
  - { name: person, match: { users: [agent-1] }, effect: deny }`,
        { file: 'policy.yaml' },
      ),
      parseCases(
        `connections: { pg: postgres }
cases:
  - { name: the key, apiKey: agent-1, connection: pg, open: true, expect: { effect: allow, rule: key } }
  - { name: a person named agent-1, as: agent-1, connection: pg, open: true, expect: { effect: deny, rule: person } }
  - { name: the same by principal, as: 'oidc:agent-1', connection: pg, open: true, expect: { effect: deny, rule: person } }
`,
        'policy.test.yaml',
      ),
    );
    assert.deepEqual(
      results.map((r) => [r.name, r.passed]),
      [
        ['the key', true],
        ['a person named agent-1', true],
        ['the same by principal', true],
      ],
    );
  });

  it('refuses an API key written as a person', () => {
    assert.throws(
      () =>
        parseCases(
          `cases:
  - { name: a, as: 'apikey:agent-1', connection: c, open: true, expect: { effect: deny } }
`,
          'policy.test.yaml',
        ),
      (error: unknown) =>
        error instanceof HoopError &&
        /cases\[0\]\.as: an API key is named with `apiKey: <name>`, not `as`/.test(error.message),
    );
  });
});
