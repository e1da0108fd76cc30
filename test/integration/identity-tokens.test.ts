// Tokens the gateway must refuse, and delegated tokens it may accept, end to
// end: tokens from the development IdP (a real oidc-provider) and forgeries of
// them, sent to a real gateway over HTTP, over the tunnel endpoint and as
// HOOP_TOKEN to the built CLI (run `npm run build` first).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SignJWT, decodeProtectedHeader } from 'jose';
import type { DevIdp } from '../../src/server/idp/index.js';
import { dial } from '../../src/tunnel/index.js';
import { runHoop } from '../helpers/cli.js';
import { startEchoServer, type TestServer } from '../helpers/echo-server.js';
import { startTestGateway, type TestDelegation, type TestGateway } from '../helpers/gateway.js';
import {
  agentToken,
  apiGet,
  assertCliFailure,
  captureLogs,
  oidcConfig,
  startTestIdp,
} from '../helpers/identity.js';
import { endedSessions, eventually, exchange, startConnect } from '../helpers/tunnel.js';

const connections = (echoPort: number): string =>
  `  - { name: echo, type: tcp, host: 127.0.0.1, port: ${echoPort}, groups: [engineering, agents] }`;

/** The environment of a script or agent that authenticates with HOOP_TOKEN. */
function tokenEnv(gw: TestGateway, token: string): NodeJS.ProcessEnv {
  return { HOOP_GATEWAY: gw.url, HOOP_TOKEN: token, HOOP_TOKEN_STORE: 'file' };
}

function tunnelUrl(gw: TestGateway, name = 'echo'): string {
  return `${gw.url.replace(/^http/, 'ws')}/api/tunnel/${name}`;
}

/** The token with its payload replaced, signature kept: what someone editing their groups would send. */
function tamper(token: string, claims: Record<string, unknown>): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const edited = {
    ...(JSON.parse(Buffer.from(payload, 'base64url').toString()) as object),
    ...claims,
  };
  return [header, Buffer.from(JSON.stringify(edited)).toString('base64url'), signature].join('.');
}

/** An unsigned token (RFC 7519 §6), otherwise valid for `idp`. */
function unsigned(idp: DevIdp, claims: Record<string, unknown>): string {
  const now = Math.floor(Date.now() / 1000);
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ iss: idp.issuer, aud: idp.audience, iat: now, exp: now + 300, ...claims })}.`;
}

describe('tokens the gateway refuses, end to end', { timeout: 120_000 }, () => {
  let idp: DevIdp;
  let other: DevIdp;
  let echo: TestServer;
  let gw: TestGateway;
  let logs: string[];
  /** Every token this suite sent, none of which may appear in the gateway's logs. */
  const sent: string[] = [];

  before(async () => {
    [idp, other, echo] = await Promise.all([startTestIdp(), startTestIdp(), startEchoServer()]);
    const capture = captureLogs();
    logs = capture.lines;
    gw = await startTestGateway({
      connections: connections(echo.port),
      oidc: oidcConfig(idp),
      logger: capture.logger,
    });
  });

  after(async () => {
    await gw?.close();
    await Promise.all([idp?.close(), other?.close(), echo?.close()]);
  });

  const refusals: {
    name: string;
    token: () => Promise<string>;
    code: string;
    reason: string;
    message: RegExp;
    advice: RegExp;
  }[] = [
    {
      name: 'a token for another audience',
      token: () => idp.signToken({ sub: 'alice', groups: ['engineering'], aud: 'someone-else' }),
      code: 'HOOP_AUTH_WRONG_AUDIENCE',
      reason: 'wrong_audience',
      message: /not meant for this gateway \(expected audience hoop\)/,
      advice: /issued for another application/,
    },
    {
      name: 'an expired token (beyond the 30 s clock tolerance)',
      token: () => idp.signToken({ sub: 'alice' }, { expiresInSeconds: -45 }),
      code: 'HOOP_AUTH_EXPIRED',
      reason: 'expired',
      message: /the token has expired/,
      advice: /Run `hoop login`/,
    },
    {
      name: 'a token not valid yet (beyond the tolerance)',
      token: () => idp.signToken({ sub: 'alice', nbf: Math.floor(Date.now() / 1000) + 120 }),
      code: 'HOOP_AUTH_NOT_YET_VALID',
      reason: 'not_yet_valid',
      message: /not valid yet/,
      advice: /clocks/,
    },
    {
      name: 'a token whose claims were edited after signing',
      token: async () =>
        tamper(await idp.signToken({ sub: 'alice', groups: ['engineering'] }), {
          groups: ['dba'],
        }),
      code: 'HOOP_AUTH_INVALID',
      reason: 'bad_signature',
      message: /signature does not verify/,
      advice: /altered/,
    },
    {
      name: 'an unsigned token (alg none)',
      token: async () => unsigned(idp, { sub: 'alice', groups: ['engineering'] }),
      code: 'HOOP_AUTH_INVALID',
      reason: 'algorithm_not_allowed',
      message: /signature algorithm is not accepted/,
      advice: /asymmetric algorithm/,
    },
    {
      name: 'an HMAC-signed token (HS256)',
      token: () =>
        new SignJWT({ sub: 'alice', iss: idp.issuer, aud: idp.audience })
          .setProtectedHeader({ alg: 'HS256' })
          .setExpirationTime('5m')
          .sign(randomBytes(32)),
      code: 'HOOP_AUTH_INVALID',
      reason: 'algorithm_not_allowed',
      message: /signature algorithm is not accepted/,
      advice: /asymmetric algorithm/,
    },
    {
      name: 'a token from another identity provider',
      token: () => other.signToken({ sub: 'alice', groups: ['engineering'] }),
      code: 'HOOP_AUTH_UNKNOWN_ISSUER',
      reason: 'unknown_issuer',
      message: /was not issued by http:\/\/127\.0\.0\.1:\d+/,
      advice: /other identity providers are not accepted/,
    },
    {
      name: 'another identity provider’s token claiming this issuer',
      token: () => other.signToken({ sub: 'alice', iss: idp.issuer }),
      code: 'HOOP_AUTH_INVALID',
      reason: 'unknown_key',
      message: /signed with a key that .* does not publish/,
      advice: /no longer\) published/,
    },
    {
      name: 'an opaque string that is no token of this provider',
      token: async () => randomBytes(24).toString('base64url'),
      code: 'HOOP_AUTH_REVOKED',
      reason: 'revoked',
      message: /the identity provider does not accept this token/,
      advice: /Run `hoop login`/,
    },
  ];

  for (const refusal of refusals) {
    it(`refuses ${refusal.name}: HTTP 401 ${refusal.code}, tunnel refused, CLI exit 5`, async () => {
      const token = await refusal.token();
      sent.push(token);

      const { status, body, challenge } = await apiGet(gw, '/api/whoami', token);
      const error = body.error as Record<string, unknown>;
      assert.equal(status, 401, JSON.stringify(body));
      assert.equal(error.code, refusal.code);
      assert.equal(error.reason, refusal.reason);
      assert.match(String(error.message), refusal.message);
      assert.equal(challenge, 'Bearer realm="hoop", error="invalid_token"');
      assert.ok(!JSON.stringify(body).includes(token), 'the answer does not echo the token');

      await assert.rejects(dial({ url: tunnelUrl(gw), token }), { code: refusal.code });

      assertCliFailure(
        await runHoop(['whoami'], tokenEnv(gw, token)),
        5,
        refusal.message,
        refusal.advice,
      );
      // The SQL path says the same, with the same line of advice.
      assertCliFailure(
        await runHoop(['exec', 'echo', '-i', 'select 1'], tokenEnv(gw, token)),
        5,
        refusal.message,
        refusal.advice,
      );
    });
  }

  it('accepts tokens whose exp and nbf are off by less than the clock tolerance', async () => {
    const now = Math.floor(Date.now() / 1000);
    const late = await idp.signToken({ sub: 'alice', exp: now - 20 });
    const early = await idp.signToken({ sub: 'alice', nbf: now + 20 });
    sent.push(late, early);
    for (const token of [late, early]) {
      const { status, body } = await apiGet(gw, '/api/whoami', token);
      assert.equal(status, 200, JSON.stringify(body));
      assert.equal(body.subject, 'alice');
    }
  });

  it('accepts the provider’s own tokens and records the session by subject and jti', async () => {
    const token = await agentToken(idp);
    sent.push(token);
    const jti = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()).jti;
    const connect = await startConnect(gw, 'echo');
    try {
      // startConnect authenticates with the gateway's API key for agent-1; this
      // one uses the IdP's token for the same agent instead.
      const ws = await dial({ url: tunnelUrl(gw), token });
      ws.terminate();
      assert.equal((await exchange(connect.port, 'ping')).toString(), 'ping');
    } finally {
      await connect.stop();
    }
    const sessions = await endedSessions(gw.gateway.store, 'echo', { count: 2 });
    const byToken = sessions.find((session) => session.authMethod === 'oidc');
    assert.equal(byToken?.subject, 'agent-1');
    assert.equal(byToken?.tokenId, jti);
    const byKey = sessions.find((session) => session.authMethod === 'apikey');
    assert.equal(byKey?.subject, 'apikey:agent-1');
  });

  it('never writes a token to its log; it logs refusals by code', async () => {
    const text = logs.join('');
    assert.ok(text.includes('"event":"tunnel_refused"'), 'tunnel refusals are logged');
    assert.ok(text.includes('"code":"HOOP_AUTH_WRONG_AUDIENCE"'));
    assert.ok(text.includes('"event":"session_start"'));
    assert.ok(sent.length >= refusals.length);
    for (const token of sent) {
      // Not the token, and none of its parts (a signature alone is a secret worth nothing, but a payload is personal data).
      for (const part of [token, ...token.split('.').filter((segment) => segment.length > 16)]) {
        assert.ok(!text.includes(part), `the gateway log contains a token or part of one: ${part}`);
      }
    }
    for (const line of logs) {
      const entry = JSON.parse(line) as Record<string, unknown>;
      assert.ok(!('token' in entry) && !('authorization' in entry), line);
    }
  });
});

describe('signing key rotation at the identity provider', { timeout: 60_000 }, () => {
  let idp: DevIdp;
  const gateways: TestGateway[] = [];

  const gateway = async (): Promise<TestGateway> => {
    const gw = await startTestGateway({ connections: connections(9), oidc: oidcConfig(idp) });
    gateways.push(gw);
    return gw;
  };

  const refusal = async (gw: TestGateway, token: string): Promise<unknown[]> => {
    const { status, body } = await apiGet(gw, '/api/whoami', token);
    const error = (body.error ?? {}) as Record<string, unknown>;
    return [status, error.code, error.reason];
  };

  before(async () => {
    idp = await startTestIdp({ signingAlg: 'RS256' });
  });

  after(async () => {
    await Promise.all(gateways.map((gw) => gw.close()));
    await idp?.close();
  });

  it('refuses a token signed with a key the IdP no longer publishes', async () => {
    const gw = await gateway();
    const old = await agentToken(idp);
    const oldKid = decodeProtectedHeader(old).kid;
    await idp.rotateKeys({ keepOld: false });

    assert.deepEqual(await refusal(gw, old), [401, 'HOOP_AUTH_INVALID', 'unknown_key']);
    // A token minted now with the retired key is no better.
    const minted = await idp.signToken({ sub: 'alice' }, { kid: oldKid ?? '' });
    assert.deepEqual(await refusal(gw, minted), [401, 'HOOP_AUTH_INVALID', 'unknown_key']);
    assertCliFailure(
      await runHoop(['whoami'], tokenEnv(gw, old)),
      5,
      /signed with a key that .* does not publish/,
      /no longer\) published/,
    );
    assert.equal((await apiGet(gw, '/api/whoami', await agentToken(idp))).status, 200);
  });

  it('fetches the key set again when a token names a key it has not seen', async () => {
    const gw = await gateway();
    const before = await agentToken(idp);
    assert.equal((await apiGet(gw, '/api/whoami', before)).status, 200);

    await idp.rotateKeys();
    const after = await agentToken(idp);
    assert.notEqual(decodeProtectedHeader(after).kid, decodeProtectedHeader(before).kid);
    // The gateway refetches on an unknown kid at most every 10 s (a flood of
    // made-up kids must not hammer the provider), counted from its last fetch.
    const started = Date.now();
    await eventually(
      async () => (await apiGet(gw, '/api/whoami', after)).status === 200,
      'a token signed with the new key is accepted',
      15_000,
    );
    assert.ok(Date.now() - started < 12_000);
    assert.equal((await apiGet(gw, '/api/whoami', before)).status, 200, 'the old key is kept');
  });
});

describe('delegated tokens (RFC 8693 act) and auth.delegation', { timeout: 60_000 }, () => {
  let idp: DevIdp;
  const gateways: TestGateway[] = [];

  /** A gateway with these delegation rules (none: the default, which refuses delegation). */
  const gatewayWith = async (delegation?: TestDelegation[]): Promise<TestGateway> => {
    const gw = await startTestGateway({
      connections: connections(9),
      oidc: oidcConfig(idp),
      ...(delegation ? { delegation } : {}),
    });
    gateways.push(gw);
    return gw;
  };

  const single = () =>
    idp.signToken({ sub: 'alice', groups: ['engineering'], act: { sub: 'agent-1' } });
  const nested = () =>
    idp.signToken({
      sub: 'alice',
      groups: ['engineering'],
      act: { sub: 'agent-1', act: { sub: 'agent-0' } },
    });

  const assertDenied = async (gw: TestGateway, token: string): Promise<void> => {
    const { status, body } = await apiGet(gw, '/api/whoami', token);
    assert.equal(status, 403, JSON.stringify(body));
    const error = body.error as Record<string, unknown>;
    assert.equal(error.code, 'HOOP_AUTH_DELEGATION_DENIED');
    assert.equal(error.reason, 'delegation_denied');
    assert.equal(error.subject, 'alice');
  };

  before(async () => {
    idp = await startTestIdp();
  });

  after(async () => {
    await Promise.all(gateways.map((gw) => gw.close()));
    await idp?.close();
  });

  it('refuses every delegated token by default: HTTP 403, CLI exit 3 with advice', async () => {
    const gw = await gatewayWith();
    const token = await single();
    await assertDenied(gw, token);
    await assert.rejects(dial({ url: tunnelUrl(gw), token }), {
      code: 'HOOP_AUTH_DELEGATION_DENIED',
    });
    assertCliFailure(
      await runHoop(['whoami'], tokenEnv(gw, token)),
      3,
      /this actor may not act for this subject/,
      /Ask an administrator to allow this agent to act for this subject/,
    );
    // The same person's own token is fine.
    const own = await apiGet(gw, '/api/whoami', await idp.signToken({ sub: 'alice' }));
    assert.equal(own.status, 200);
  });

  it('accepts an actor for the subjects a rule names, and only those', async () => {
    const gw = await gatewayWith([{ actors: ['agent-1'], subjects: ['alice'] }]);
    const whoami = await runHoop(['whoami', '--json'], tokenEnv(gw, await single()));
    assert.equal(whoami.code, 0, whoami.stderr);
    const identity = JSON.parse(whoami.stdout) as Record<string, unknown>;
    assert.equal(identity.subject, 'alice');
    assert.equal(identity.kind, 'agent', 'the caller is the agent acting for alice');
    assert.deepEqual(identity.actors, ['agent-1']);
    assert.deepEqual(identity.groups, ['engineering']);

    const text = await runHoop(['whoami'], tokenEnv(gw, await single()));
    assert.match(text.stdout, /^acting via +agent-1$/m);

    const forBob = await idp.signToken({ sub: 'bob', act: { sub: 'agent-1' } });
    const { status } = await apiGet(gw, '/api/whoami', forBob);
    assert.equal(status, 403);
    // agent-1 may act for alice, but nobody may act for agent-1.
    await assertDenied(gw, await nested());
  });

  it('accepts a nested chain only when every link is allowed', async () => {
    const innerLink = { actors: ['agent-0'], subjects: ['alice'] };
    const outerLink = { actors: ['agent-1'], subjects: ['agent-0'] };
    await assertDenied(await gatewayWith([innerLink]), await nested());
    await assertDenied(await gatewayWith([outerLink]), await nested());

    const both = await gatewayWith([innerLink, outerLink]);
    const { status, body } = await apiGet(both, '/api/whoami', await nested());
    assert.equal(status, 200, JSON.stringify(body));
    assert.deepEqual(body.actors, ['agent-1', 'agent-0']);
    const text = await runHoop(['whoami'], tokenEnv(both, await nested()));
    assert.match(text.stdout, /^acting via +agent-1 ← agent-0$/m);
    // agent-1 alone may not act for alice there: it acts for agent-0 only.
    await assertDenied(both, await single());

    const anyone = await gatewayWith([{ actors: ['agent-1'], subjects: ['*'] }]);
    assert.equal((await apiGet(anyone, '/api/whoami', await single())).status, 200);
  });
});
