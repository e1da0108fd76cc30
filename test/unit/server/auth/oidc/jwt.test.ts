import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { base64url, exportSPKI, SignJWT, UnsecuredJWT } from 'jose';
import { generateApiKey } from '../../../../../src/lib/api-key.js';
import { HoopError } from '../../../../../src/lib/errors.js';
import { oidcStrategy } from '../../../../../src/server/auth/oidc/index.js';
import {
  assertRefused,
  startIssuer,
  strategyFor,
  T0,
  T0_SECONDS,
  testClock,
  type TestIssuer,
} from './issuer.js';

let idp: TestIssuer;
before(async () => {
  idp = await startIssuer();
});
after(() => idp.close());

describe('valid JWTs', () => {
  test('a user token gives the user identity with groups and expiry', async () => {
    const strategy = strategyFor(idp, testClock());
    const token = await idp.token({
      email: 'alice@example.com',
      email_verified: true,
      groups: ['engineering', 'dba'],
      jti: 'jti-1',
      azp: 'hoop-cli',
    });
    assert.deepEqual(await strategy.authenticate(token), {
      subject: 'alice',
      name: 'alice@example.com',
      kind: 'user',
      method: 'oidc',
      groups: ['engineering', 'dba'],
      email: 'alice@example.com',
      expiresAt: new Date((T0_SECONDS + 3600) * 1000),
      issuedAt: new Date(T0_SECONDS * 1000),
      tokenKind: 'jwt',
      jti: 'jti-1',
    });
  });

  test('a client-credentials token is an agent with its own identity and groups', async () => {
    const strategy = strategyFor(idp, testClock());
    // RFC 9068 §2.2 shape: sub is the client id; no email, no person.
    const token = await idp.token({
      sub: 'agent-ci',
      client_id: 'agent-ci',
      azp: 'agent-ci',
      groups: ['agents'],
    });
    const identity = await strategy.authenticate(token);
    assert.equal(identity?.kind, 'agent');
    assert.equal(identity?.subject, 'agent-ci');
    assert.equal(identity?.name, 'agent-ci');
    assert.deepEqual(identity?.groups, ['agents']);
    assert.equal(identity?.email, undefined);
  });

  test('Auth0, Keycloak and Entra client tokens are agents too', async () => {
    const strategy = strategyFor(idp, testClock());
    const shapes = [
      { sub: 'abc123@clients', azp: 'abc123', gty: 'client-credentials' },
      { sub: '5f0e-uuid', azp: 'ci-bot', preferred_username: 'service-account-ci-bot' },
      { sub: '9a1b-oid', azp: 'ci-app', idtyp: 'app' },
    ];
    for (const claims of shapes) {
      const identity = await strategy.authenticate(await idp.token(claims));
      assert.equal(identity?.kind, 'agent', JSON.stringify(claims));
      assert.equal(identity?.subject, claims.sub);
      assert.equal(identity?.name, claims.azp);
    }
  });

  test('an email the provider has not verified is dropped', async () => {
    const strategy = strategyFor(idp, testClock());
    const token = await idp.token({
      email: 'ceo@example.com',
      email_verified: false,
      preferred_username: 'mallory',
    });
    const identity = await strategy.authenticate(token);
    assert.equal(identity?.email, undefined);
    assert.equal(identity?.name, 'mallory');
  });

  test('without an audience option the token must be meant for the client id', async () => {
    const strategy = strategyFor(idp, testClock(), { audience: undefined });
    assert.equal(
      (await strategy.authenticate(await idp.token({ aud: 'hoop-cli' })))?.subject,
      'alice',
    );
    await assertRefused(strategy.authenticate(await idp.token({ aud: 'hoop' })), 'wrong_audience');
  });

  test('an API key is left to the API key strategy', async () => {
    const strategy = strategyFor(idp, testClock());
    assert.equal(await strategy.authenticate(generateApiKey()), undefined);
    assert.equal(idp.hits.userinfo, 0);
  });
});

describe('claims that refuse a token', () => {
  test('another issuer', async () => {
    const strategy = strategyFor(idp, testClock());
    const error = await assertRefused(
      strategy.authenticate(await idp.token({ iss: 'https://other.example.com' })),
      'unknown_issuer',
    );
    assert.match(error.message, /not issued by http:\/\/127\.0\.0\.1:\d+\/realms\/hoop/);
  });

  test('another audience', async () => {
    const strategy = strategyFor(idp, testClock());
    const token = await idp.token({ aud: ['other-app', 'account'] });
    const error = await assertRefused(strategy.authenticate(token), 'wrong_audience');
    assert.match(error.message, /expected audience hoop/);
    assert.equal(error.details?.['subject'], 'alice');
  });

  test('expired, and the refusal quotes nothing of the token but its subject and jti', async () => {
    const strategy = strategyFor(idp, testClock());
    const token = await idp.token({
      exp: T0_SECONDS - 3600,
      email: 'alice@example.com',
      groups: ['secret-group'],
      jti: 'jti-expired',
    });
    const error = await assertRefused(strategy.authenticate(token), 'expired');
    assert.equal(error.details?.['subject'], 'alice');
    assert.equal(error.details?.['jti'], 'jti-expired');
    assert.equal(error.cause, undefined, 'jose errors carry the payload: never kept as cause');
    const everything = JSON.stringify({ ...error.toJSON(), stack: error.stack });
    assert.doesNotMatch(everything, /alice@example\.com|secret-group/);
    assert.ok(!everything.includes(token));
  });

  test('not valid yet (nbf)', async () => {
    const strategy = strategyFor(idp, testClock());
    await assertRefused(
      strategy.authenticate(await idp.token({ nbf: T0_SECONDS + 600 })),
      'not_yet_valid',
    );
  });

  test('tokens of the issuer that are not credentials: logout tokens, DPoP-bound tokens', async () => {
    const strategy = strategyFor(idp, testClock());
    const logout = await idp.token(
      { events: { 'http://schemas.openid.net/event/backchannel-logout': {} } },
      { header: { typ: 'logout+jwt' } },
    );
    await assertRefused(strategy.authenticate(logout), 'malformed');
    const bound = await idp.token({ cnf: { jkt: 'thumbprint' } }, { header: { typ: 'at+jwt' } });
    await assertRefused(strategy.authenticate(bound), 'malformed');
    for (const typ of ['JWT', 'at+jwt', 'application/at+JWT']) {
      assert.ok(await strategy.authenticate(await idp.token({}, { header: { typ } })), typ);
    }
  });

  test('no exp, or no sub', async () => {
    const strategy = strategyFor(idp, testClock());
    await assertRefused(strategy.authenticate(await idp.token({ exp: undefined })), 'malformed');
    await assertRefused(strategy.authenticate(await idp.token({ sub: undefined })), 'malformed');
  });
});

describe('clock skew', () => {
  // jose's rule (RFC 7519 §4.1.4 with leeway): valid while now < exp + tolerance,
  // and from nbf - tolerance on.
  test('exp: the last second inside the tolerance is accepted, the limit itself is not', async () => {
    const clock = testClock();
    const strategy = strategyFor(idp, clock, { clockToleranceSeconds: 30 });
    const token = await idp.token({ exp: T0_SECONDS });
    clock.t = T0 + 29_999;
    assert.equal((await strategy.authenticate(token))?.subject, 'alice');
    clock.t = T0 + 30_000;
    await assertRefused(strategy.authenticate(token), 'expired');
  });

  test('nbf: exactly the tolerance ahead is accepted, one second more is not', async () => {
    const clock = testClock();
    const strategy = strategyFor(idp, clock, { clockToleranceSeconds: 30 });
    assert.ok(await strategy.authenticate(await idp.token({ nbf: T0_SECONDS + 30 })));
    await assertRefused(
      strategy.authenticate(await idp.token({ nbf: T0_SECONDS + 31 })),
      'not_yet_valid',
    );
  });

  test('the default tolerance is 30 seconds', async () => {
    const clock = testClock();
    const strategy = strategyFor(idp, clock);
    const token = await idp.token({ exp: T0_SECONDS });
    clock.t = T0 + 29_000;
    assert.ok(await strategy.authenticate(token));
    clock.t = T0 + 31_000;
    await assertRefused(strategy.authenticate(token), 'expired');
  });
});

describe('signatures and algorithms', () => {
  test('a tampered payload or signature is refused', async () => {
    const strategy = strategyFor(idp, testClock());
    const token = await idp.token({ groups: ['engineering'] });
    const [header, payload, signature] = token.split('.') as [string, string, string];

    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    const forged = base64url.encode(JSON.stringify({ ...claims, groups: ['admin'] }));
    await assertRefused(strategy.authenticate(`${header}.${forged}.${signature}`), 'bad_signature');

    const bytes = base64url.decode(signature);
    bytes[10] = bytes[10]! ^ 0xff;
    await assertRefused(
      strategy.authenticate(`${header}.${payload}.${base64url.encode(bytes)}`),
      'bad_signature',
    );
  });

  test('an unsigned alg:none token is refused as a JWT, not sent to userinfo', async () => {
    const strategy = strategyFor(idp, testClock());
    const hits = idp.hits.userinfo;
    const token = new UnsecuredJWT({ sub: 'alice', aud: 'hoop', exp: T0_SECONDS + 3600 })
      .setIssuer(idp.issuer)
      .encode();
    assert.match(token, /\.$/);
    await assertRefused(strategy.authenticate(token), 'algorithm_not_allowed');
    assert.equal(idp.hits.userinfo, hits);
  });

  test('HS256 "signed" with the public key as the HMAC secret is refused', async () => {
    const strategy = strategyFor(idp, testClock());
    // The classic confusion: a verifier that takes the key's bytes as an HMAC
    // secret when the header says HS256 would accept this forgery.
    for (const secret of [await exportSPKI(idp.key.publicKey), JSON.stringify(idp.key.publicJwk)]) {
      const token = await new SignJWT({
        iss: idp.issuer,
        aud: 'hoop',
        sub: 'admin',
        exp: T0_SECONDS + 3600,
      })
        .setProtectedHeader({ alg: 'HS256', kid: idp.key.kid })
        .sign(new TextEncoder().encode(secret));
      await assertRefused(strategy.authenticate(token), 'algorithm_not_allowed');
    }
  });

  test('a token signed with an algorithm outside the configured list is refused', async () => {
    const es = await idp.newKey('key-es', 'ES256');
    idp.published.push(es);
    try {
      const strategy = strategyFor(idp, testClock(), { algorithms: ['RS256'] });
      await assertRefused(
        strategy.authenticate(await idp.token({}, { key: es })),
        'algorithm_not_allowed',
      );
      const all = strategyFor(idp, testClock());
      assert.ok(await all.authenticate(await idp.token({}, { key: es })));
    } finally {
      idp.published.pop();
    }
  });

  test('none and HMAC algorithms cannot be configured', () => {
    for (const algorithms of [['none'], ['RS256', 'HS256'], ['HS512'], []]) {
      assert.throws(
        () =>
          oidcStrategy({ issuer: idp.issuer, clientId: 'c', groupsClaim: 'groups', algorithms }),
        (error) => error instanceof HoopError && error.code === 'HOOP_CONFIG_INVALID',
        algorithms.join(','),
      );
    }
  });

  test('garbage that looks like a JWT is malformed; oversized tokens are not read', async () => {
    const strategy = strategyFor(idp, testClock(), { maxTokenBytes: 4096 });
    const header = base64url.encode(JSON.stringify({ alg: 'RS256', kid: 'key-1' }));
    await assertRefused(strategy.authenticate(`${header}.bm90LWpzb24.c2ln`), 'malformed');
    await assertRefused(strategy.authenticate('x'.repeat(4097)), 'too_large');
  });

  test('the first use fetches discovery and keys once; later tokens use the cache', async () => {
    const fresh = await startIssuer();
    try {
      const strategy = strategyFor(fresh, testClock());
      assert.deepEqual(fresh.hits, { discovery: 0, jwks: 0, userinfo: 0 });
      const tokens = await Promise.all(
        Array.from({ length: 10 }, (_, i) => fresh.token({ sub: `user-${i}` })),
      );
      await Promise.all(tokens.map((token) => strategy.authenticate(token)));
      await strategy.authenticate(tokens[0]!);
      assert.deepEqual(fresh.hits, { discovery: 1, jwks: 1, userinfo: 0 });
    } finally {
      await fresh.close();
    }
  });
});
