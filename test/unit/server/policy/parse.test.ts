import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { HoopError } from '../../../../src/lib/errors.js';
import { loadPolicy, parsePolicy, policyFromRules } from '../../../../src/server/policy/index.js';
import { DESIGN_POLICY } from './fixtures.js';

/** The located message of the `HOOP_POLICY_INVALID` that `fn` throws. */
function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof HoopError);
    assert.equal(error.code, 'HOOP_POLICY_INVALID');
    assert.equal(error.exitCode, 2);
    return error.message.split('\n');
  }
  assert.fail('expected HOOP_POLICY_INVALID');
}

function invalid(text: string): string[] {
  return problems(() => parsePolicy(text, { file: 'policy.yaml' }));
}

describe('parsePolicy', () => {
  it('parses the DESIGN.md example, with defaults applied', () => {
    const policy = parsePolicy(DESIGN_POLICY);
    assert.deepEqual(
      policy.rules.map((rule) => [rule.name, rule.effect]),
      [
        ['no-drops', 'deny'],
        ['agent-writes-need-review', 'review'],
        ['pii', 'mask'],
        ['engineers-and-agents', 'allow'],
      ],
    );
    assert.deepEqual(policy.rules[1]?.review, { approvers: ['dba'], approvals: 1, timeout: '5m' });
    assert.match(policy.hash, /^sha256:[0-9a-f]{64}$/);
    assert.ok(Object.isFrozen(policy.rules[0]?.match));
  });

  describe('hash', () => {
    const base = parsePolicy(DESIGN_POLICY).hash;

    it('ignores comments, layout, key order and written defaults', () => {
      const reformatted = `# reviewed by the data team
rules:
- effect: deny
  name: no-drops
  message: "Dropping objects in production is not allowed"
  match:
    statements: [drop, truncate]
    connections:
      - pg-prod
- name: agent-writes-need-review
  match: { statements: [insert, update, delete], groups: [agents] }
  effect: review
  review: { timeout: 5m, approvers: [dba] }   # approvals: 1 is the default
- name: pii
  match: { connections: ['*'] }
  effect: mask
  mask: { detectors: [email, credit_card, phone], columns: [customers.email, '*.ssn', '*.card_number'] }
- { name: engineers-and-agents, match: { groups: [engineering, agents] }, effect: allow }
`;
      assert.equal(parsePolicy(reformatted).hash, base);
    });

    it('is the same for the rules inline in hoop.yaml', () => {
      const rules = parsePolicy(DESIGN_POLICY).rules;
      assert.equal(policyFromRules(structuredClone([...rules])).hash, base);
    });

    it('changes with any rule, and with their order', () => {
      assert.notEqual(
        parsePolicy(DESIGN_POLICY.replace('approvals: 1', 'approvals: 2')).hash,
        base,
      );
      assert.notEqual(parsePolicy(DESIGN_POLICY.replace('[drop, truncate]', '[drop]')).hash, base);
      const [head, ...rules] = DESIGN_POLICY.split(/\n(?= {2}- name:)/);
      assert.notEqual(parsePolicy([head, ...rules.reverse()].join('\n') + '\n').hash, base);
    });
  });

  describe('located errors', () => {
    it('reports every problem at once, in file order', () => {
      const text = `rules:
  - name: a
    match: { conections: [pg-prod], statements: [selct, drop], tables: [1] }
    effect: deny
  - name: b
    match: {}
    effect: alow
  - name: A
    match: { agents: yes }
    effect: mask
    mask: { detectors: [email, ssn] }
  - name: c
    match: {}
    effect: deny
    mask: { detectors: [email] }
  - name: d
    match: { types: [postgress] }
    effect: review
    review: { approvers: [], approvals: 0, timeout: soon }
  - name: e
    effect: allow
`;
      assert.deepEqual(invalid(text), [
        'policy.yaml:3:14: rules[0].match.conections: unknown key, did you mean `connections`?',
        'policy.yaml:3:50: rules[0].match.statements[0]: expected one of select, insert, update, ' +
          'delete, merge, ddl, drop, truncate, grant, copy, copy_from_stdin, copy_to_stdout, ' +
          'copy_from_file, copy_to_file, copy_from_program, copy_to_program, call, do, explain, ' +
          'transaction, set, show, prepare, execute, lock, vacuum, listen, notify, cursor, utility, ' +
          'dynamic, got "selct"; did you mean `select`?',
        'policy.yaml:3:73: rules[0].match.tables[0]: expected a table, got 1',
        'policy.yaml:7:5: rules[1].effect: expected one of allow, deny, review, mask, got "alow"; ' +
          'did you mean `allow`?',
        'policy.yaml:8:5: rules[2].name: duplicate rule name "A", already used by rules[0] on line 2',
        'policy.yaml:9:14: rules[2].match.agents: expected true or false, got "yes"',
        'policy.yaml:11:32: rules[2].mask.detectors[1]: expected one of email, credit_card, phone, ' +
          'national_id, iban, ip, secrets, got "ssn"',
        'policy.yaml:15:5: rules[3].mask: unknown key, expected one of `name`, `match`, `when`, `effect`, `message`',
        'policy.yaml:17:22: rules[4].match.types[0]: expected one of postgres, mysql, ssh, http, tcp, ' +
          'got "postgress"; did you mean `postgres`?',
        'policy.yaml:19:15: rules[4].review.approvers: expected a non-empty list of approver groups, ' +
          'got an empty list',
        'policy.yaml:19:30: rules[4].review.approvals: expected a whole number of approvals, at least 1, got 0',
        'policy.yaml:19:44: rules[4].review.timeout: expected a duration such as 5m, got "soon"',
        'policy.yaml:20:5: rules[5].match: missing, expected a mapping of keys to values',
      ]);
    });

    it('puts the first problem in details', () => {
      assert.throws(
        () =>
          parsePolicy('rules:\n  - name: x\n    match: { grups: [a] }\n    effect: allow\n', {
            file: 'p.yaml',
          }),
        (error: unknown) => {
          assert.ok(error instanceof HoopError);
          assert.deepEqual(error.details, {
            file: 'p.yaml',
            line: 3,
            column: 14,
            key: 'rules[0].match.grups',
            problems: [
              {
                line: 3,
                column: 14,
                key: 'rules[0].match.grups',
                message: 'unknown key, did you mean `groups`?',
              },
            ],
          });
          return true;
        },
      );
    });

    const cases: [string, string, string][] = [
      [
        'an empty file',
        '',
        'policy.yaml:1:1: the file is empty; expected `rules:` with a list of rules',
      ],
      [
        'a list at the top',
        '- name: x\n',
        'policy.yaml:1:1: expected a mapping of `rules:` with a list of rules, got a list',
      ],
      [
        'no rules',
        'rules: []\n',
        'policy.yaml:1:1: rules: expected at least one rule, got an empty list',
      ],
      [
        'an unknown top-level key',
        'rule: []\n',
        'policy.yaml:1:1: rule: unknown key, did you mean `rules`?',
      ],
      [
        'a duplicate key',
        'rules:\n  - name: x\n    match: {}\n    match: {}\n    effect: allow\n',
        'policy.yaml:4:5: rules[0].match: duplicate key, already set on line 3',
      ],
      [
        'a YAML syntax error',
        'rules:\n  - name: x\n    match: { groups: [a }\n    effect: allow\n',
        'policy.yaml:3:25: YAML syntax error',
      ],
      [
        'a rule name with spaces',
        'rules:\n  - name: my rule\n    match: {}\n    effect: allow\n',
        'policy.yaml:2:5: rules[0].name: expected a rule name of letters, digits, ".", "_" and "-", got "my rule"',
      ],
      [
        'an empty match list',
        'rules:\n  - name: x\n    match: { groups: [] }\n    effect: allow\n',
        'policy.yaml:3:14: rules[0].match.groups: expected a non-empty list of group names, got an empty list',
      ],
      [
        'a list written as text',
        'rules:\n  - name: x\n    match: { groups: engineering }\n    effect: allow\n',
        'policy.yaml:3:14: rules[0].match.groups: expected a list of group names, got "engineering"',
      ],
      [
        'a mask with nothing to mask',
        'rules:\n  - name: x\n    match: {}\n    effect: mask\n    mask: { columns: [] }\n',
        'policy.yaml:5:5: rules[0].mask: expected columns or detectors to mask',
      ],
      [
        'a misspelt detector',
        'rules:\n  - name: x\n    match: {}\n    effect: mask\n    mask: { detectors: [secret] }\n',
        'policy.yaml:5:25: rules[0].mask.detectors[0]: expected one of email, credit_card, phone, ' +
          'national_id, iban, ip, secrets, got "secret"; did you mean `secrets`?',
      ],
      [
        'a mask rule without its mask',
        'rules:\n  - name: x\n    match: {}\n    effect: mask\n',
        'policy.yaml:2:5: rules[0].mask: missing, expected a mapping of keys to values',
      ],
      [
        'a message on an allow rule',
        'rules:\n  - name: x\n    match: {}\n    effect: allow\n    message: hi\n',
        'policy.yaml:5:5: rules[0].message: unknown key, expected one of `name`, `match`, `when`, `effect`',
      ],
    ];
    for (const [what, text, expected] of cases) {
      it(what, () => {
        const [first] = invalid(text);
        assert.ok(first?.startsWith(expected), `${first} should start with ${expected}`);
      });
    }
  });
});

describe('policyFromRules', () => {
  it('builds a policy from inline rules', () => {
    const policy = policyFromRules([{ name: 'all', match: {}, effect: 'allow' }]);
    assert.equal(policy.rules.length, 1);
  });

  it('names problems by their key path under policy', () => {
    const lines = problems(() =>
      policyFromRules(
        [
          { name: 'x', match: {}, effect: 'allow', extra: 1 },
          'y',
          { name: 'X', match: {}, effect: 'allow' },
        ],
        {
          file: 'hoop.yaml',
        },
      ),
    );
    assert.deepEqual(lines, [
      'hoop.yaml: policy[0].extra: unknown key, expected one of `name`, `match`, `when`, `effect`',
      'hoop.yaml: policy[1]: expected a rule with name, match and effect, got "y"',
      'hoop.yaml: policy[2].name: duplicate rule name "X", already used by policy[0]',
    ]);
  });
});

describe('loadPolicy', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'hoop-policy-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads and parses a file, naming it in errors', async () => {
    const good = join(dir, 'policy.yaml');
    writeFileSync(good, DESIGN_POLICY);
    assert.equal((await loadPolicy(good)).hash, parsePolicy(DESIGN_POLICY).hash);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'rules:\n  - name: x\n    match: {}\n    effect: permit\n');
    await assert.rejects(loadPolicy(bad), (error: unknown) => {
      assert.ok(error instanceof HoopError);
      assert.match(
        error.message,
        new RegExp(`^${bad.replace(/[.]/g, '\\.')}:4:5: rules\\[0\\]\\.effect: `),
      );
      return true;
    });
  });

  it('refuses a missing file', async () => {
    const file = join(dir, 'nope.yaml');
    await assert.rejects(loadPolicy(file), (error: unknown) => {
      assert.ok(error instanceof HoopError);
      assert.equal(error.code, 'HOOP_POLICY_INVALID');
      assert.equal(error.message, `${file}: cannot read the policy file: it does not exist`);
      return true;
    });
  });
});
