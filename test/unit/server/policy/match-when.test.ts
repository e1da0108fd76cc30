import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { HoopError } from '../../../../src/lib/errors.js';
import { parsePolicy, type PolicyRequest } from '../../../../src/server/policy/index.js';
import { agent, alice, request, sql } from './fixtures.js';

/*
 * The match keys for the delegation chain and time windows, and `when:`
 * conditions in CEL, including what happens when a condition fails at run
 * time (the rule refuses: fail closed).
 */

function policy(rules: string) {
  return parsePolicy(`rules:\n${rules}`, { file: 'policy.yaml' });
}

function at(iso: string): Date {
  return new Date(iso);
}

/** Alice, with an agent acting for her (RFC 8693 `act`, current actor first). */
const aliceViaAgent: PolicyRequest['identity'] = {
  ...alice,
  kind: 'agent',
  actors: ['agent:claude', 'svc:orchestrator'],
};

function problems(text: string): string[] {
  try {
    parsePolicy(text, { file: 'policy.yaml' });
  } catch (error) {
    assert.ok(error instanceof HoopError);
    assert.equal(error.code, 'HOOP_POLICY_INVALID');
    return error.message.split('\n');
  }
  assert.fail('expected HOOP_POLICY_INVALID');
}

describe('match: delegation chain', () => {
  const p = policy(`
  - name: no-orchestrator
    match: { actors: [svc:orchestrator], statements: [delete] }
    effect: deny
  - name: delegated-read-only
    match: { delegated: true, statements: [select] }
    effect: allow
  - name: people-direct
    match: { delegated: false }
    effect: allow
`);

  it('actors matches any subject in the chain, at any depth', () => {
    const decision = p.decide(request(aliceViaAgent, 'pg', sql(['delete'], ['t'])));
    assert.equal(decision.effect, 'deny');
    assert.equal(decision.rule, 'no-orchestrator');
  });

  it('actors does not match an identity without delegation', () => {
    const decision = p.decide(request(alice, 'pg', sql(['delete'], ['t'])));
    assert.equal(decision.effect, 'allow');
    assert.equal(decision.rule, 'people-direct');
  });

  it('delegated: true applies only when someone acts for the caller', () => {
    assert.equal(
      p.decide(request(aliceViaAgent, 'pg', sql(['select'], ['t']))).rule,
      'delegated-read-only',
    );
    assert.equal(p.decide(request(aliceViaAgent, 'pg', sql(['update'], ['t']))).effect, 'deny');
  });

  it('delegated: false applies only without a chain (an empty chain is none)', () => {
    assert.equal(
      p.decide(request({ ...alice, actors: [] }, 'pg', sql(['update'], ['t']))).rule,
      'people-direct',
    );
    assert.deepEqual(p.decide(request(aliceViaAgent, 'pg')).effect, 'deny');
  });
});

describe('match: time windows', () => {
  const p = policy(`
  - name: night-shift
    match: { time: { days: [mon, tue, wed, thu, fri], from: "22:00", to: "06:00", timezone: Europe/Berlin } }
    effect: allow
  - name: office
    match:
      time:
        - { days: [sat], from: "10:00", to: "14:00", timezone: America/New_York }
        - { days: [sun], timezone: UTC }
    effect: allow
`);
  const decide = (iso: string) => p.decide({ ...request(alice, 'pg'), at: at(iso) });

  it('a window that crosses midnight covers the evening of its day', () => {
    // Monday 22:30 in Berlin (CET, UTC+1).
    assert.equal(decide('2026-01-05T21:30:00Z').rule, 'night-shift');
  });

  it('…and the morning after, named by the day it starts on', () => {
    // Saturday 05:59 in Berlin: the window that started on Friday.
    assert.equal(decide('2026-01-10T04:59:00Z').rule, 'night-shift');
    // Monday 05:00 in Berlin: Sunday evening is no window.
    assert.equal(decide('2026-01-12T04:00:00Z').effect, 'deny');
  });

  it('from is inclusive and to exclusive', () => {
    assert.equal(decide('2026-01-05T21:00:00Z').rule, 'night-shift'); // Mon 22:00
    assert.equal(decide('2026-01-06T05:00:00Z').effect, 'deny'); // Tue 06:00
    assert.equal(decide('2026-01-05T20:59:00Z').effect, 'deny'); // Mon 21:59
  });

  it('reads the zone with its daylight saving time', () => {
    // Monday 22:30 in Berlin in summer (CEST, UTC+2) is 20:30 UTC.
    assert.equal(decide('2026-07-06T20:30:00Z').rule, 'night-shift');
    assert.equal(decide('2026-07-06T21:30:00Z').rule, 'night-shift');
    assert.equal(decide('2026-07-06T19:30:00Z').effect, 'deny');
  });

  it('a list of windows matches when any does; a window without from and to is the whole day', () => {
    // Saturday 11:00 in New York (EST, UTC-5).
    assert.equal(decide('2026-01-10T16:00:00Z').rule, 'office');
    assert.equal(decide('2026-01-10T19:00:00Z').effect, 'deny');
    assert.equal(decide('2026-01-11T12:00:00Z').rule, 'office');
    assert.equal(decide('2026-01-11T23:59:00Z').rule, 'office');
  });

  it('takes the time from the request, now when absent', () => {
    const always = policy(`
  - name: any-time
    match: { time: { from: "00:00", to: "24:00" } }
    effect: allow
`);
    assert.equal(always.decide(request(alice, 'pg')).effect, 'allow');
  });
});

describe('when: CEL conditions', () => {
  const p = policy(`
  - name: pii-by-agents-needs-an-email
    match: { statements: [select] }
    when: 'identity.kind == "agent" && action.tables.exists(t, t.startsWith("pii."))'
    effect: deny
    message: agents do not read pii
  - name: business-hours-ish
    match: {}
    when: 'time.getHours("UTC") >= 8 && "engineering" in identity.groups && connection.name.startsWith("pg-")'
    effect: allow
  - name: sessions
    match: {}
    when: 'action.type == "session" && size(identity.actors) == 0'
    effect: allow
`);

  it('a true condition lets the rule match', () => {
    const decision = p.decide(request(agent, 'pg-prod', sql(['select'], ['pii.people'])));
    assert.equal(decision.effect, 'deny');
    assert.equal(decision.rule, 'pii-by-agents-needs-an-email');
    assert.equal(decision.message, 'agents do not read pii');
  });

  it('a false condition does not', () => {
    const decision = p.decide({
      ...request(alice, 'pg-prod', sql(['select'], ['pii.people'])),
      at: at('2026-01-05T09:00:00Z'),
    });
    assert.equal(decision.rule, 'business-hours-ish');
    assert.deepEqual(decision.matched, ['business-hours-ish']);
    const early = p.decide({
      ...request(alice, 'pg-prod', sql(['select'], ['t'])),
      at: at('2026-01-05T07:00:00Z'),
    });
    assert.equal(early.effect, 'deny');
    assert.equal(early.rule, undefined);
  });

  it('sees action.type "session" when a session is opened', () => {
    assert.equal(
      p.decide({ ...request(alice, 'x'), at: at('2026-01-05T07:00:00Z') }).rule,
      'sessions',
    );
    assert.equal(
      p.decide({ ...request(aliceViaAgent, 'x'), at: at('2026-01-05T07:00:00Z') }).effect,
      'deny',
    );
  });

  it('a condition that reads the action cannot be decided for an unparsed statement: refused', () => {
    const decision = p.decide({
      ...request(agent, 'pg-prod', sql([], [], [], true)),
      at: at('2026-01-05T09:00:00Z'),
    });
    assert.equal(decision.effect, 'deny');
    assert.equal(decision.rule, 'pii-by-agents-needs-an-email');
    assert.equal(decision.message, 'statement could not be classified');
  });
});

describe('when: a condition that fails at run time', () => {
  const p = policy(`
  - name: second-group
    match: { connections: [pg-*] }
    when: 'identity.groups[1] == "dba"'
    effect: allow
  - name: everyone
    match: {}
    effect: allow
  - name: explicit-deny
    match: { statements: [drop] }
    effect: deny
    message: no drops
`);

  it('makes the rule deny, naming it, whatever its effect (fail closed)', () => {
    const decision = p.decide(request(alice, 'pg-prod', sql(['select'], ['t'])));
    assert.equal(decision.effect, 'deny');
    assert.equal(decision.rule, 'second-group');
    assert.match(
      decision.message ?? '',
      /^the condition of policy rule second-group failed \(.*index out of bounds.*\)/,
    );
    assert.deepEqual(decision.matched, ['everyone']);
  });

  it('does not fail when the condition holds', () => {
    const dba = { ...alice, groups: ['engineering', 'dba'] };
    assert.equal(p.decide(request(dba, 'pg-prod', sql(['select'], ['t']))).rule, 'second-group');
  });

  it('an explicit deny still takes precedence with its own message', () => {
    const decision = p.decide(request(alice, 'pg-prod', sql(['drop'], ['t'])));
    assert.equal(decision.rule, 'explicit-deny');
    assert.equal(decision.message, 'no drops');
  });

  it('is not evaluated where the rule does not otherwise apply', () => {
    assert.equal(p.decide(request(alice, 'mysql-1', sql(['select'], ['t']))).rule, 'everyone');
  });
});

describe('bad input: refused with file:line:column', () => {
  it('time windows: unknown day, 25:00, unknown zone, same from and to, unknown key', () => {
    assert.deepEqual(
      problems(`rules:
  - name: a
    match: { time: { days: [mon, funday], from: "25:00", to: "06:00", timezone: Mars/Olympus } }
    effect: allow
  - name: b
    match:
      time:
        - { from: "22:00", to: "22:00" }
        - { form: "09:00" }
    effect: allow
`),
      [
        'policy.yaml:3:34: rules[0].match.time.days[1]: expected one of sun, mon, tue, wed, thu, fri, sat, got "funday"',
        'policy.yaml:3:43: rules[0].match.time.from: expected a time of day as HH:MM, 00:00 to 23:59, got "25:00"',
        'policy.yaml:3:71: rules[0].match.time.timezone: expected an IANA time zone such as Europe/Berlin or UTC, got "Mars/Olympus"',
        'policy.yaml:8:28: rules[1].match.time[0].to: `from` and `to` are the same time: leave both out for the whole day',
        'policy.yaml:9:13: rules[1].match.time[1].form: unknown key, did you mean `from`?',
      ],
    );
  });

  it('24:00 is an end, never a start; 7:00 is not HH:MM', () => {
    assert.deepEqual(
      problems(`rules:
  - name: a
    match: { time: { from: "24:00", to: "7:00" } }
    effect: allow
`),
      [
        'policy.yaml:3:22: rules[0].match.time.from: expected a time of day as HH:MM, 00:00 to 23:59, got "24:00"',
        'policy.yaml:3:37: rules[0].match.time.to: expected a time of day as HH:MM, 00:00 to 23:59, or 24:00, got "7:00"',
      ],
    );
  });

  it('CEL that does not parse, does not type-check, or is not a boolean; unknown match keys', () => {
    assert.deepEqual(
      problems(`rules:
  - name: a
    match: {}
    when: 'identity.nmae == "x"'
    effect: allow
  - name: b
    match: {}
    when: '1 +'
    effect: deny
  - name: c
    match: { actorz: [x], delegated: yes }
    when: identity.name
    effect: mask
    mask: { detectors: [email] }
`),
      [
        'policy.yaml:4:5: rules[0].when: CEL condition does not type-check at column 10 of the condition: No such key: nmae',
        'policy.yaml:8:5: rules[1].when: CEL condition does not parse at column 4 of the condition: Unexpected token: EOF',
        'policy.yaml:11:14: rules[2].match.actorz: unknown key, did you mean `actors`?',
        'policy.yaml:11:27: rules[2].match.delegated: expected true or false, got "yes"',
        'policy.yaml:12:5: rules[2].when: a condition must be true or false, and this one is a string',
      ],
    );
  });

  it('conditions and windows are part of the hash', () => {
    const base = `rules:\n  - name: a\n    match: {}\n    effect: allow\n`;
    const withWhen = `rules:\n  - name: a\n    match: {}\n    when: 'true'\n    effect: allow\n`;
    const withTime = `rules:\n  - name: a\n    match: { time: { from: "09:00" } }\n    effect: allow\n`;
    const hashes = new Set([base, withWhen, withTime].map((text) => parsePolicy(text).hash));
    assert.equal(hashes.size, 3);
  });
});
