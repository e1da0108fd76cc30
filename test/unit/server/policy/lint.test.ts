import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parsePolicy } from '../../../../src/server/policy/index.js';
import { lintPolicy, type LintContext } from '../../../../src/server/policy/lint.js';
import type { Rule } from '../../../../src/server/policy/types.js';
import { DESIGN_POLICY } from './fixtures.js';

function rules(yaml: string): readonly Rule[] {
  return parsePolicy(yaml, { file: 'policy.yaml' }).rules;
}

/** `code rule [related]` per finding, the shape most cases compare. */
function lint(yaml: string, context: LintContext = {}): string[] {
  return lintPolicy(rules(yaml), context).map(
    (f) => `${f.code} ${f.rule}${f.related ? ` ${f.related.rule}` : ''}`,
  );
}

const CONFIG: LintContext = {
  connections: [
    { name: 'pg-prod', type: 'postgres' },
    { name: 'pg-staging', type: 'postgres' },
    { name: 'bastion', type: 'ssh' },
  ],
  groups: ['engineering', 'agents', 'dba'],
  apiKeys: ['agent-1'],
  identityProvider: true,
};

describe('lintPolicy', () => {
  it('finds nothing but the usual deny carve-out notes in the DESIGN.md policy', () => {
    const findings = lintPolicy(rules(DESIGN_POLICY), CONFIG);
    assert.deepEqual(
      findings.map((f) => `${f.severity} ${f.code} ${f.rule} ${f.related?.rule}`),
      ['note deny-overlap engineers-and-agents no-drops'],
    );
    assert.equal(
      findings[0]!.message,
      'deny rule no-drops takes the requests of allow rule engineers-and-agents with connection pg-prod, statement drop or truncate',
    );
  });

  describe('rules that can never match', () => {
    it('agents: false with apiKeys', () => {
      assert.deepEqual(
        lint(`rules:
  - { name: r, match: { agents: false, apiKeys: [agent-1] }, effect: allow }`),
        ['never-matches r'],
      );
    });

    it('delegated: false with actors', () => {
      assert.deepEqual(
        lint(`rules:
  - { name: r, match: { delegated: false, actors: [bot] }, effect: allow }`),
        ['never-matches r'],
      );
    });

    it('SQL keys on ssh-only types', () => {
      const findings = lintPolicy(
        rules(`rules:
  - { name: r, match: { types: [ssh, http], statements: [select] }, effect: allow }`),
      );
      assert.equal(findings.length, 1);
      assert.match(findings[0]!.message, /match SQL only, and `types` lists ssh, http/);
    });

    it('a connection no configured connection is, with the unknown name', () => {
      assert.deepEqual(
        lint(
          `rules:
  - { name: r, match: { connections: [pg-prd] }, effect: allow }`,
          CONFIG,
        ),
        ['unknown-connection r', 'never-matches r'],
      );
    });

    it('connections whose type the rule excludes, or SQL keys on an ssh connection', () => {
      assert.deepEqual(
        lint(
          `rules:
  - { name: a, match: { connections: [pg-prod], types: [mysql] }, effect: allow }
  - { name: b, match: { connections: [bastion], statements: [select] }, effect: deny }
  - { name: c, match: { connections: ['pg-*'], types: [postgres] }, effect: allow }`,
          CONFIG,
        ),
        ['never-matches a', 'never-matches b'],
      );
    });

    it('API keys that are not configured', () => {
      assert.deepEqual(
        lint(
          `rules:
  - { name: r, match: { apiKeys: [agent-2] }, effect: allow }`,
          CONFIG,
        ),
        ['unknown-api-key r', 'never-matches r'],
      );
    });

    it('unknown groups are warnings; never-matching only without an identity provider', () => {
      const yaml = `rules:
  - { name: r, match: { groups: [support] }, effect: allow }`;
      assert.deepEqual(lint(yaml, CONFIG), ['unknown-group r']);
      assert.match(lintPolicy(rules(yaml), CONFIG)[0]!.message, /identity provider issues it/);
      assert.deepEqual(lint(yaml, { ...CONFIG, identityProvider: false }), [
        'unknown-group r',
        'never-matches r',
      ]);
    });

    it('a never-matching rule shadows nothing', () => {
      assert.deepEqual(
        lint(`rules:
  - { name: d, match: { agents: false, apiKeys: [x] }, effect: deny }
  - { name: a, match: { apiKeys: [x] }, effect: allow }`),
        ['never-matches d'],
      );
    });
  });

  describe('shadowed rules', () => {
    it('an allow fully covered by a deny is dead, wherever the deny is', () => {
      assert.deepEqual(
        lint(`rules:
  - { name: a, match: { connections: [pg-prod], groups: [engineering], statements: [select] }, effect: allow }
  - { name: d, match: { connections: ['pg-*'] }, effect: deny }`),
        ['dead-allow a d'],
      );
    });

    it('precedence: a review over an allow, an earlier allow over a later one, not a later one', () => {
      assert.deepEqual(
        lint(`rules:
  - { name: wide, match: { groups: [engineering, agents] }, effect: allow }
  - { name: narrow, match: { groups: [agents], connections: [pg-prod] }, effect: allow }
  - { name: held, match: { groups: [dba] }, effect: review, review: { approvers: [dba] } }
  - { name: dba, match: { groups: [dba], types: [postgres] }, effect: allow }`),
        ['shadowed narrow wide', 'shadowed dba held'],
      );
      assert.deepEqual(
        lint(`rules:
  - { name: narrow, match: { groups: [agents], connections: [pg-prod] }, effect: allow }
  - { name: wide, match: { groups: [engineering, agents] }, effect: allow }`),
        [],
      );
    });

    it('an earlier deny over a later one, and a deny over a mask', () => {
      assert.deepEqual(
        lint(`rules:
  - { name: no-ddl, match: { statements: [ddl, drop] }, effect: deny }
  - { name: no-drops, match: { statements: [drop], tables: [orders] }, effect: deny }
  - { name: pii, match: { statements: [drop] }, effect: mask, mask: { detectors: [email] } }`),
        ['shadowed no-drops no-ddl', 'shadowed pii no-ddl'],
      );
    });

    it('statement kinds: a deny on any kind does not cover an allow on others', () => {
      assert.deepEqual(
        lint(`rules:
  - { name: no-deletes, match: { statements: [delete] }, effect: deny }
  - { name: reads, match: { statements: [select] }, effect: allow }`),
        [],
      );
      // An allow matches statements of its kinds only; a deny on one kind covers it when the allow's kinds are all denied.
      assert.deepEqual(
        lint(`rules:
  - { name: no-writes, match: { statements: [insert, update, delete] }, effect: deny }
  - { name: writes, match: { statements: [insert, update] }, effect: allow }`),
        ['dead-allow writes no-writes'],
      );
    });

    it('an allow rule on kinds does not cover a deny on any of them', () => {
      assert.deepEqual(
        lint(`rules:
  - { name: first, match: { statements: [select] }, effect: deny }
  - { name: second, match: { statements: [select] }, effect: deny }
  - { name: reads, match: { statements: [select, insert] }, effect: allow }
  - { name: readonly, match: { statements: [select] }, effect: allow }`),
        ['shadowed second first', 'deny-overlap reads first', 'dead-allow readonly first'],
      );
    });

    it('tables: a strict allow does not cover a lenient deny on qualified names', () => {
      assert.deepEqual(
        lint(`rules:
  - { name: vault, match: { tables: ['vault.*'] }, effect: deny }
  - { name: secrets, match: { tables: [vault.secrets, orders] }, effect: allow }
  - { name: reports, match: { tables: ['reports.*'] }, effect: allow }`),
        ['deny-overlap secrets vault', 'deny-overlap reports vault'],
      );
      assert.deepEqual(
        lint(`rules:
  - { name: vault, match: { tables: ['vault.*'] }, effect: deny }
  - { name: secrets, match: { tables: [vault.secrets] }, effect: allow }`),
        ['dead-allow secrets vault'],
      );
    });

    it('a session-open allow is not covered by a deny on statements', () => {
      assert.deepEqual(
        lint(`rules:
  - { name: no-drops, match: { statements: [drop] }, effect: deny }
  - { name: open, match: { groups: [engineering] }, effect: allow }`),
        ['deny-overlap open no-drops'],
      );
    });

    it('rules with keys it cannot compare (a condition, a time window) are never taken to cover', () => {
      const [deny, allow] = rules(`rules:
  - { name: d, match: { groups: [engineering] }, effect: deny }
  - { name: a, match: { groups: [engineering] }, effect: allow }`);
      const timed = { ...deny!, match: { ...deny!.match, time: { from: '22:00', to: '06:00' } } };
      const conditional = { ...deny!, when: 'request.time.getHours() > 18' } as Rule;
      assert.equal(lintPolicy([timed as Rule, allow!])[0]?.code, 'deny-overlap');
      assert.match(lintPolicy([timed as Rule, allow!])[0]!.message, /when its time holds/);
      assert.equal(lintPolicy([conditional, allow!])[0]?.code, 'deny-overlap');
      assert.equal(lintPolicy([deny!, allow!])[0]?.code, 'dead-allow');
    });

    it('the delegation chain: actors and delegated', () => {
      assert.deepEqual(
        lint(`rules:
  - { name: no-agents-for-people, match: { delegated: true }, effect: deny }
  - { name: bot-reads, match: { actors: [bot], statements: [select] }, effect: allow }
  - { name: direct, match: { delegated: false }, effect: allow }
  - { name: bot-writes, match: { actors: [bot, other] }, effect: review, review: { approvers: [dba] } }`),
        ['dead-allow bot-reads no-agents-for-people', 'shadowed bot-writes no-agents-for-people'],
      );
    });

    it('disjoint rules are not reported', () => {
      assert.deepEqual(
        lint(`rules:
  - { name: d, match: { connections: [pg-prod], agents: true }, effect: deny }
  - { name: a, match: { connections: [pg-staging] }, effect: allow }
  - { name: b, match: { agents: false }, effect: allow }
  - { name: c, match: { statements: [select] }, effect: allow }
  - { name: e, match: { statements: [delete] }, effect: deny }`),
        ['deny-overlap a e', 'deny-overlap b e', 'deny-overlap c d'],
      );
    });

    it('messages name the other rule with its line when lines are given', () => {
      const findings = lintPolicy(
        rules(`rules:
  - { name: d, match: {}, effect: deny }
  - { name: a, match: {}, effect: allow }`),
        { lines: [2, 3] },
      );
      assert.equal(
        findings[0]!.message,
        'allow rule a is dead: deny rule d (line 2) refuses every request it matches',
      );
    });
  });
});

describe('lintPolicy: function groups and COPY directions', () => {
  it('sees a rule on a group take the rules on its members', () => {
    assert.deepEqual(
      lint(`rules:
  - { name: files, match: { functions: ["@server-files"] }, effect: deny }
  - { name: read-file, match: { functions: [pg_read_file] }, effect: deny }`),
      ['shadowed read-file files'],
    );
  });

  it('does not take a glob that spells a group’s name for the group', () => {
    assert.deepEqual(
      lint(`rules:
  - { name: files, match: { functions: ["*file*"] }, effect: deny }
  - { name: group, match: { functions: ["@server-files"] }, effect: deny }`),
      [],
    );
  });

  it('sees copy take every direction, and not the other way round', () => {
    assert.deepEqual(
      lint(`rules:
  - { name: no-copy, match: { statements: [copy] }, effect: deny }
  - { name: no-program, match: { statements: [copy_to_program] }, effect: deny }`),
      ['shadowed no-program no-copy'],
    );
    assert.deepEqual(
      lint(`rules:
  - { name: no-program, match: { statements: [copy_to_program] }, effect: deny }
  - { name: no-copy, match: { statements: [copy] }, effect: deny }`),
      [],
    );
  });
});
