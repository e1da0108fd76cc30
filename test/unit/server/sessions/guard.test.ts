import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import { HoopError } from '../../../../src/lib/errors.js';
import type { Authenticator } from '../../../../src/server/auth/authenticator.js';
import type { Identity } from '../../../../src/server/auth/identity.js';
import { SessionGuard } from '../../../../src/server/sessions/guard.js';

const WINDOW_MS = 4_000;
const GRACE_MS = 1_000;
const START = Date.UTC(2030, 0, 1);

/** A person logged in through the IdP, their token issued and expiring at these clock times. */
function person(issuedAt: number, expiresAt: number, extra: Partial<Identity> = {}): Identity {
  return {
    subject: 'alice',
    name: 'alice@example.com',
    kind: 'user',
    method: 'oidc',
    groups: ['engineering'],
    issuedAt: new Date(issuedAt),
    expiresAt: new Date(expiresAt),
    ...extra,
  };
}

/**
 * A guard on a fake clock: the mocked setTimeout and `now` advance together.
 * `tokens` is what the authenticator knows: a token string maps to the
 * identity it establishes, or to the error it is refused with.
 */
function guarded(identity: Identity) {
  let clock = START;
  const ended: string[] = [];
  const tokens = new Map<string, Identity | HoopError>();
  const authenticate: Authenticator = async (authorization) => {
    const found = tokens.get((authorization ?? '').replace(/^Bearer /, ''));
    if (!found) throw new HoopError('HOOP_AUTH_INVALID', 'no such token');
    if (found instanceof HoopError) throw found;
    return found;
  };
  const guard = new SessionGuard({
    identity,
    authenticate,
    revocationWindowMs: WINDOW_MS,
    graceMs: GRACE_MS,
    onUnauthorized: (detail) => ended.push(detail),
    now: () => clock,
  });
  return {
    guard,
    ended,
    tokens,
    now: () => clock,
    advance(ms: number) {
      clock += ms;
      mock.timers.tick(ms);
    },
    /** Presents a token the authenticator maps to `next`. */
    present(token: string, next: Identity | HoopError) {
      tokens.set(token, next);
      return guard.present(token);
    },
  };
}

beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
afterEach(() => mock.timers.reset());

describe('a person’s session (OIDC user)', () => {
  test('regression: a token issued a window ago cannot open a session (a disabled user’s last token)', () => {
    const session = guarded(person(START - WINDOW_MS, START + 300_000));
    assert.deepEqual(session.ended, [
      'no refreshed token arrived in time (login revoked or expired)',
    ]);
  });

  test('counts the window from the token’s issue time, not from the session start', () => {
    const session = guarded(person(START - WINDOW_MS / 2, START + 300_000));
    session.advance(WINDOW_MS / 2 - 1);
    assert.deepEqual(session.ended, []);
    session.advance(1);
    assert.equal(session.ended.length, 1);
  });

  test('ends when no fresher token arrives within the revocation window', () => {
    const session = guarded(person(START, START + 300_000));
    session.advance(WINDOW_MS - 1);
    assert.deepEqual(session.ended, []);
    session.advance(1);
    assert.deepEqual(session.ended, [
      'no refreshed token arrived in time (login revoked or expired)',
    ]);
    session.advance(WINDOW_MS * 10);
    assert.equal(session.ended.length, 1, 'onUnauthorized is called once');
  });

  test('a fresher token extends the window from when it arrives', async () => {
    const session = guarded(person(START, START + 300_000));
    session.advance(3_000);
    await session.present('t2', person(START + 3_000, START + 303_000));
    session.advance(3_000);
    await session.present('t3', person(START + 6_000, START + 306_000));
    session.advance(WINDOW_MS - 1);
    assert.deepEqual(session.ended, []);
    session.advance(1);
    assert.equal(session.ended.length, 1);
    assert.match(session.ended[0] ?? '', /no refreshed token arrived in time/);
  });

  test('a replayed token (same iat) does not extend the freshness deadline', async () => {
    const first = person(START, START + 300_000, { jti: 'a' });
    const session = guarded(first);
    session.advance(3_000);
    // The same token again, and another with the same iat: accepted, but no proof of a new login.
    await session.present('t1', first);
    await session.present('t1-again', person(START, START + 300_000, { jti: 'b' }));
    // Neither does an older one.
    await session.present('older', person(START - 60_000, START + 240_000));
    assert.deepEqual(session.ended, []);
    session.advance(WINDOW_MS - 3_000);
    assert.equal(session.ended.length, 1, 'ended at the first window’s deadline');
  });

  test('alternating two old tokens does not pass for a fresh one (regression)', async () => {
    const first = person(START, START + 300_000);
    const second = person(START + 1_000, START + 301_000);
    const session = guarded(first);
    session.advance(1_000);
    await session.present('second', second);
    // From here on no new login: the same two tokens, replayed in turn.
    for (let i = 0; i < 6; i += 1) {
      session.advance(500);
      await session.present(i % 2 ? 'second' : 'first', i % 2 ? second : first);
    }
    assert.equal(session.now(), START + 4_000);
    session.advance(WINDOW_MS - 3_000 - 1);
    assert.deepEqual(session.ended, []);
    session.advance(1);
    assert.equal(session.ended.length, 1, 'ended a window after the newest token arrived');
  });

  test('an opaque token (no iat), just checked with the provider, counts as fresh', async () => {
    const session = guarded(person(START, START + 300_000));
    session.advance(3_000);
    const { issuedAt: _issued, expiresAt: _expires, ...opaque } = person(0, 0);
    await session.present('opaque', opaque);
    session.advance(WINDOW_MS - 1);
    assert.deepEqual(session.ended, []);
    session.advance(1);
    assert.equal(session.ended.length, 1);
  });

  test('ends when the token expires before the window does (after the grace)', () => {
    const session = guarded(person(START, START + 2_000));
    session.advance(2_000 + GRACE_MS - 1);
    assert.deepEqual(session.ended, []);
    session.advance(1);
    assert.deepEqual(session.ended, ['the token expired']);
  });

  test('a fresher token moves the expiry too', async () => {
    const session = guarded(person(START, START + 2_000));
    session.advance(1_500);
    await session.present('t2', person(START + 1_500, START + 3_500));
    session.advance(2_000 + GRACE_MS - 1);
    assert.deepEqual(session.ended, []);
    session.advance(1);
    assert.deepEqual(session.ended, ['the token expired']);
  });

  test('a token for another subject ends the session at once', async () => {
    const session = guarded(person(START, START + 300_000));
    await session.present('bob', person(START + 1, START + 300_001, { subject: 'bob' }));
    assert.deepEqual(session.ended, ['the refreshed token belongs to another identity']);
    // Nothing afterwards revives it.
    await session.present('t2', person(START + 2, START + 300_002));
    session.advance(WINDOW_MS * 2);
    assert.equal(session.ended.length, 1);
  });

  test('a refused token ends the session with the reason', async () => {
    const session = guarded(person(START, START + 300_000));
    await session.present(
      'revoked',
      new HoopError('HOOP_AUTH_REVOKED', 'the identity provider does not accept this token'),
    );
    assert.deepEqual(session.ended, [
      'the refreshed token was refused: the identity provider does not accept this token',
    ]);
  });

  test('stop() cancels every deadline, and later tokens are ignored', async () => {
    const session = guarded(person(START, START + 2_000));
    session.guard.stop();
    await session.present('bob', person(START, START + 2_000, { subject: 'bob' }));
    session.advance(WINDOW_MS * 10);
    assert.deepEqual(session.ended, []);
  });
});

describe('an agent acting for someone (RFC 8693 actor chain)', () => {
  const delegated = (iat: number, actors: string[] | undefined): Identity =>
    person(iat, iat + 60_000, { kind: 'agent', ...(actors ? { actors } : {}) });

  test('needs no refreshed token, but ends when its token expires', () => {
    const session = guarded(delegated(START, ['agent-1']));
    session.advance(60_000 + GRACE_MS - 1);
    assert.deepEqual(session.ended, [], 'no revocation window for agents');
    session.advance(1);
    assert.deepEqual(session.ended, ['the token expired']);
  });

  test('accepts a new token with the same chain', async () => {
    const session = guarded(delegated(START, ['agent-1', 'agent-0']));
    session.advance(50_000);
    await session.present('next', delegated(START + 50_000, ['agent-1', 'agent-0']));
    session.advance(50_000);
    assert.deepEqual(session.ended, []);
  });

  for (const [name, actors] of [
    ['another actor', ['agent-2']],
    ['a longer chain', ['agent-1', 'agent-0']],
    ['no actor at all (the subject’s own token)', undefined],
  ] as const) {
    test(`a token with ${name} ends the session`, async () => {
      const session = guarded(delegated(START, ['agent-1']));
      await session.present('other', delegated(START + 1_000, actors ? [...actors] : undefined));
      assert.deepEqual(session.ended, ['the refreshed token belongs to another identity']);
    });
  }
});

describe('identities without an expiring credential', () => {
  test('an API key is never cut, however long the session lasts', () => {
    const session = guarded({
      subject: 'apikey:agent-1',
      name: 'agent-1',
      kind: 'agent',
      method: 'apikey',
      groups: ['agents'],
    });
    session.advance(30 * 24 * 3_600_000);
    assert.deepEqual(session.ended, []);
  });

  test('a deadline beyond what setTimeout holds (2^31 ms) is checked again, not fired early', () => {
    const expiresAt = START + 40 * 24 * 3_600_000; // 40 days
    const session = guarded(person(START, expiresAt, { kind: 'agent' }));
    session.advance(2 ** 31 - 1);
    assert.deepEqual(session.ended, []);
    session.advance(expiresAt + GRACE_MS - session.now() - 1);
    assert.deepEqual(session.ended, []);
    session.advance(1);
    assert.deepEqual(session.ended, ['the token expired']);
  });
});
