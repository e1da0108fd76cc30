import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCommandLine } from '../../../../../src/server/protocols/ssh/command-line/parse.js';
import { PolicyEngine } from '../../../../../src/server/policy/engine.js';
import type { Rule } from '../../../../../src/server/policy/types.js';

const commands = (line: string) => parseCommandLine(line).commands;
const unknown = (line: string) => parseCommandLine(line).unknown.map((u) => u.reason);

describe('command-line reader', () => {
  it('removes quotes and escapes as the shell does, and names programs without their directory', () => {
    assert.deepEqual(commands(`r\\m -rf "/var/lib/app"`), [['rm', '-rf', '/var/lib/app']]);
    assert.deepEqual(commands(`'r'"m" x`), [['rm', 'x']]);
    assert.deepEqual(commands(`r$'\\x6d' x`), [['rm', 'x']]);
    assert.deepEqual(commands('/usr/bin/rm x'), [['rm', 'x']]);
  });

  it('finds every simple command in lists, pipelines, groups and substitutions', () => {
    assert.deepEqual(commands('a; b && c || d | e & f\ng'), [
      ['a'],
      ['b'],
      ['c'],
      ['d'],
      ['e'],
      ['f'],
      ['g'],
    ]);
    assert.deepEqual(commands('(a) { b; }'), [['a'], ['b']]);
    assert.deepEqual(commands('echo $(a "$(b)") `c`'), [
      ['b'],
      ['a', '"$(b)"'],
      ['c'],
      ['echo', '$(a "$(b)")', '`c`'],
    ]);
    assert.deepEqual(commands('if a; then b; else c; fi; for x in y z; do d; done'), [
      ['a'],
      ['b'],
      ['c'],
      ['d'],
    ]);
    assert.deepEqual(commands('X=1 Y=$(a) b 2>&1 >/dev/null'), [['a'], ['b']]);
  });

  it('follows wrappers and shells to the programs they run, each layer matched', () => {
    assert.deepEqual(commands('sudo -u root env -i A=1 nice -n 5 rm x'), [
      ['sudo', '-u', 'root', 'env', '-i', 'A=1', 'nice', '-n', '5', 'rm', 'x'],
      ['env', '-i', 'A=1', 'nice', '-n', '5', 'rm', 'x'],
      ['nice', '-n', '5', 'rm', 'x'],
      ['rm', 'x'],
    ]);
    assert.deepEqual(commands(`bash -c 'a; b'`), [['bash', '-c', 'a; b'], ['a'], ['b']]);
    assert.deepEqual(commands('xargs -n 1 rm'), [['xargs', '-n', '1', 'rm'], ['rm']]);
    assert.deepEqual(commands('find / -name x -exec rm {} \\;'), [
      ['find', '/', '-name', 'x', '-exec', 'rm', '{}', ';'],
      ['rm', '{}'],
    ]);
    assert.deepEqual(commands('find / -name x -delete')[1], ['rm', '/', 'x']);
    assert.deepEqual(commands('command -v rm'), [['command', '-v', 'rm']]);
  });

  it('says what it cannot know instead of guessing', () => {
    assert.deepEqual(unknown('$X y'), ['expansion']);
    assert.deepEqual(unknown('$(echo rm) y'), ['expansion']);
    assert.deepEqual(unknown('/bin/r? y'), ['expansion']);
    assert.deepEqual(unknown('eval rm y'), ['evaluation']);
    assert.deepEqual(unknown('echo x | sh'), ['stdin']);
    assert.deepEqual(unknown('cat <<EOF\nx\nEOF'), ['here-document']);
    assert.deepEqual(unknown(`python3 -c 'x'`), ['interpreter']);
    assert.deepEqual(unknown('case x in y) z;; esac'), ['syntax']);
    assert.deepEqual(unknown(`echo 'open`), ['syntax']);
    assert.deepEqual(unknown('systemctl status nginx'), []);
  });

  it('bounds nesting and the number of commands', () => {
    const deep = `${'sh -c "'.repeat(20)}x`;
    assert.ok(parseCommandLine(deep, { maxDepth: 4, maxCommands: 1000 }).unknown.length > 0);
    const many = Array.from({ length: 50 }, (_, i) => `c${i}`).join('; ');
    assert.deepEqual(unknown.call(null, many), []);
    assert.deepEqual(
      parseCommandLine(many, { maxDepth: 16, maxCommands: 10 }).unknown.map((u) => u.reason),
      ['limit'],
    );
  });
});

describe('policy: commands', () => {
  const engine = (rules: Rule[]) => new PolicyEngine(rules);
  const request = (action: {
    commands: string[][];
    unknown?: { reason: string; message: string }[];
    explicit?: boolean;
  }) => ({
    identity: {
      method: 'apikey' as const,
      subject: 'apikey:a',
      name: 'a',
      groups: ['g'],
      kind: 'agent' as const,
    },
    connection: { name: 'bastion', type: 'ssh' as const },
    action: { type: 'command' as const, ...action },
  });
  const rules: Rule[] = [
    { name: 'no-rm', match: { commands: ['rm *'] }, effect: 'deny' },
    { name: 'ops', match: { commands: ['systemctl status *', 'ls *'] }, effect: 'allow' },
    { name: 'fwd', match: { commands: ['@forward'] }, effect: 'allow' },
  ];

  it('denies when any command matches a deny rule, a bare name included', () => {
    assert.equal(
      engine(rules).decide(request({ commands: [['ls'], ['rm', '-rf', '/']] })).rule,
      'no-rm',
    );
    assert.equal(engine(rules).decide(request({ commands: [['rm']] })).effect, 'deny');
  });

  it('allows only when an allow rule covers every command', () => {
    assert.equal(
      engine(rules).decide(request({ commands: [['systemctl', 'status', 'nginx']] })).effect,
      'allow',
    );
    const mixed = engine(rules).decide(request({ commands: [['ls'], ['cat', 'x']] }));
    assert.equal(mixed.effect, 'deny');
    assert.equal(mixed.rule, undefined);
  });

  it('refuses a line with an unknown part when a command rule applies, naming the rule', () => {
    const decision = engine(rules).decide(
      request({ commands: [], unknown: [{ reason: 'expansion', message: 'runs $X' }] }),
    );
    assert.equal(decision.effect, 'deny');
    assert.equal(decision.rule, 'no-rm');
    assert.match(decision.message ?? '', /runs \$X, so policy rule no-rm cannot be checked/);
  });

  it('allows forwarding only by a rule that names it; globs never match a channel', () => {
    const broad: Rule[] = [{ name: 'all', match: {}, effect: 'allow' }];
    assert.equal(
      engine(broad).decide(request({ commands: [['@forward']], explicit: true })).effect,
      'deny',
    );
    assert.equal(
      engine(rules).decide(request({ commands: [['@forward']], explicit: true })).rule,
      'fwd',
    );
    const star: Rule[] = [{ name: 'any', match: { commands: ['*'] }, effect: 'allow' }];
    assert.equal(engine(star).decide(request({ commands: [['@shell']] })).effect, 'deny');
    assert.equal(engine(broad).decide(request({ commands: [['@shell']] })).effect, 'allow');
  });

  it('command rules never decide SQL, and SQL rules never decide commands', () => {
    const sqlRules: Rule[] = [
      { name: 'no-drop', match: { statements: ['drop'] }, effect: 'deny' },
      { name: 'all', match: {}, effect: 'allow' },
    ];
    assert.equal(engine(sqlRules).decide(request({ commands: [['rm', 'x']] })).effect, 'allow');
  });
});
