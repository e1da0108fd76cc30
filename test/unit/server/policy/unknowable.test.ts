import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import { parsePolicy, type Decision, type SqlAction } from '../../../../src/server/policy/index.js';
import { classifySql, initSqlParser } from '../../../../src/server/sql/index.js';
import { agent, alice, request, sql } from './fixtures.js';

before(() => initSqlParser());

function brief(decision: Decision): Pick<Decision, 'effect' | 'rule' | 'message'> {
  return {
    effect: decision.effect,
    ...(decision.rule !== undefined && { rule: decision.rule }),
    ...(decision.message !== undefined && { message: decision.message }),
  };
}

/** The action of the one statement `text` holds, as the classifier reports it. */
function action(text: string): SqlAction {
  const result = classifySql(text);
  assert.ok(result.ok && result.statements.length === 1, text);
  const [s] = result.statements;
  return {
    type: 'sql',
    kinds: s!.kinds,
    tables: s!.tables,
    functions: s!.functions,
    unknown: s!.unknown,
  };
}

const DYNAMIC_DO = 'do $$ declare q text; begin execute q; end $$';
const PYTHON = 'do language plpython3u $$ import os $$';

describe('decide: statements whose effect cannot be known', () => {
  const policy = parsePolicy(`rules:
  - name: no-drops
    match: { statements: [drop] }
    effect: deny
  - name: everyone
    match: {}
    effect: allow
`);

  it('refuses them whenever a limiting rule applies, naming it and why', () => {
    assert.deepEqual(brief(policy.decide(request(alice, 'db', action(DYNAMIC_DO)))), {
      effect: 'deny',
      rule: 'no-drops',
      message:
        'the statement executes SQL built at run time (EXECUTE of an expression), ' +
        'so policy rule no-drops cannot be checked against it',
    });
    assert.deepEqual(brief(policy.decide(request(alice, 'db', action(PYTHON)))), {
      effect: 'deny',
      rule: 'no-drops',
      message:
        'the statement runs code in language plpython3u (a DO block), which the gateway cannot analyse, ' +
        'so policy rule no-drops cannot be checked against it',
    });
  });

  it('decides by kind alone when the classifier’s reasons are not passed on', () => {
    assert.deepEqual(brief(policy.decide(request(alice, 'db', sql(['do', 'dynamic'])))), {
      effect: 'deny',
      rule: 'no-drops',
      message:
        'the statement runs code whose effect is known only at run time, ' +
        'so policy rule no-drops cannot be checked against it',
    });
  });

  it('passes them under a policy with no limiting rule for the caller', () => {
    const plain = parsePolicy(`rules:
  - name: agents-no-drops
    match: { agents: true, statements: [drop] }
    effect: deny
  - name: everyone
    match: {}
    effect: allow
`);
    assert.equal(plain.decide(request(alice, 'db', action(DYNAMIC_DO))).effect, 'allow');
    assert.equal(plain.decide(request(agent, 'db', action(DYNAMIC_DO))).rule, 'agents-no-drops');
  });

  it('lets an allow rule cover dynamic only by naming it', () => {
    const p = parsePolicy(`rules:
  - name: scripts
    match: { groups: [engineering], statements: [do, dynamic, select] }
    effect: allow
  - name: readers
    match: { groups: [agents], statements: [do, select] }
    effect: allow
`);
    assert.deepEqual(brief(p.decide(request(alice, 'db', action(DYNAMIC_DO)))), {
      effect: 'allow',
      rule: 'scripts',
    });
    assert.equal(p.decide(request(agent, 'db', action(DYNAMIC_DO))).rule, 'readers');
    assert.equal(p.decide(request(agent, 'db', action(DYNAMIC_DO))).effect, 'deny');
  });

  it('lets a deny rule name dynamic and refuse with its own message', () => {
    const p = parsePolicy(`rules:
  - name: no-runtime-sql
    match: { statements: [dynamic] }
    effect: deny
    message: SQL built at run time is not allowed here
  - name: everyone
    match: {}
    effect: allow
`);
    assert.deepEqual(brief(p.decide(request(alice, 'db', action(DYNAMIC_DO)))), {
      effect: 'deny',
      rule: 'no-runtime-sql',
      message: 'SQL built at run time is not allowed here',
    });
    assert.equal(p.decide(request(alice, 'db', action('select 1'))).effect, 'allow');
  });

  it('takes the tables and functions of a deny naming dynamic to match what it cannot see', () => {
    const p = parsePolicy(`rules:
  - name: no-runtime-file-reads
    match: { statements: [dynamic], functions: ["@server-files"] }
    effect: deny
  - name: everyone
    match: {}
    effect: allow
`);
    assert.equal(p.decide(request(alice, 'db', action(DYNAMIC_DO))).rule, 'no-runtime-file-reads');
    assert.equal(p.decide(request(alice, 'db', action('select 1'))).effect, 'allow');
  });

  it('counts rules on tables, functions and conditions on the action as limiting, of any effect', () => {
    for (const rule of [
      'match: { tables: [vault.*] }\n    effect: mask\n    mask: { detectors: [email] }',
      'match: { functions: ["@server-files"] }\n    effect: deny',
      'match: {}\n    when: \'action.tables.exists(t, t.startsWith("vault."))\'\n    effect: deny',
    ]) {
      const p = parsePolicy(
        `rules:\n  - name: limiting\n    ${rule}\n  - name: everyone\n    match: {}\n    effect: allow\n`,
      );
      assert.deepEqual(
        {
          effect: p.decide(request(alice, 'db', action(DYNAMIC_DO))).effect,
          rule: p.decide(request(alice, 'db', action(DYNAMIC_DO))).rule,
        },
        { effect: 'deny', rule: 'limiting' },
        rule,
      );
    }
  });

  it('keeps a deny that needs no classification, and an unparsed statement’s refusal, first', () => {
    const p = parsePolicy(`rules:
  - name: no-drops
    match: { statements: [drop] }
    effect: deny
  - name: nobody-at-all
    match: { users: ["oidc|alice"] }
    effect: deny
    message: alice is off
  - name: everyone
    match: {}
    effect: allow
`);
    assert.equal(p.decide(request(alice, 'db', action(DYNAMIC_DO))).message, 'alice is off');
    assert.equal(
      p.decide(request(agent, 'db', sql([], [], [], true))).message,
      'statement could not be classified',
    );
  });

  it('decides a fully known DO block by what it does', () => {
    assert.deepEqual(
      brief(
        policy.decide(request(alice, 'db', action("do $$ begin execute 'drop table t'; end $$"))),
      ),
      { effect: 'deny', rule: 'no-drops', message: 'refused by policy rule no-drops' },
    );
    assert.equal(
      policy.decide(request(alice, 'db', action('do $$ begin delete from t; end $$'))).effect,
      'allow',
    );
  });
});

describe('decide: function groups and COPY directions', () => {
  const policy = parsePolicy(`rules:
  - name: no-server-files
    match: { functions: ["@server-files", "@program-execution"] }
    effect: deny
  - name: exports
    match: { statements: [copy, select] }
    effect: allow
  - name: loaders
    match: { groups: [agents], statements: [copy_from_stdin, insert] }
    effect: allow
`);

  it('matches a group by its members in any schema, and its pseudo-entries', () => {
    for (const text of [
      "select pg_catalog.pg_read_file('/etc/passwd')",
      "select public.lo_import('/etc/passwd')",
      "copy t to '/tmp/x'",
      "copy t from program 'id'",
      "do $$ begin perform pg_ls_dir('/'); end $$",
    ]) {
      assert.equal(policy.decide(request(alice, 'db', action(text))).rule, 'no-server-files', text);
    }
  });

  it('lets copy cover every direction, and a direction only itself', () => {
    assert.deepEqual(brief(policy.decide(request(alice, 'db', action('copy t to stdout')))), {
      effect: 'allow',
      rule: 'exports',
    });
    assert.equal(policy.decide(request(agent, 'db', action('copy t from stdin'))).rule, 'loaders');
    assert.equal(
      policy.decide(request(agent, 'db', action('copy (select 1) to stdout'))).rule,
      'exports',
    );
  });

  it('refuses an unknown group with a suggestion', () => {
    assert.throws(
      () =>
        parsePolicy(
          'rules:\n  - name: x\n    match: { functions: ["@server-file", "@nope"] }\n    effect: deny\n',
          { file: 'p.yaml' },
        ),
      (error: Error) =>
        error.message.includes(
          'p.yaml:3:26: rules[0].match.functions[0]: unknown function group "@server-file"; did you mean `@server-files`?',
        ) &&
        error.message.includes(
          'rules[0].match.functions[1]: unknown function group "@nope"; expected one of @server-files, @program-execution',
        ),
    );
  });
});
