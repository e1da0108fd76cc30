import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { resolveCredentials, resolveToken } from '../../../src/cli/credentials.js';
import { fileTokenStore, type StoredLogin } from '../../../src/cli/token-store.js';
import type { DevIdp } from '../../../src/server/idp/index.js';
import { deviceLogin, startTestIdp } from '../../helpers/identity.js';
import { freePort } from '../../helpers/ports.js';

const GATEWAY = 'http://gateway.test';

let root: string;
let idp: DevIdp;
before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'hoop-credentials-'));
  idp = await startTestIdp();
});
after(async () => {
  await idp?.close();
  await rm(root, { recursive: true, force: true });
});

let dirs = 0;
/** An environment with its own config dir holding `login`, if given, in the credentials file. */
async function envWith(login?: StoredLogin): Promise<{ env: NodeJS.ProcessEnv; file: string }> {
  dirs += 1;
  const dir = path.join(root, `config-${dirs}`);
  const file = path.join(dir, 'credentials.json');
  if (login) await fileTokenStore(file).save(login);
  return { env: { HOOP_CONFIG_DIR: dir, HOOP_TOKEN_STORE: 'file' }, file };
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('HOOP_TOKEN', () => {
  test('replaces the stored login, trimmed, without reading the store', async () => {
    const { env, file } = await envWith({
      gateway: GATEWAY,
      issuer: idp.issuer,
      clientId: idp.cliClientId,
      accessToken: 'stored',
    });
    // Even a store that would be refused is not looked at.
    await chmod(file, 0o644);
    const credentials = await resolveCredentials(GATEWAY, { ...env, HOOP_TOKEN: ' hoop_key \n' });
    assert.deepEqual(credentials, { token: 'hoop_key', source: 'HOOP_TOKEN' });
  });

  test('an empty HOOP_TOKEN counts as unset', async () => {
    const { env } = await envWith();
    await assert.rejects(resolveToken(GATEWAY, { ...env, HOOP_TOKEN: '  ' }), {
      code: 'HOOP_AUTH_MISSING',
    });
  });
});

describe('a stored login', () => {
  test('none for this gateway: not logged in, with advice', async () => {
    const { env } = await envWith({
      gateway: 'http://other.test',
      issuer: idp.issuer,
      clientId: idp.cliClientId,
      accessToken: 'x',
    });
    await assert.rejects(resolveCredentials(GATEWAY, env), {
      code: 'HOOP_AUTH_MISSING',
      message: `not logged in to ${GATEWAY}`,
      hint: 'Run `hoop login`, or set HOOP_TOKEN to an API key.',
    });
  });

  test('is used as is while its access token has more than 30 s to live', async () => {
    const unreachable = `http://127.0.0.1:${await freePort()}`;
    for (const expiresAt of [nowSeconds() + 120, undefined]) {
      const login: StoredLogin = {
        gateway: GATEWAY,
        issuer: unreachable, // never asked
        clientId: 'hoop-cli',
        accessToken: 'still-good',
        refreshToken: 'rt',
        ...(expiresAt === undefined ? {} : { expiresAt }),
      };
      const { env } = await envWith(login);
      assert.deepEqual(await resolveCredentials(GATEWAY, env), {
        token: 'still-good',
        source: 'login',
        ...(expiresAt === undefined ? {} : { expiresAt }),
      });
    }
  });

  test('about to expire, is refreshed silently and stored again', async () => {
    const login = await deviceLogin(idp, 'alice', GATEWAY);
    const { env, file } = await envWith({ ...login, expiresAt: nowSeconds() + 10 });
    const credentials = await resolveCredentials(GATEWAY, env);
    assert.notEqual(credentials.token, login.accessToken);
    assert.equal(decodeJwt(credentials.token).sub, 'alice');
    assert.ok((credentials.expiresAt ?? 0) > nowSeconds() + 250);

    const stored = await fileTokenStore(file).load(GATEWAY);
    assert.equal(stored?.accessToken, credentials.token);
    assert.notEqual(stored?.refreshToken, login.refreshToken, 'the rotated refresh token is kept');
    assert.equal(stored?.subject, 'alice');
    assert.equal(stored?.issuer, idp.issuer);

    // forceRefresh (the refresher's) refreshes even a fresh token.
    const forced = await resolveCredentials(GATEWAY, env, { forceRefresh: true });
    assert.notEqual(forced.token, credentials.token);
  });

  test('expired with no refresh token: log in again', async () => {
    const { env } = await envWith({
      gateway: GATEWAY,
      issuer: idp.issuer,
      clientId: idp.cliClientId,
      accessToken: 'old',
      expiresAt: nowSeconds() - 1,
    });
    await assert.rejects(resolveCredentials(GATEWAY, env), {
      code: 'HOOP_AUTH_EXPIRED',
      message: 'your login has expired',
      hint: 'Run `hoop login` again.',
    });
  });

  test('whose refresh the provider refuses (user disabled): log in again, store untouched', async () => {
    const disabled = await startTestIdp();
    try {
      const login = await deviceLogin(disabled, 'bob', GATEWAY);
      const expiring = { ...login, expiresAt: nowSeconds() + 5 };
      const { env, file } = await envWith(expiring);
      disabled.disableUser('bob');
      await assert.rejects(resolveCredentials(GATEWAY, env), (error: unknown) => {
        assert.ok(error instanceof Error);
        assert.equal((error as { code?: string }).code, 'HOOP_AUTH_REVOKED');
        assert.equal(error.message, 'your login has expired or was revoked (invalid_grant)');
        assert.equal((error as { hint?: string }).hint, 'Run `hoop login` again.');
        assert.equal((error as { exitCode?: number }).exitCode, 5);
        return true;
      });
      assert.deepEqual(await fileTokenStore(file).load(GATEWAY), expiring);
    } finally {
      await disabled.close();
    }
  });

  test('whose provider cannot be reached: HOOP_AUTH_UNAVAILABLE (exit 6), not a logout', async () => {
    const { env } = await envWith({
      gateway: GATEWAY,
      issuer: `http://127.0.0.1:${await freePort()}`,
      clientId: 'hoop-cli',
      accessToken: 'old',
      refreshToken: 'rt',
      expiresAt: nowSeconds(),
    });
    await assert.rejects(resolveCredentials(GATEWAY, env), (error: unknown) => {
      assert.equal((error as { code?: string }).code, 'HOOP_AUTH_UNAVAILABLE');
      assert.equal((error as { exitCode?: number }).exitCode, 6);
      assert.match((error as Error).message, /cannot reach the identity provider/);
      return true;
    });
  });
});
