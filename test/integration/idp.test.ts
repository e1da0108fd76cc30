import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import * as oidc from 'openid-client';
import { startDevIdp, type DevIdp, type DevIdpOptions } from '../../src/server/idp/index.js';
import { cancelDeviceLogin, completeDeviceLogin } from '../helpers/device-login.js';

const SCOPE = 'openid profile email offline_access';

/** A dev IdP for one test: quiet, fast polling, collecting its warnings. */
async function startIdp(options: DevIdpOptions = {}): Promise<DevIdp & { warnings: string[] }> {
  const warnings: string[] = [];
  const idp = await startDevIdp({
    pollIntervalSeconds: 0.1,
    warn: (message) => warnings.push(message),
    ...options,
  });
  return Object.assign(idp, { warnings });
}

function cliConfig(idp: DevIdp): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(idp.issuer), idp.cliClientId, undefined, oidc.None(), {
    execute: [oidc.allowInsecureRequests],
  });
}

function confidentialConfig(
  idp: DevIdp,
  clientId: string,
  secret: string,
): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(idp.issuer), clientId, undefined, oidc.ClientSecretBasic(secret), {
    execute: [oidc.allowInsecureRequests],
  });
}

/** `hoop login` as the CLI does it: device authorization, the person signs in, polling. */
async function deviceLogin(
  config: oidc.Configuration,
  username: string,
  password: string,
): Promise<oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers> {
  const authorization = await oidc.initiateDeviceAuthorization(config, { scope: SCOPE });
  assert.ok(authorization.verification_uri_complete);
  // Poll while the person signs in, so the grant answers authorization_pending first.
  const polling = oidc.pollDeviceAuthorizationGrant(config, authorization);
  try {
    await completeDeviceLogin(authorization.verification_uri_complete, username, password);
  } catch (error) {
    polling.catch(() => {});
    throw error;
  }
  return polling;
}

function verifier(idp: DevIdp) {
  const jwks = createRemoteJWKSet(new URL(`${idp.issuer}/jwks`), { cooldownDuration: 0 });
  return async (token: string): Promise<JWTPayload> => {
    const { payload } = await jwtVerify(token, jwks, {
      issuer: idp.issuer,
      audience: idp.audience,
      typ: 'at+jwt',
    });
    return payload;
  };
}

/** Matches openid-client's error for a 401 whose WWW-Authenticate challenge names `error`. */
function challenge(error: string) {
  return (thrown: unknown) => {
    assert.ok(thrown instanceof oidc.WWWAuthenticateChallengeError, String(thrown));
    assert.equal(thrown.cause[0]?.parameters.error, error);
    return true;
  };
}

function password(idp: DevIdp, username: string): string {
  const user = idp.users.find((candidate) => candidate.username === username);
  assert.ok(user, `no demo user ${username}`);
  return user.password;
}

describe('development identity provider', () => {
  let idp: DevIdp & { warnings: string[] };
  before(async () => {
    idp = await startIdp();
  });
  after(() => idp.close());

  test('says loudly what it is, and serves discovery for its exact issuer', async () => {
    assert.equal(idp.warnings.length, 1);
    assert.match(idp.warnings[0] ?? '', /^WARNING: .*DEVELOPMENT identity provider/);
    assert.match(idp.issuer, /^http:\/\/127\.0\.0\.1:\d+$/);

    const response = await fetch(`${idp.issuer}/.well-known/openid-configuration`);
    assert.equal(response.status, 200);
    const metadata = (await response.json()) as Record<string, unknown>;
    assert.equal(metadata.issuer, idp.issuer);
    for (const endpoint of [
      'jwks_uri',
      'token_endpoint',
      'device_authorization_endpoint',
      'userinfo_endpoint',
      'introspection_endpoint',
      'revocation_endpoint',
    ]) {
      assert.match(String(metadata[endpoint]), new RegExp(`^${idp.issuer}/`), endpoint);
    }
    assert.deepEqual(
      [
        'urn:ietf:params:oauth:grant-type:device_code',
        'client_credentials',
        'refresh_token',
      ].filter((grant) => !(metadata.grant_types_supported as string[]).includes(grant)),
      [],
    );

    const jwks = (await (await fetch(String(metadata.jwks_uri))).json()) as {
      keys: Record<string, unknown>[];
    };
    assert.equal(jwks.keys.length, 1);
    assert.equal(jwks.keys[0]?.d, undefined, 'the JWKS publishes no private key material');

    const page = await fetch(`${idp.issuer}/device`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /name="user_code"/);
  });

  test('a device login yields a JWT for the audience with the user, groups and a jti, and refreshes', async () => {
    const config = await cliConfig(idp);
    const verify = verifier(idp);
    const tokens = await deviceLogin(config, 'alice', password(idp, 'alice'));

    const claims = await verify(tokens.access_token);
    assert.equal(claims.sub, 'alice');
    assert.equal(claims.email, 'alice@example.com');
    assert.equal(claims.name, 'Alice Anders');
    assert.deepEqual(claims.groups, ['engineering']);
    assert.equal(claims.client_id, idp.cliClientId);
    assert.equal(typeof claims.jti, 'string');
    assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), 300);
    assert.equal(tokens.expires_in, 300);
    assert.equal(tokens.claims()?.sub, 'alice', 'the ID token names the same user');
    assert.deepEqual(tokens.claims()?.groups, ['engineering']);
    assert.ok(tokens.refresh_token);

    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token);
    const again = await verify(refreshed.access_token);
    assert.equal(again.sub, 'alice');
    assert.deepEqual(again.groups, ['engineering']);
    assert.notEqual(again.jti, claims.jti);
    assert.ok(refreshed.refresh_token);
    assert.notEqual(refreshed.refresh_token, tokens.refresh_token, 'refresh tokens rotate');

    // Replaying a rotated refresh token is taken as theft: the whole login is revoked.
    await assert.rejects(oidc.refreshTokenGrant(config, tokens.refresh_token), {
      error: 'invalid_grant',
    });
    await assert.rejects(oidc.refreshTokenGrant(config, refreshed.refresh_token), {
      error: 'invalid_grant',
    });
  });

  test('a wrong password keeps the login page up and is reported', async () => {
    const config = await cliConfig(idp);
    const authorization = await oidc.initiateDeviceAuthorization(config, { scope: SCOPE });
    await assert.rejects(
      completeDeviceLogin(authorization.verification_uri_complete ?? '', 'alice', 'nope'),
      /device login refused: Wrong username or password/,
    );
  });

  for (const on of ['confirmation', 'login'] as const) {
    test(`cancelling on the ${on} page ends the device login with access_denied`, async () => {
      const config = await cliConfig(idp);
      const authorization = await oidc.initiateDeviceAuthorization(config, { scope: SCOPE });
      const polling = oidc.pollDeviceAuthorizationGrant(config, authorization);
      await cancelDeviceLogin(authorization.verification_uri_complete ?? '', on);
      await assert.rejects(polling, { error: 'access_denied' });
      // The code cannot be used afterwards.
      await assert.rejects(
        completeDeviceLogin(authorization.verification_uri_complete ?? '', 'alice', 'x'),
        /already been used/,
      );
    });
  }

  test('an agent gets a JWT for the audience from the client-credentials grant', async () => {
    const [agent] = idp.agents;
    assert.ok(agent);
    assert.equal(agent.clientId, 'agent-1');
    const config = await confidentialConfig(idp, agent.clientId, agent.clientSecret);
    const tokens = await oidc.clientCredentialsGrant(config);
    assert.equal(tokens.refresh_token, undefined);

    const claims = await verifier(idp)(tokens.access_token);
    assert.equal(claims.sub, 'agent-1');
    assert.equal(claims.aud, 'hoop');
    assert.deepEqual(claims.groups, ['agents']);
    assert.equal(typeof claims.jti, 'string');

    const wrong = await confidentialConfig(idp, agent.clientId, 'not-the-secret');
    await assert.rejects(oidc.clientCredentialsGrant(wrong), challenge('invalid_client'));

    // JWT access tokens are not stored by oidc-provider: they are checked
    // against the JWKS, and cannot be introspected or revoked.
    await assert.rejects(oidc.tokenIntrospection(config, tokens.access_token), {
      error: 'unsupported_token_type',
    });
  });

  test('signToken mints verifiable tokens with any claims, e.g. an RFC 8693 act claim', async () => {
    const verify = verifier(idp);
    const token = await idp.signToken({
      sub: 'agent-1',
      groups: ['agents'],
      act: { sub: 'alice' },
    });
    const claims = await verify(token);
    assert.deepEqual(claims.act, { sub: 'alice' });
    assert.equal(claims.iss, idp.issuer);
    assert.equal(claims.aud, 'hoop');
    assert.equal(typeof claims.jti, 'string');

    const expired = await idp.signToken({ sub: 'alice' }, { expiresInSeconds: -60 });
    await assert.rejects(verify(expired), { code: 'ERR_JWT_EXPIRED' });
    const otherAudience = await idp.signToken({ sub: 'alice', aud: 'someone-else' });
    await assert.rejects(verify(otherAudience), { code: 'ERR_JWT_CLAIM_VALIDATION_FAILED' });
  });
});

test('a disabled user can no longer refresh, read userinfo, pass introspection or log in', async () => {
  const idp = await startIdp();
  try {
    const config = await cliConfig(idp);
    const gateway = await confidentialConfig(
      idp,
      idp.gatewayClient.clientId,
      idp.gatewayClient.clientSecret,
    );
    const tokens = await deviceLogin(config, 'bob', password(idp, 'bob'));
    assert.ok(tokens.refresh_token);

    // The JWT is for the audience, so oidc-provider's userinfo refuses it; a
    // refresh narrowed to OpenID scopes gets an opaque userinfo token.
    await assert.rejects(
      oidc.fetchUserInfo(config, tokens.access_token, 'bob'),
      challenge('invalid_token'),
    );
    const userinfoTokens = await oidc.refreshTokenGrant(config, tokens.refresh_token, {
      scope: 'openid profile email',
    });
    assert.throws(() => decodeProtectedHeader(userinfoTokens.access_token));
    const refreshToken = userinfoTokens.refresh_token ?? '';
    const userinfo = await oidc.fetchUserInfo(config, userinfoTokens.access_token, 'bob');
    assert.equal(userinfo.email, 'bob@example.com');
    assert.deepEqual(userinfo.groups, ['dba']);

    const active = await oidc.tokenIntrospection(gateway, refreshToken);
    assert.equal(active.active, true);
    assert.equal(active.sub, 'bob');
    assert.equal(
      (await oidc.tokenIntrospection(gateway, userinfoTokens.access_token)).active,
      true,
    );
    assert.deepEqual((await oidc.tokenIntrospection(gateway, userinfoTokens.access_token)).groups, [
      'dba',
    ]);

    idp.disableUser('bob');

    await assert.rejects(oidc.refreshTokenGrant(config, refreshToken), {
      error: 'invalid_grant',
    });
    await assert.rejects(
      oidc.fetchUserInfo(config, userinfoTokens.access_token, 'bob'),
      challenge('invalid_token'),
    );
    assert.equal((await oidc.tokenIntrospection(gateway, refreshToken)).active, false);
    assert.equal(
      (await oidc.tokenIntrospection(gateway, userinfoTokens.access_token)).active,
      false,
    );
    const again = await oidc.initiateDeviceAuthorization(config, { scope: SCOPE });
    await assert.rejects(
      completeDeviceLogin(again.verification_uri_complete ?? '', 'bob', password(idp, 'bob')),
      /This account is disabled/,
    );
  } finally {
    await idp.close();
  }
});

test('rotating keys gives new tokens a new kid; the old key stays published until dropped', async () => {
  const idp = await startIdp({ signingAlg: 'RS256' });
  try {
    const [agent] = idp.agents;
    assert.ok(agent);
    const config = await confidentialConfig(idp, agent.clientId, agent.clientSecret);
    // One JWKS cache across the rotation, as a gateway keeps it: it refetches on an unknown kid.
    const verify = verifier(idp);
    const before = (await oidc.clientCredentialsGrant(config)).access_token;
    const oldKid = decodeProtectedHeader(before).kid;
    assert.equal(decodeProtectedHeader(before).alg, 'RS256');
    await verify(before);

    await idp.rotateKeys();
    const after = (await oidc.clientCredentialsGrant(config)).access_token;
    const newKid = decodeProtectedHeader(after).kid;
    assert.ok(oldKid && newKid);
    assert.notEqual(newKid, oldKid);
    assert.equal((await verify(after)).sub, 'agent-1');
    assert.equal((await verify(before)).sub, 'agent-1', 'the old key is still published');
    assert.equal(decodeProtectedHeader(await idp.signToken({ sub: 'x' })).kid, newKid);

    await idp.rotateKeys({ keepOld: false });
    const fresh = verifier(idp);
    await assert.rejects(fresh(before), { code: 'ERR_JWKS_NO_MATCHING_KEY' });
    await assert.rejects(fresh(after), { code: 'ERR_JWKS_NO_MATCHING_KEY' });
    await fresh((await oidc.clientCredentialsGrant(config)).access_token);
    // A retired key still signs on request, for "signed by a key no longer published" tests.
    await assert.rejects(fresh(await idp.signToken({ sub: 'x' }, { kid: oldKid })), {
      code: 'ERR_JWKS_NO_MATCHING_KEY',
    });
  } finally {
    await idp.close();
  }
});

test('a device login survives a key rotation halfway through', async () => {
  const idp = await startIdp();
  try {
    const config = await cliConfig(idp);
    const authorization = await oidc.initiateDeviceAuthorization(config, { scope: SCOPE });
    await idp.rotateKeys();
    const polling = oidc.pollDeviceAuthorizationGrant(config, authorization);
    await completeDeviceLogin(
      authorization.verification_uri_complete ?? '',
      'alice',
      password(idp, 'alice'),
    );
    const tokens = await polling;
    assert.equal((await verifier(idp)(tokens.access_token)).sub, 'alice');
    await oidc.refreshTokenGrant(config, tokens.refresh_token ?? '');
  } finally {
    await idp.close();
  }
});

test('options: audience, groups claim, users, short token lifetimes', async () => {
  const idp = await startIdp({
    audience: 'https://gateway.example.test',
    groupsClaim: 'roles',
    cliClientId: 'my-cli',
    users: [
      { username: 'dana', password: 'pw', email: 'd@example.test', name: 'D', groups: ['x'] },
    ],
    accessTokenTtlSeconds: 1,
  });
  try {
    assert.equal(idp.resource, 'https://gateway.example.test');
    const tokens = await deviceLogin(await cliConfig(idp), 'dana', 'pw');
    const claims = await verifier(idp)(tokens.access_token);
    assert.deepEqual(claims.roles, ['x']);
    assert.equal(claims.groups, undefined);
    assert.equal(claims.aud, 'https://gateway.example.test');
    assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), 1);
  } finally {
    await idp.close();
  }
});

test('it listens on loopback addresses only', async () => {
  await assert.rejects(startDevIdp({ host: '0.0.0.0', warn: () => {} }), /loopback/);
});
