import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { decodeJwt } from 'jose';
import type { Credentials } from '../../../src/cli/credentials.js';
import { startTokenRefresher } from '../../../src/cli/token-refresher.js';
import { fileTokenStore, type StoredLogin } from '../../../src/cli/token-store.js';
import type { DevIdp } from '../../../src/server/idp/index.js';
import { deviceLogin, startTestIdp } from '../../helpers/identity.js';

const GATEWAY = 'http://gateway.test';

let root: string;
let idp: DevIdp;
before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'hoop-refresher-'));
  // Access tokens live 2 s, so the refresher's "before it lapses" rule decides.
  idp = await startTestIdp({ accessTokenTtlSeconds: 2 });
});
after(async () => {
  await idp?.close();
  await rm(root, { recursive: true, force: true });
});

let dirs = 0;
/** A person logged in (their login in a fresh config dir), and the refresher's view of it. */
async function loggedIn(
  username: string,
  from = idp,
): Promise<{ env: NodeJS.ProcessEnv; file: string; login: StoredLogin; initial: Credentials }> {
  dirs += 1;
  const dir = path.join(root, `config-${dirs}`);
  const file = path.join(dir, 'credentials.json');
  const login = await deviceLogin(from, username, GATEWAY);
  await fileTokenStore(file).save(login);
  return {
    env: { HOOP_CONFIG_DIR: dir, HOOP_TOKEN_STORE: 'file' },
    file,
    login,
    initial: {
      token: login.accessToken,
      source: 'login',
      ...(login.expiresAt === undefined ? {} : { expiresAt: login.expiresAt }),
    },
  };
}

/** Records what the refresher reports, with when. */
function recorder() {
  const started = Date.now();
  const tokens: { at: number; token: string }[] = [];
  const errors: { at: number; error: Error }[] = [];
  return {
    tokens,
    errors,
    onToken: (token: string) => void tokens.push({ at: Date.now() - started, token }),
    onError: (error: Error) => void errors.push({ at: Date.now() - started, error }),
  };
}

async function until(check: () => boolean, what: string, timeoutMs = 8_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(20);
  }
}

test('a token from HOOP_TOKEN is never refreshed', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
  const events = recorder();
  const refresher = startTokenRefresher({
    gateway: GATEWAY,
    initial: { token: 'hoop_key', source: 'HOOP_TOKEN' },
    revocationWindowSeconds: 2,
    ...events,
  });
  t.mock.timers.tick(3_600_000);
  assert.equal(refresher.token(), 'hoop_key');
  assert.deepEqual([events.tokens, events.errors], [[], []]);
  refresher.stop();
});

test('refreshes before the access token lapses and hands each new token over', async () => {
  const { env, file, login, initial } = await loggedIn('alice');
  const events = recorder();
  // A long window: the 2 s token lifetime sets the pace (three quarters of it).
  const refresher = startTokenRefresher({
    gateway: GATEWAY,
    initial,
    revocationWindowSeconds: 60,
    env,
    ...events,
  });
  try {
    await until(() => events.tokens.length >= 2, 'two refreshed tokens');
    const [first, second] = events.tokens;
    assert.ok(first && second);
    assert.ok(first.at >= 1_000 && first.at < 2_000, `first refresh after ${first.at} ms`);
    assert.ok(second.at - first.at >= 1_000, 'one refresh at a time, never in a burst');
    assert.notEqual(first.token, login.accessToken);
    assert.notEqual(second.token, first.token);
    assert.equal(decodeJwt(second.token).sub, 'alice');
    assert.equal(refresher.token(), second.token);
    assert.equal((await fileTokenStore(file).load(GATEWAY))?.accessToken, second.token);
    assert.deepEqual(events.errors, []);
  } finally {
    refresher.stop();
  }
});

test('refreshes every half revocation window when that comes first', async () => {
  const longLived = await startTestIdp();
  try {
    const { env, initial } = await loggedIn('alice', longLived);
    const events = recorder();
    const refresher = startTokenRefresher({
      gateway: GATEWAY,
      initial,
      revocationWindowSeconds: 2,
      env,
      ...events,
    });
    try {
      await until(() => events.tokens.length >= 1, 'a refreshed token');
      const at = events.tokens[0]?.at ?? 0;
      assert.ok(at >= 1_000 && at < 1_600, `refreshed after ${at} ms, not near the 300 s expiry`);
    } finally {
      refresher.stop();
    }
  } finally {
    await longLived.close();
  }
});

test('after a refused refresh it backs off rather than asking every second', async () => {
  const refusing = await startTestIdp({ accessTokenTtlSeconds: 1 });
  try {
    const { env, initial } = await loggedIn('bob', refusing);
    refusing.disableUser('bob');
    const events = recorder();
    const refresher = startTokenRefresher({
      gateway: GATEWAY,
      initial,
      revocationWindowSeconds: 60,
      env,
      ...events,
    });
    try {
      // Attempts at about 1 s, then 2 s later, then 4 s later …
      await sleep(3_700);
      assert.deepEqual(events.tokens, []);
      assert.equal(events.errors.length, 2, JSON.stringify(events.errors.map((e) => e.at)));
      const [first, second] = events.errors;
      assert.ok(second && first && second.at - first.at >= 1_900, 'the second waited longer');
      assert.equal((first?.error as { code?: string }).code, 'HOOP_AUTH_REVOKED');
      assert.equal(refresher.token(), initial.token, 'the last good token is kept');
    } finally {
      refresher.stop();
    }
  } finally {
    await refusing.close();
  }
});

test('stop() ends the refreshing', async () => {
  const { env, initial } = await loggedIn('carol');
  const events = recorder();
  const refresher = startTokenRefresher({
    gateway: GATEWAY,
    initial,
    revocationWindowSeconds: 2,
    env,
    ...events,
  });
  refresher.stop();
  await sleep(1_600);
  assert.deepEqual([events.tokens, events.errors], [[], []]);
  assert.equal(refresher.token(), initial.token);
});
