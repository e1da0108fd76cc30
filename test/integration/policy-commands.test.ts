// `hoop policy check|test|explain` as a user runs them (run `npm run build` first): files in a
// temp dir, the built CLI, exit codes, located errors, warnings and JSON.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { runHoop } from '../helpers/cli.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const POLICY = `rules:
  - name: no-drops
    match: { connections: [pg-prod], statements: [drop, truncate] }
    effect: deny
    message: Dropping objects in production is not allowed
  - name: engineers
    match: { groups: [engineering] }
    effect: allow
  - name: prod-drops
    match: { connections: [pg-prod], groups: [engineering], statements: [drop] }
    effect: allow
  - name: pii
    match: { connections: ['*'] }
    effect: mask
    mask: { columns: [customers.email] }
`;

const CASES = `connections: { pg-prod: postgres }
cases:
  - name: engineers read
    as: alice
    groups: [engineering]
    connection: pg-prod
    sql: select email from customers
    expect: { effect: allow, rule: engineers, masks: [pii], masked: [customers.email] }
  - name: drops refused
    as: alice
    groups: [engineering]
    connection: pg-prod
    sql: drop table customers
    expect: { effect: deny, rule: no-drops }
`;

const CONFIG = `auth:
  apiKeys:
    - { name: agent-1, groups: [agents], keyHash: "sha256:${'0'.repeat(64)}" }
connections:
  - { name: pg-prod, type: postgres, host: 127.0.0.1, password: "\${env:UNSET_IN_CI}", groups: [engineering] }
policy: ./policy.yaml
`;

let dir: string;

async function write(name: string, text: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, text);
  return file;
}

/** Runs hoop in the temp dir, so files are named as a user would name them. */
function hoop(...args: string[]) {
  return runHoop(['policy', ...args.map((arg) => arg.replaceAll('$DIR', dir))]);
}

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'hoop-policy-'));
  await write('policy.yaml', POLICY);
  await write('policy.test.yaml', CASES);
  await write('hoop.yaml', CONFIG);
});

after(() => rm(dir, { recursive: true, force: true }));

describe('hoop policy check', () => {
  it('lints: warnings with rule names and file:line, exit 0', async () => {
    const result = await hoop('check', '$DIR/policy.yaml');
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /policy\.yaml:9: warning: allow rule prod-drops is dead: deny rule no-drops \(line 2\) refuses every request it matches \[dead-allow\]/,
    );
    assert.match(
      result.stdout,
      /policy\.yaml:6: note: deny rule no-drops \(line 2\) takes the requests of allow rule engineers with connection pg-prod, statement drop or truncate/,
    );
    assert.match(result.stdout, /policy\.yaml: 4 rules, 1 warning, 1 note\n$/);
  });

  it('--strict turns warnings into exit 1', async () => {
    const result = await hoop('check', '$DIR/policy.yaml', '--strict');
    assert.equal(result.code, 1);
    assert.match(result.stderr, /1 warning\(s\) with --strict/);
  });

  it('--config: the config names the policy; unknown connections and groups are warnings', async () => {
    await write(
      'other.yaml',
      `rules:
  - { name: staging, match: { connections: [pg-staging] }, effect: allow }
  - { name: support, match: { groups: [support] }, effect: allow }
  - { name: keys, match: { apiKeys: [agent-2] }, effect: allow }
`,
    );
    const fromConfig = await hoop('check', '--config', '$DIR/hoop.yaml');
    assert.equal(fromConfig.code, 0, fromConfig.stderr);
    assert.match(fromConfig.stdout, /policy\.yaml: 4 rules, 1 warning, 1 note/);

    const result = await hoop('check', '$DIR/other.yaml', '--config', '$DIR/hoop.yaml', '--json');
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as {
      valid: boolean;
      findings: { code: string; rule: string; line: number; severity: string }[];
    };
    assert.equal(report.valid, true);
    assert.deepEqual(
      report.findings.map((f) => [f.code, f.rule, f.line, f.severity]),
      [
        ['unknown-connection', 'staging', 2, 'warning'],
        ['never-matches', 'staging', 2, 'warning'],
        ['unknown-group', 'support', 3, 'warning'],
        // No identity provider in the config: API keys are the only callers, and none is in support.
        ['never-matches', 'support', 3, 'warning'],
        ['unknown-api-key', 'keys', 4, 'warning'],
        ['never-matches', 'keys', 4, 'warning'],
      ],
    );
  });

  it('an invalid policy: every problem located, exit 1 (and in JSON)', async () => {
    const bad = await write(
      'bad.yaml',
      `rules:
  - name: a
    match: { statments: [drop] }
    effect: deny
  - name: b
    match: {}
    effect: permit
`,
    );
    const result = await hoop('check', bad);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /bad\.yaml:3:14: rules\[0\]\.match\.statments: unknown key/);
    assert.match(result.stderr, /bad\.yaml:7:5: rules\[1\]\.effect/);

    const json = await hoop('check', bad, '--json');
    assert.equal(json.code, 1);
    const report = JSON.parse(json.stdout) as { valid: boolean; errors: { line: number }[] };
    assert.equal(report.valid, false);
    assert.deepEqual(
      report.errors.map((e) => e.line),
      [3, 7],
    );
  });

  it('inline rules in the config are checked too, named by their config', async () => {
    await write(
      'inline.yaml',
      `connections:
  - { name: pg-prod, type: postgres, host: 127.0.0.1, groups: [engineering] }
policy:
  - { name: all, match: {}, effect: deny }
  - { name: engineers, match: { groups: [engineering] }, effect: allow }
`,
    );
    const result = await hoop('check', '--config', '$DIR/inline.yaml');
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /inline\.yaml: policy: warning: allow rule engineers is dead: deny rule all refuses every request it matches/,
    );
  });

  it('a missing file is an error, exit 1', async () => {
    const result = await hoop('check', '$DIR/nope.yaml');
    assert.equal(result.code, 1);
    assert.match(result.stderr, /nope\.yaml: cannot read the file/);
  });
});

describe('hoop policy test', () => {
  it('runs the cases beside the policy: ✓ per case and a count, exit 0', async () => {
    const result = await hoop('test', '$DIR/policy.yaml');
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '✓ engineers read\n✓ drops refused\n2 passed, 0 failed\n');
  });

  it('a mismatch: ✗ with expected and got, exit 1; --json lists results', async () => {
    const cases = await write(
      'failing.yaml',
      `${CASES}  - name: drops allowed
    as: alice
    groups: [engineering]
    connection: pg-prod
    sql: drop table customers
    expect: { effect: allow, rule: prod-drops }
`,
    );
    const result = await hoop('test', '$DIR/policy.yaml', '--cases', cases);
    assert.equal(result.code, 1);
    assert.match(
      result.stdout,
      /✗ drops allowed \(.*failing\.yaml:15\): expected allow by prod-drops, got deny by no-drops\n2 passed, 1 failed\n$/,
    );
    assert.match(result.stderr, /1 of 3 policy cases failed/);

    const json = await hoop('test', '$DIR/policy.yaml', '--cases', cases, '--json');
    assert.equal(json.code, 1);
    const report = JSON.parse(json.stdout) as {
      passed: number;
      failed: number;
      results: { name: string; passed: boolean; actual: { effect: string; rule: string } }[];
    };
    assert.deepEqual([report.passed, report.failed], [2, 1]);
    assert.deepEqual(report.results[2]!.actual, {
      effect: 'deny',
      rule: 'no-drops',
      message: 'Dropping objects in production is not allowed',
      masks: [],
    });
  });

  it('an invalid cases file: located errors, exit 1', async () => {
    const cases = await write(
      'invalid.yaml',
      `cases:
  - name: x
    as: alice
    connection: pg-prod
    sql: select 1
    expect: { efect: allow }
`,
    );
    const result = await hoop('test', '$DIR/policy.yaml', '--cases', cases);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /invalid\.yaml:6:15: cases\[0\]\.expect\.efect: unknown key/);
  });

  it('connection types come from --config', async () => {
    const cases = await write(
      'typed.yaml',
      `cases:
  - { name: open, as: alice, groups: [engineering], connection: pg-prod, open: true, expect: { effect: allow } }
`,
    );
    const without = await hoop('test', '$DIR/policy.yaml', '--cases', cases);
    assert.equal(without.code, 1);
    assert.match(without.stdout, /the type of connection pg-prod is unknown/);
    const result = await hoop('test', '--config', '$DIR/hoop.yaml', '--cases', cases);
    assert.equal(result.code, 0, result.stdout + result.stderr);
  });

  it('rules inline in the config need --cases', async () => {
    await write(
      'inline-test.yaml',
      `connections:
  - { name: pg-prod, type: postgres, host: 127.0.0.1, groups: [engineering] }
policy:
  - { name: engineers, match: { groups: [engineering] }, effect: allow }
`,
    );
    const without = await hoop('test', '--config', '$DIR/inline-test.yaml');
    assert.equal(without.code, 2);
    assert.match(without.stderr, /inline in the config/);
    const cases = await write(
      'inline-cases.yaml',
      `cases:
  - { name: open, as: alice, groups: [engineering], connection: pg-prod, open: true, expect: { effect: allow, rule: engineers } }
`,
    );
    const result = await hoop('test', '--config', '$DIR/inline-test.yaml', '--cases', cases);
    assert.equal(result.code, 0, result.stdout + result.stderr);
  });

  it('the example policy in examples/ passes its cases', async () => {
    const result = await runHoop(['policy', 'test', path.join(ROOT, 'examples/policy.yaml')]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /^\d+ passed, 0 failed$/m);
  });
});

describe('hoop policy explain', () => {
  it('shows the classification, the decision and every matching rule', async () => {
    const result = await hoop(
      'explain',
      '$DIR/policy.yaml',
      '--as',
      'alice',
      '--groups',
      'engineering',
      '--connection',
      'pg-prod',
      '-i',
      'select email from customers; truncate orders',
    );
    assert.equal(result.code, 0, result.stderr);
    assert.equal(
      result.stdout,
      [
        'alice (user; groups engineering) on pg-prod (postgres)',
        'Statement 1: select email from customers',
        '  kinds: select; tables: customers; functions: -',
        '  allow by engineers; matched: engineers, pii',
        'Statement 2: truncate orders',
        '  kinds: truncate; tables: orders; functions: -',
        '  deny by no-drops; matched: no-drops, engineers, pii',
        'Decision: deny by no-drops',
        'Message: Dropping objects in production is not allowed',
        'Matched rules, in policy order:',
        '  no-drops  deny',
        '  engineers  allow',
        '  pii  mask',
        '',
      ].join('\n'),
    );
  });

  it('without -i: opening a session; --json', async () => {
    const result = await hoop(
      'explain',
      '--config',
      '$DIR/hoop.yaml',
      '--api-key',
      'agent-1',
      '--groups',
      'agents',
      '--connection',
      'pg-prod',
      '--json',
    );
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as {
      effect: string;
      matched: string[];
      request: { identity: { subject: string; kind: string } };
    };
    assert.equal(report.effect, 'deny');
    assert.deepEqual(report.matched, ['pii']);
    assert.deepEqual(report.request.identity.subject, 'apikey:agent-1');
    assert.deepEqual(report.request.identity.kind, 'agent');
  });

  it("--api-key decides with the key's groups from --config, as the gateway would", async () => {
    await write(
      'agents.yaml',
      `rules:\n  - name: agents-read\n    match: { groups: [agents], statements: [select] }\n    effect: allow\n`,
    );
    const config = await write(
      'agents-hoop.yaml',
      CONFIG.replace('./policy.yaml', './agents.yaml'),
    );
    const args = ['--config', config, '--api-key', 'agent-1', '--connection', 'pg-prod'];
    const result = await hoop('explain', ...args, '-i', 'select 1', '--json');
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout);
    assert.deepEqual(report.request.identity.groups, ['agents']);
    assert.equal(report.effect, 'allow');
    assert.equal(report.rule, 'agents-read');
    const text = await hoop('explain', ...args, '-i', 'select 1');
    assert.match(text.stdout, /^agent-1 \(agent; groups agents\) on pg-prod \(postgres\)$/m);
    assert.match(text.stdout, /^Decision: allow by agents-read$/m);

    const chosen = await hoop('explain', ...args, '--groups', 'other', '-i', 'select 1', '--json');
    assert.deepEqual(JSON.parse(chosen.stdout).request.identity.groups, ['other'], '--groups wins');

    const unknown = await hoop(
      'explain',
      '--config',
      config,
      '--api-key',
      'agent-9',
      '--connection',
      'pg-prod',
    );
    assert.equal(unknown.code, 2, unknown.stderr);
    assert.match(
      unknown.stderr,
      /--api-key agent-9: the config has no API key of that name\nIts API keys are agent-1/,
    );

    const noConfig = await hoop(
      'explain',
      '$DIR/agents.yaml',
      '--api-key',
      'agent-1',
      '--connection',
      'pg-prod',
      '-i',
      'select 1',
    );
    assert.equal(noConfig.code, 0, noConfig.stderr);
    assert.match(noConfig.stderr, /groups of API key agent-1 are in the gateway config/);
    assert.match(noConfig.stdout, /^Decision: deny \(no rule allows it\)$/m);
  });

  it('wrong usage exits 2', async () => {
    const result = await hoop('explain', '$DIR/policy.yaml', '--connection', 'pg-prod');
    assert.equal(result.code, 2);
  });
});

describe('hoop --help', () => {
  it('lists the policy commands (from the manifest the build writes)', async () => {
    const result = await runHoop(['policy', '--help']);
    assert.equal(result.code, 0, result.stderr);
    for (const command of ['policy check', 'policy explain', 'policy test']) {
      assert.match(result.stdout, new RegExp(command));
    }
  });
});
