// Tunnels opened with identity-provider tokens, end to end: `hoop connect` (the
// built CLI, run `npm run build` first) logged in as a person, or holding an
// agent's or a delegated token in HOOP_TOKEN, through a real gateway to an echo
// target. People's tunnels outlive their short-lived access tokens because the
// CLI hands refreshed ones over; a disabled person is cut off within the
// gateway's revocation window.
import assert from 'node:assert/strict';
import type net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { DevIdp } from '../../src/server/idp/index.js';
import { runHoop, spawnHoop } from '../helpers/cli.js';
import { startEchoServer, type TestServer } from '../helpers/echo-server.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import {
  agentToken,
  assertCliFailure,
  loginWithCli,
  oidcConfig,
  personEnv,
  startTestIdp,
  tempConfigDir,
} from '../helpers/identity.js';
import {
  connectTcp,
  endedSessions,
  eventually,
  exchange,
  type RunningConnect,
} from '../helpers/tunnel.js';

const TOKEN_TTL_S = 3;
const REVOCATION_WINDOW_S = 4;

/** `hoop connect NAME --port 0` with this environment, once it says where it listens. */
async function connect(name: string, env: NodeJS.ProcessEnv): Promise<RunningConnect> {
  const hoop = spawnHoop(['connect', name, '--port', '0'], env);
  try {
    const [, port] = await hoop.waitFor(/^Forwarding \S+:(\d+) to /m);
    await hoop.waitFor(/^Connect with: /m);
    return Object.assign(hoop, { port: Number(port) });
  } catch (error) {
    await hoop.stop('SIGKILL');
    throw error;
  }
}

/** Resolves when the tunnel's far end has hung up (our socket is half-open, so 'end' may come alone). */
function closed(socket: net.Socket): Promise<void> {
  socket.resume();
  return new Promise((resolve) => {
    socket.once('end', resolve);
    socket.once('close', resolve);
  });
}

/** Writes a line and reads it back through the tunnel. */
async function echoLine(socket: net.Socket, line: string): Promise<void> {
  const answer = new Promise<string>((resolve, reject) => {
    let received = '';
    const onData = (chunk: Buffer): void => {
      received += chunk.toString();
      if (received.endsWith('\n')) {
        socket.off('data', onData);
        socket.off('close', onClose);
        resolve(received);
      }
    };
    const onClose = (): void => reject(new Error(`the tunnel closed while waiting for ${line}`));
    socket.on('data', onData);
    socket.once('close', onClose);
  });
  socket.write(`${line}\n`);
  assert.equal(await answer, `${line}\n`);
}

describe('a person’s tunnel and the revocation window', { timeout: 120_000 }, () => {
  let idp: DevIdp;
  let echo: TestServer;
  let gw: TestGateway;
  let config: Awaited<ReturnType<typeof tempConfigDir>>;
  let hoop: RunningConnect | undefined;

  before(async () => {
    [idp, echo, config] = await Promise.all([
      startTestIdp({ accessTokenTtlSeconds: TOKEN_TTL_S }),
      startEchoServer(),
      tempConfigDir(),
    ]);
    gw = await startTestGateway({
      connections: `  - { name: echo, type: tcp, host: 127.0.0.1, port: ${echo.port}, groups: [engineering] }`,
      oidc: oidcConfig(idp, { revocationWindow: `${REVOCATION_WINDOW_S}s` }),
    });
  });

  after(async () => {
    await hoop?.stop('SIGKILL');
    await gw?.close();
    await Promise.all([idp?.close(), echo?.close(), config?.remove()]);
  });

  it('outlives several access tokens, then ends within the window once the user is disabled', async () => {
    const env = personEnv(gw, config.dir);
    const login = await loginWithCli(idp, env, 'alice');
    assert.equal(login.code, 0, login.stderr);
    const auth = (await (await fetch(`${gw.url}/api/auth/config`)).json()) as Record<
      string,
      unknown
    >;
    assert.equal(auth.revocationWindowSeconds, REVOCATION_WINDOW_S);

    hoop = await connect('echo', env);
    const socket = await connectTcp(hoop.port);
    socket.on('error', () => {});
    const opened = Date.now();
    // Well past three token lifetimes and two revocation windows: the gateway
    // would have ended the session after one window without refreshed tokens.
    let lines = 0;
    while (Date.now() - opened < 3 * TOKEN_TTL_S * 1000 + 1_000) {
      await echoLine(socket, `line ${(lines += 1)}`);
      await sleep(250);
    }
    assert.equal(gw.gateway.activeSessions, 1);
    // New connections through the same listener use the latest token too.
    assert.equal((await exchange(hoop.port, 'second connection')).toString(), 'second connection');

    idp.disableUser('alice');
    const disabled = Date.now();
    await closed(socket);
    const cutAfter = Date.now() - disabled;
    assert.ok(
      cutAfter <= REVOCATION_WINDOW_S * 1000 + 1_500,
      `cut ${cutAfter} ms after the user was disabled`,
    );

    const [session] = (await endedSessions(gw.gateway.store, 'echo', { count: 2 })).filter(
      (candidate) => candidate.closeReason !== 'client_closed',
    );
    assert.equal(session?.subject, 'alice');
    assert.equal(session?.authMethod, 'oidc');
    assert.equal(session?.closeReason, 'unauthorized');
    assert.match(session?.closeDetail ?? '', /no refreshed token arrived in time/);
    assert.ok(Number(session?.bytesUp) > lines * 6, 'everything sent was recorded');

    await eventually(
      () => /connection closed: the caller is no longer authorized/.test(hoop!.output().stderr),
      () => `hoop connect prints the reason; stderr: ${hoop!.output().stderr}`,
    );
    const { stderr } = hoop.output();
    assert.match(stderr, /no refreshed token arrived in time/);
    // Said once, with the advice, however often the refresh is retried meanwhile.
    const refreshFailures = stderr.match(
      /^Could not refresh your login: your login has expired or was revoked \(invalid_grant\)\nRun `hoop login` again\.$/gm,
    );
    assert.equal(refreshFailures?.length, 1, stderr);
    assert.equal(await hoop.stop(), 0);
  });
});

describe('agents and delegated tokens in HOOP_TOKEN', { timeout: 120_000 }, () => {
  let idp: DevIdp;
  let echo: TestServer;
  let gw: TestGateway;
  const running: RunningConnect[] = [];

  const env = (token: string): NodeJS.ProcessEnv => ({
    HOOP_GATEWAY: gw.url,
    HOOP_TOKEN: token,
    HOOP_TOKEN_STORE: 'file',
  });

  before(async () => {
    [idp, echo] = await Promise.all([startTestIdp(), startEchoServer()]);
    gw = await startTestGateway({
      connections: `  - { name: echo, type: tcp, host: 127.0.0.1, port: ${echo.port}, groups: [engineering, agents] }`,
      oidc: oidcConfig(idp),
      delegation: [{ actors: ['agent-1'], subjects: ['alice'] }],
    });
  });

  after(async () => {
    await Promise.all(running.map((hoop) => hoop.stop('SIGKILL')));
    await gw?.close();
    await Promise.all([idp?.close(), echo?.close()]);
  });

  it('an agent with its client-credentials token is its own identity, and tunnels as itself', async () => {
    const token = await agentToken(idp);
    const whoami = await runHoop(['whoami', '--json'], env(token));
    assert.equal(whoami.code, 0, whoami.stderr);
    const identity = JSON.parse(whoami.stdout) as Record<string, unknown>;
    assert.equal(identity.source, 'HOOP_TOKEN');
    assert.equal(identity.subject, 'agent-1');
    assert.equal(identity.name, 'agent-1');
    assert.equal(identity.kind, 'agent');
    assert.equal(identity.method, 'oidc');
    assert.deepEqual(identity.groups, ['agents']);
    assert.equal(identity.email, undefined);

    const text = await runHoop(['whoami'], env(token));
    assert.match(text.stdout, /^kind +agent \(oidc, from HOOP_TOKEN\)$/m);

    const hoop = await connect('echo', env(token));
    running.push(hoop);
    assert.equal((await exchange(hoop.port, 'from the agent')).toString(), 'from the agent');
    const [session] = await endedSessions(gw.gateway.store, 'echo');
    assert.equal(session?.subject, 'agent-1');
    assert.equal(session?.identityKind, 'agent');
    assert.equal(session?.authMethod, 'oidc');
    assert.deepEqual(session?.groups, ['agents']);
    assert.equal(session?.actors, undefined);
    assert.equal(session?.closeReason, 'client_closed');
  });

  it('a delegated token records the whole actor chain on the session', async () => {
    const token = await idp.signToken({
      sub: 'alice',
      email: 'alice@example.com',
      groups: ['engineering'],
      act: { sub: 'agent-1' },
    });
    const hoop = await connect('echo', env(token));
    running.push(hoop);
    assert.equal((await exchange(hoop.port, 'on behalf')).toString(), 'on behalf');
    const session = (await endedSessions(gw.gateway.store, 'echo', { count: 2 })).find(
      (candidate) => candidate.subject === 'alice',
    );
    assert.ok(session);
    assert.deepEqual(session.actors, ['agent-1']);
    assert.equal(session.identityKind, 'agent');
    assert.deepEqual(session.groups, ['engineering']);
    assert.ok(session.tokenId, 'the token’s jti is recorded');

    // A chain this gateway does not allow fails before anything listens: exit 3.
    const nested = await idp.signToken({
      sub: 'alice',
      groups: ['engineering'],
      act: { sub: 'agent-1', act: { sub: 'agent-0' } },
    });
    assertCliFailure(
      await runHoop(['connect', 'echo', '--port', '0'], env(nested)),
      3,
      /this actor may not act for this subject/,
      /Ask an administrator/,
    );
  });
});
