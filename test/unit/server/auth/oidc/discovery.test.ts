import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, test } from 'node:test';
import { HoopError } from '../../../../../src/lib/errors.js';
import { discoveryUrl } from '../../../../../src/server/auth/oidc/discovery.js';
import { oidcStrategy } from '../../../../../src/server/auth/oidc/index.js';
import { assertRefused, startIssuer, strategyFor, testClock, type TestIssuer } from './issuer.js';

let idp: TestIssuer;
beforeEach(async () => {
  idp = await startIssuer();
});
afterEach(() => idp.close());

test('the discovery URL drops a terminating slash (OIDC Discovery §4)', () => {
  assert.equal(
    discoveryUrl('https://idp.example.com/realms/a/'),
    'https://idp.example.com/realms/a/.well-known/openid-configuration',
  );
  assert.equal(
    discoveryUrl('https://idp.example.com'),
    'https://idp.example.com/.well-known/openid-configuration',
  );
});

test('an issuer with a trailing slash is matched exactly', async () => {
  const slashed = await startIssuer({ path: '/tenant/' });
  try {
    assert.match(slashed.issuer, /\/tenant\/$/);
    const strategy = strategyFor(slashed, testClock());
    assert.ok(await strategy.authenticate(await slashed.token()));
  } finally {
    await slashed.close();
  }
});

test('discovery is fetched lazily, once, even by concurrent first requests', async () => {
  const strategy = strategyFor(idp, testClock());
  assert.equal(idp.hits.discovery, 0);
  const token = await idp.token();
  await Promise.all(Array.from({ length: 10 }, () => strategy.authenticate(token)));
  await strategy.authenticate(token);
  assert.equal(idp.hits.discovery, 1);
});

test('a discovery document naming another issuer is refused (OIDC Discovery §4.3)', async () => {
  idp.discovery['issuer'] = 'https://evil.example.com';
  const strategy = strategyFor(idp, testClock());
  const error = await assertRefused(strategy.authenticate(await idp.token()), 'unavailable');
  assert.match(error.message, /names issuer "https:\/\/evil\.example\.com", not the configured/);
  assert.equal(idp.hits.jwks, 0, 'no keys are trusted from it');
});

test('a discovery document pointing keys at plain http elsewhere is refused', async () => {
  idp.discovery['jwks_uri'] = 'http://keys.example.com/jwks';
  const strategy = strategyFor(idp, testClock());
  const error = await assertRefused(strategy.authenticate(await idp.token()), 'unavailable');
  assert.match(error.message, /unusable jwks_uri/);
});

test('an unreachable provider fails closed with its reason, and is retried after a backoff', async () => {
  const clock = testClock();
  const strategy = strategyFor(idp, clock);
  const token = await idp.token();
  idp.down = true;
  const error = await assertRefused(strategy.authenticate(token), 'unavailable');
  assert.match(error.message, /identity provider cannot be reached/);
  assert.ok(error.cause, 'the network error is kept as the cause');
  assert.match(error.hint ?? '', /try again/);

  idp.down = false;
  await assertRefused(strategy.authenticate(token), 'unavailable');
  assert.equal(idp.hits.discovery, 0, 'within the backoff nothing is asked');
  clock.advance(1);
  assert.ok(await strategy.authenticate(token));
  assert.equal(idp.hits.discovery, 1);
});

test('nothing listening at the issuer: refused, not hung', async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const issuer = `http://127.0.0.1:${port}`;
  const strategy = oidcStrategy({ issuer, clientId: 'hoop-cli', groupsClaim: 'groups' });
  await assertRefused(strategy.authenticate(await idp.token({ iss: issuer })), 'unavailable');
});

test('a provider that does not answer in time is refused after the timeout', async () => {
  const server = createServer(() => {
    /* never answers */
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const issuer = `http://127.0.0.1:${port}`;
    const strategy = oidcStrategy({
      issuer,
      clientId: 'hoop-cli',
      groupsClaim: 'groups',
      httpTimeoutMs: 100,
    });
    const started = Date.now();
    await assertRefused(strategy.authenticate(await idp.token({ iss: issuer })), 'unavailable');
    assert.ok(Date.now() - started < 2000);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test('issuers: https anywhere, http on loopback, other http only when allowed', () => {
  const make = (issuer: string, allowInsecureHttp?: boolean) => () =>
    oidcStrategy({
      issuer,
      clientId: 'c',
      groupsClaim: 'groups',
      ...(allowInsecureHttp ? { allowInsecureHttp } : {}),
    });
  const refused = (error: unknown) =>
    error instanceof HoopError && error.code === 'HOOP_CONFIG_INVALID';

  for (const ok of [
    'https://idp.example.com',
    'https://idp.example.com/realms/main',
    'http://127.0.0.1:8080',
    'http://localhost:3000/oidc',
    'http://[::1]:9000',
  ]) {
    assert.doesNotThrow(make(ok), ok);
  }
  for (const bad of [
    'http://idp.example.com',
    'http://10.0.0.5',
    'ftp://idp.example.com',
    'https://idp.example.com/?tenant=a',
    'https://idp.example.com/#x',
    'idp.example.com',
  ]) {
    assert.throws(make(bad), refused, bad);
  }
  assert.doesNotThrow(make('http://idp.internal:8080', true));
});
