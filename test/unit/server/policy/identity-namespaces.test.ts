import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { pino } from 'pino';

import { HoopError } from '../../../../src/lib/errors.js';
import { parseConfig } from '../../../../src/server/config/index.js';
import { ConfiguredPolicy } from '../../../../src/server/policy/configured.js';
import { parsePolicy, type PolicyRequest } from '../../../../src/server/policy/index.js';
import { lintPolicy } from '../../../../src/server/policy/lint.js';
import { agent, alice, request } from './fixtures.js';

type Identity = PolicyRequest['identity'];

function policy(rules: string) {
  return parsePolicy(`rules:\n${rules}`, { file: 'policy.yaml' });
}

/** The rule that allowed `identity` to open pg-prod, or undefined when none did. */
function allowedBy(p: ReturnType<typeof policy>, identity: Identity): string | undefined {
  const decision = p.decide(request(identity, 'pg-prod'));
  return decision.effect === 'allow' ? decision.rule : undefined;
}

/** A person at the identity provider. */
function person(subject: string, extra: Partial<Identity> = {}): Identity {
  return { method: 'oidc', subject, name: subject, groups: [], kind: 'user', ...extra };
}

/** An API key. */
function key(name: string): Identity {
  return { method: 'apikey', subject: `apikey:${name}`, name, groups: [], kind: 'agent' };
}

/**
 * A provider identity with the API key's subject: the gateway refuses to
 * establish one, but the policy must not take it for the key if it ever sees one.
 */
const forged = person('apikey:agent-1', { name: 'agent-1', kind: 'agent' });

describe('policy: an identity of one kind never matches a rule written for another', () => {
  // Three ways of writing a rule for the API key agent-1.
  const keyRules = [
    policy(`  - { name: by-api-keys, match: { apiKeys: [agent-1] }, effect: allow }`),
    policy(`  - { name: by-principal, match: { users: [APIKEY:Agent-1] }, effect: allow }`),
    policy(
      `  - { name: by-condition, match: {}, when: 'identity.principal == "apikey:agent-1"', effect: allow }`,
    ),
  ];
  const allowers = (identity: Identity) => keyRules.map((p) => allowedBy(p, identity));

  it('rules for the API key agent-1 match the key, by apiKeys, users: [apikey:…] and identity.principal', () => {
    assert.deepEqual(allowers(agent), ['by-api-keys', 'by-principal', 'by-condition']);
  });

  it('and none of them a provider identity whose subject is apikey:agent-1', () => {
    assert.deepEqual(allowers(forged), [undefined, undefined, undefined]);
  });

  it('nor a person whose name or email is the key’s name or principal', () => {
    for (const impostor of [
      person('mallory', { name: 'agent-1' }),
      person('mallory', { name: 'apikey:agent-1' }),
      person('mallory', { name: 'm', email: 'agent-1' }),
      person('agent-1'),
    ]) {
      assert.deepEqual(allowers(impostor), [undefined, undefined, undefined], impostor.name);
    }
  });

  it('a bare users entry names people only: the key agent-1 is not “agent-1”', () => {
    const p = policy(`
  - { name: named, match: { users: [agent-1] }, effect: allow }
`);
    assert.equal(allowedBy(p, agent), undefined);
    assert.equal(allowedBy(p, person('u-1', { name: 'agent-1' })), 'named');
  });

  it('an API key named alice does not pass for the person alice', () => {
    const byName = policy(
      `  - { name: by-name, match: { users: [alice, alice@example.com] }, effect: allow }`,
    );
    const exactly = policy(
      `  - { name: exactly, match: { users: ['oidc:alice'] }, effect: allow }`,
    );
    const alicePerson = person('alice', { email: 'alice@example.com' });
    assert.equal(allowedBy(byName, alicePerson), 'by-name');
    assert.equal(allowedBy(exactly, alicePerson), 'exactly');
    for (const impostor of [key('alice'), { ...key('alice'), email: 'alice@example.com' }]) {
      assert.equal(allowedBy(byName, impostor), undefined);
      assert.equal(allowedBy(exactly, impostor), undefined);
    }
  });

  it('oidc:<sub> names one provider identity by subject, not by name', () => {
    const p = policy(`
  - { name: exact, match: { users: ['oidc:u-42'] }, effect: allow }
`);
    assert.equal(allowedBy(p, person('u-42')), 'exact');
    assert.equal(allowedBy(p, person('u-7', { name: 'u-42' })), undefined);
    assert.equal(allowedBy(p, person('oidc:u-42')), undefined);
  });

  it('conditions see the method and the principal', () => {
    const p = policy(`
  - { name: keys, match: {}, when: 'identity.method == "apikey"', effect: allow }
  - { name: alice, match: {}, when: 'identity.principal == "oidc:" + identity.subject && identity.subject == "oidc|alice"', effect: allow }
`);
    assert.equal(allowedBy(p, agent), 'keys');
    assert.equal(allowedBy(p, alice), 'alice');
    assert.equal(allowedBy(p, forged), undefined);
  });

  it('actors are provider identities, by sub or oidc:<sub>', () => {
    const p = policy(`
  - { name: via-agent, match: { actors: ['oidc:agent-1'] }, effect: allow }
`);
    assert.equal(allowedBy(p, { ...alice, kind: 'agent', actors: ['agent-1'] }), 'via-agent');
    assert.equal(allowedBy(p, agent), undefined);
  });
});

describe('policy validation of identity selectors', () => {
  const problems = (rules: string): string => {
    try {
      policy(rules);
    } catch (error) {
      assert.ok(error instanceof HoopError);
      return error.message;
    }
    return '';
  };

  it('refuses an API key as an actor, and principals without a name', () => {
    assert.match(
      problems(`  - { name: r, match: { actors: ['apikey:agent-1'] }, effect: allow }`),
      /API keys never act for anyone/,
    );
    assert.match(
      problems(`  - { name: r, match: { users: ['apikey:'] }, effect: allow }`),
      /expected apikey: followed by an API key name/,
    );
    assert.match(
      problems(`  - { name: r, match: { users: ['oidc:'] }, effect: allow }`),
      /expected oidc: followed by a subject/,
    );
  });

  it('hoop policy check warns when a bare users entry is a configured API key’s name', () => {
    const rules = parsePolicy(
      `rules:
  - { name: r, match: { users: [Agent-1, alice, 'apikey:agent-1'] }, effect: deny }`,
      { file: 'policy.yaml' },
    ).rules;
    const findings = lintPolicy(rules, { apiKeys: ['agent-1'] });
    assert.deepEqual(
      findings.map((f) => f.code),
      ['user-is-api-key'],
    );
    assert.match(findings[0]!.message, /write `apiKeys: \[Agent-1\]`/);
  });
});

describe('the gateway warns at load about users entries that name API keys', () => {
  it('logs policy_users_name_api_keys with the rules, for a policy file and its reloads', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'hoop-users-keys-'));
    try {
      const file = path.join(dir, 'policy.yaml');
      await writeFile(
        file,
        'rules:\n  - { name: no-drops-for-agent-1, match: { users: [agent-1], statements: [drop] }, effect: deny }\n',
      );
      const lines: Record<string, unknown>[] = [];
      const log = pino(
        { level: 'info' },
        new Writable({
          write(chunk: Buffer, _encoding, done) {
            for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line));
            done();
          },
        }),
      );
      const config = parseConfig(
        `auth:\n  apiKeys:\n    - { name: agent-1, groups: [agents], keyHash: "sha256:${'0'.repeat(64)}" }\npolicy: ./policy.yaml\n`,
        { file: path.join(dir, 'hoop.yaml'), env: {} },
      );
      const configured = await ConfiguredPolicy.open(config, log, false);
      await writeFile(
        file,
        'rules:\n  - { name: fine, match: { apiKeys: [agent-1] }, effect: allow }\n',
      );
      await configured.reload('test');
      configured.close();
      const warnings = lines.filter((line) => line['event'] === 'policy_users_name_api_keys');
      assert.equal(warnings.length, 1, JSON.stringify(lines));
      assert.deepEqual(warnings[0]?.['rules'], ['no-drops-for-agent-1']);
      assert.match(String(warnings[0]?.['msg']), /write `apiKeys: \[agent-1\]`/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
