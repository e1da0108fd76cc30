// `hoop login`, `whoami`, `logout` and silent refresh, end to end: the built
// CLI as a child process (run `npm run build` first), a real gateway, and the
// development identity provider (a real oidc-provider), whose device pages
// are driven the way a person's browser would.
import assert from 'node:assert/strict';
import { chmod, stat } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import type { DevIdp } from '../../src/server/idp/index.js';
import { runHoop } from '../helpers/cli.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import {
  assertCliFailure,
  loginWithCli,
  oidcConfig,
  personEnv,
  startTestIdp,
  storedLogin,
  tempConfigDir,
} from '../helpers/identity.js';

const CONNECTIONS = [
  '  - { name: echo, type: tcp, host: 127.0.0.1, port: 9, groups: [engineering, agents] }',
  '  - { name: dba-only, type: tcp, host: 127.0.0.1, port: 9, groups: [dba] }',
].join('\n');

interface Person {
  env: NodeJS.ProcessEnv;
  credentials: string;
}

describe('hoop login, whoami and logout against the development IdP', { timeout: 120_000 }, () => {
  let idp: DevIdp;
  let gw: TestGateway;
  const cleanups: (() => Promise<void>)[] = [];

  /** A person with their own, empty HOOP_CONFIG_DIR. */
  const person = async (gateway = gw): Promise<Person> => {
    const config = await tempConfigDir();
    cleanups.push(config.remove);
    return { env: personEnv(gateway, config.dir), credentials: config.credentials };
  };

  before(async () => {
    idp = await startTestIdp();
    gw = await startTestGateway({ connections: CONNECTIONS, oidc: oidcConfig(idp) });
  });

  after(async () => {
    await gw?.close();
    await idp?.close();
    await Promise.all(cleanups.map((cleanup) => cleanup()));
  });

  it('logs in with the device flow, then whoami, connections and logout work as that person', async () => {
    const alice = await person();
    const login = await loginWithCli(idp, alice.env, 'alice', 'sign-in', ['--json']);
    assert.equal(login.code, 0, JSON.stringify(login));
    assert.match(login.userCode, /^[A-Z]{4}-[A-Z]{4}$/);
    assert.match(login.stderr, /Waiting for approval/);
    assert.match(
      login.stderr,
      new RegExp(
        `Logged in to ${gw.url} as alice@example\\.com \\(groups: engineering\\); tokens kept in ${alice.credentials}\\.`,
      ),
    );
    assert.doesNotMatch(login.stderr, /opened in your browser/);
    assert.match(login.stderr, /on any device with a browser/);
    assert.deepEqual(JSON.parse(login.stdout), {
      gateway: gw.url,
      subject: 'alice',
      name: 'alice@example.com',
      groups: ['engineering'],
      tokenStore: { kind: 'file', location: alice.credentials },
    });

    const whoami = await runHoop(['whoami'], alice.env);
    assert.equal(whoami.code, 0, whoami.stderr);
    assert.match(whoami.stdout, /^subject +alice$/m);
    assert.match(whoami.stdout, /^name +alice@example\.com$/m);
    assert.match(whoami.stdout, /^kind +user \(oidc\)$/m);
    assert.match(whoami.stdout, /^groups +engineering$/m);
    assert.match(whoami.stdout, /^email +alice@example\.com$/m);
    assert.match(whoami.stdout, /^expires +\d{4}-\d\d-\d\dT\S+Z \(in \d+m/m);

    const json = await runHoop(['whoami', '--json'], alice.env);
    assert.equal(json.code, 0, json.stderr);
    const identity = JSON.parse(json.stdout) as Record<string, unknown>;
    assert.equal(identity.gateway, gw.url);
    assert.equal(identity.source, 'login');
    assert.equal(identity.subject, 'alice');
    assert.equal(identity.email, 'alice@example.com');
    assert.equal(identity.kind, 'user');
    assert.equal(identity.method, 'oidc');
    assert.deepEqual(identity.groups, ['engineering']);
    const expiresIn = Date.parse(String(identity.expiresAt)) - Date.now();
    assert.ok(expiresIn > 250_000 && expiresIn <= 300_000, `expires in ${expiresIn} ms`);

    const connections = await runHoop(['connections', '--json'], alice.env);
    assert.equal(connections.code, 0, connections.stderr);
    const names = (JSON.parse(connections.stdout) as { name: string }[]).map((c) => c.name);
    assert.deepEqual(names, ['echo'], 'only the connections open to engineering');

    const { refreshToken } = await storedLogin(alice.credentials, gw.url);
    assert.ok(refreshToken);
    const logout = await runHoop(['logout', '--json'], alice.env);
    assert.equal(logout.code, 0, logout.stderr);
    assert.match(logout.stderr, /the login was revoked at the identity provider/);
    assert.deepEqual(JSON.parse(logout.stdout), {
      gateway: gw.url,
      loggedOut: true,
      revoked: true,
    });
    await assert.rejects(storedLogin(alice.credentials, gw.url), /no login stored/);

    // Revoked at the IdP, not just forgotten: the refresh token no longer works.
    const cli = await oidc.discovery(new URL(idp.issuer), idp.cliClientId, undefined, oidc.None(), {
      execute: [oidc.allowInsecureRequests],
    });
    await assert.rejects(oidc.refreshTokenGrant(cli, refreshToken), { error: 'invalid_grant' });

    assertCliFailure(
      await runHoop(['whoami'], alice.env),
      5,
      new RegExp(`not logged in to ${gw.url}`),
      /Run `hoop login`/,
    );
    const again = await runHoop(['logout'], alice.env);
    assert.equal(again.code, 0);
    assert.match(again.stderr, /Not logged in/);
  });

  it('exits 5 with HOOP_LOGIN_FAILED when the person cancels at the IdP', async () => {
    const carol = await person();
    const login = await loginWithCli(idp, carol.env, 'carol', 'cancel');
    assertCliFailure(login, 5, /login failed: the login was denied/, /Run `hoop login` again/);
    await assert.rejects(stat(carol.credentials), { code: 'ENOENT' }, 'nothing was stored');
  });

  it('exits 2 with HOOP_LOGIN_UNAVAILABLE advice when the gateway has no identity provider', async () => {
    const keysOnly = await startTestGateway({ connections: CONNECTIONS });
    try {
      const nobody = await person(keysOnly);
      const result = await runHoop(['login', '--no-browser'], nobody.env);
      assertCliFailure(
        result,
        2,
        /this gateway has no identity provider configured/,
        /API key in HOOP_TOKEN.*auth\.oidc/,
      );
      const response = await fetch(`${keysOnly.url}/api/auth/config`);
      assert.equal(response.status, 404);
      const body = (await response.json()) as { error: { code: string } };
      assert.equal(body.error.code, 'HOOP_LOGIN_UNAVAILABLE');
    } finally {
      await keysOnly.close();
    }
  });

  it('keeps the tokens in a 0600 file and refuses one that others can read', async () => {
    const bob = await person();
    const login = await loginWithCli(idp, bob.env, 'bob');
    assert.equal(login.code, 0, login.stderr);
    assert.equal((await stat(bob.credentials)).mode & 0o777, 0o600);

    await chmod(bob.credentials, 0o644);
    assertCliFailure(
      await runHoop(['whoami'], bob.env),
      5,
      /credentials\.json is readable by other users \(mode 644\)/,
      /^Run `chmod 600 .*credentials\.json`/,
    );
    await chmod(bob.credentials, 0o600);
    const whoami = await runHoop(['whoami'], bob.env);
    assert.equal(whoami.code, 0, whoami.stderr);
    assert.match(whoami.stdout, /^subject +bob$/m);
  });
});

describe('silent refresh of a stored login', { timeout: 120_000 }, () => {
  let idp: DevIdp;
  let gw: TestGateway;
  let config: Awaited<ReturnType<typeof tempConfigDir>>;

  before(async () => {
    // Access tokens live 2 s, so a few seconds are enough to outlive one.
    idp = await startTestIdp({ accessTokenTtlSeconds: 2 });
    gw = await startTestGateway({ connections: CONNECTIONS, oidc: oidcConfig(idp) });
    config = await tempConfigDir();
  });

  after(async () => {
    await gw?.close();
    await idp?.close();
    await config?.remove();
  });

  it('refreshes an expired access token without asking, until the user is disabled', async () => {
    const env = personEnv(gw, config.dir);
    const login = await loginWithCli(idp, env, 'alice');
    assert.equal(login.code, 0, login.stderr);
    const first = await storedLogin(config.credentials, gw.url);
    assert.ok(first.expiresAt && first.refreshToken);

    // Past the access token's expiry. (The CLI refreshes whatever expires within
    // 30 s, so every command below refreshes: what this pins is that it does so
    // silently, stores the result and the rotated refresh token.)
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    assert.ok(first.expiresAt * 1000 < Date.now(), 'the stored access token has expired');
    const whoami = await runHoop(['whoami', '--json'], env);
    assert.equal(whoami.code, 0, whoami.stderr);
    assert.equal((JSON.parse(whoami.stdout) as { subject: string }).subject, 'alice');

    const second = await storedLogin(config.credentials, gw.url);
    assert.notEqual(second.accessToken, first.accessToken, 'a new access token was stored');
    assert.notEqual(second.refreshToken, first.refreshToken, 'the refresh token rotated');
    assert.ok((second.expiresAt ?? 0) > first.expiresAt);
    assert.equal((await stat(config.credentials)).mode & 0o777, 0o600);

    idp.disableUser('alice');
    const refused = await runHoop(['connections'], env);
    assertCliFailure(
      refused,
      5,
      /your login has expired or was revoked \(invalid_grant\)/,
      /^Run `hoop login` again\.$/,
    );
  });
});
