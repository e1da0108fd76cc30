import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as oidc from 'openid-client';
import { pino } from 'pino';
import {
  discover,
  startDeviceAuthorization,
  waitForDeviceAuthorization,
  type AuthConfig,
} from '../../src/cli/oidc-client.js';
import type { StoredLogin } from '../../src/cli/token-store.js';
import { startDevIdp, type DevIdp, type DevIdpOptions } from '../../src/server/idp/index.js';
import type { Logger } from '../../src/server/logger.js';
import { spawnHoop, type CliResult, type RunningHoop } from './cli.js';
import { cancelDeviceLogin, completeDeviceLogin } from './device-login.js';
import type { TestGateway, TestOidc } from './gateway.js';

/**
 * What the identity tests share: a quiet development IdP, `auth.oidc` for
 * it, the gateway's logs captured, and `hoop login` run as a child process
 * with the device flow completed by driving the IdP's pages.
 */

/** A development IdP for tests: fast device polling, its warning kept rather than printed. */
export async function startTestIdp(
  options: DevIdpOptions = {},
): Promise<DevIdp & { warnings: string[] }> {
  const warnings: string[] = [];
  const idp = await startDevIdp({
    pollIntervalSeconds: 0.1,
    warn: (message) => warnings.push(message),
    ...options,
  });
  return Object.assign(idp, { warnings });
}

/** `auth.oidc` naming this IdP, as an administrator would write it. */
export function oidcConfig(idp: DevIdp, extra: Partial<TestOidc> = {}): TestOidc {
  return { issuer: idp.issuer, clientId: idp.cliClientId, audience: idp.audience, ...extra };
}

/** A pino logger at `debug` whose JSON lines are kept in `lines`, to check what the gateway logs. */
export function captureLogs(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
  return { logger, lines };
}

/** A fresh HOOP_CONFIG_DIR; `credentials.json` in it is where the file token store keeps logins. */
export async function tempConfigDir(): Promise<{
  dir: string;
  credentials: string;
  remove(): Promise<void>;
}> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hoop-cli-'));
  return {
    dir,
    credentials: path.join(dir, 'credentials.json'),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * The environment of a person's `hoop` commands: their own config dir, the
 * file token store, no HOOP_TOKEN, and no desktop (no browser is opened).
 */
export function personEnv(gw: TestGateway, configDir: string): NodeJS.ProcessEnv {
  return {
    HOOP_GATEWAY: gw.url,
    HOOP_CONFIG_DIR: configDir,
    HOOP_TOKEN_STORE: 'file',
    HOOP_TOKEN: '',
    DISPLAY: '',
    WAYLAND_DISPLAY: '',
  };
}

/** The login `hoop login` stored for the gateway, read from the credentials file. */
export async function storedLogin(credentials: string, gateway: string): Promise<StoredLogin> {
  const all = JSON.parse(await readFile(credentials, 'utf8')) as Record<string, StoredLogin>;
  const login = all[gateway];
  assert.ok(login, `no login stored for ${gateway} in ${credentials}`);
  return login;
}

export interface CliLogin extends CliResult {
  /** The verification URL and user code `hoop login` printed. */
  url: string;
  userCode: string;
}

/**
 * Runs `hoop login --no-browser` as a child process, reads the verification
 * URL and user code from what it prints, and then either signs in as
 * `username` on the IdP's pages or presses Cancel (`action: 'cancel'`).
 * Resolves with the command's exit code and output once it has exited.
 */
export async function loginWithCli(
  idp: DevIdp,
  env: NodeJS.ProcessEnv,
  username: string,
  action: 'sign-in' | 'cancel' = 'sign-in',
  args: string[] = [],
): Promise<CliLogin> {
  const hoop = spawnHoop(['login', '--no-browser', ...args], env);
  const closed = exitOf(hoop);
  try {
    const [, url = '', userCode = ''] = await waitForStderr(
      hoop,
      /open (\S+)\nand confirm the code: (\S+)\n/,
    );
    assert.equal(new URL(url).origin, idp.issuer, 'the URL is the IdP’s verification page');
    assert.equal(new URL(url).searchParams.get('user_code'), userCode);
    if (action === 'cancel') {
      await cancelDeviceLogin(url);
    } else {
      const user = idp.users.find((candidate) => candidate.username === username);
      assert.ok(user, `no demo user ${username}`);
      await completeDeviceLogin(url, username, user.password);
    }
    return { ...(await closed), url, userCode };
  } catch (error) {
    await hoop.stop('SIGKILL');
    throw error;
  }
}

/** Resolves with the first match of `pattern` in the command's stderr. */
export async function waitForStderr(
  hoop: RunningHoop,
  pattern: RegExp,
  timeoutMs = 15_000,
): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { stdout, stderr } = hoop.output();
    const match = stderr.match(pattern);
    if (match) return match;
    if (hoop.child.exitCode !== null || hoop.child.signalCode !== null || Date.now() > deadline) {
      throw new Error(
        `no ${pattern} on stderr (exit ${hoop.child.exitCode}); stdout: ${stdout}; stderr: ${stderr}`,
      );
    }
    await sleep(20);
  }
}

/** The exit code and everything printed, once the process has exited and its pipes are drained. */
function exitOf(hoop: RunningHoop): Promise<CliResult> {
  return once(hoop.child, 'close').then(([code]) => ({
    code: code as number | null,
    ...hoop.output(),
  }));
}

/**
 * A person's login as `hoop login` stores it, obtained in-process with the
 * CLI's own device-flow code (no gateway involved): for tests of the token
 * store, refresh and the refresher.
 */
export async function deviceLogin(
  idp: DevIdp,
  username: string,
  gateway = 'http://gateway.test',
): Promise<StoredLogin> {
  const user = idp.users.find((candidate) => candidate.username === username);
  assert.ok(user, `no demo user ${username}`);
  const auth: AuthConfig = {
    issuer: idp.issuer,
    clientId: idp.cliClientId,
    audience: idp.audience,
    scopes: ['openid', 'profile', 'email', 'offline_access'],
  };
  const config = await discover(auth);
  const device = await startDeviceAuthorization(config, auth);
  const polling = waitForDeviceAuthorization(config, device, auth);
  try {
    await completeDeviceLogin(device.verification_uri_complete ?? '', username, user.password);
  } catch (error) {
    polling.catch(() => {});
    throw error;
  }
  return {
    gateway,
    issuer: auth.issuer,
    clientId: auth.clientId,
    audience: idp.audience,
    ...(await polling),
  };
}

/** An agent's access token from the client-credentials grant, as an agent would get one. */
export async function agentToken(idp: DevIdp, clientId = 'agent-1'): Promise<string> {
  const agent = idp.agents.find((candidate) => candidate.clientId === clientId);
  assert.ok(agent, `no agent ${clientId}`);
  const config = await oidc.discovery(
    new URL(idp.issuer),
    agent.clientId,
    undefined,
    oidc.ClientSecretBasic(agent.clientSecret),
    { execute: [oidc.allowInsecureRequests] },
  );
  return (await oidc.clientCredentialsGrant(config)).access_token;
}

/** `GET path` on the gateway with a bearer token: the status, the JSON body and the challenge. */
export async function apiGet(
  gw: TestGateway,
  path: string,
  token: string,
): Promise<{ status: number; body: Record<string, unknown>; challenge: string | null }> {
  const response = await fetch(`${gw.url}${path}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
    challenge: response.headers.get('www-authenticate'),
  };
}

/**
 * A failure as DESIGN.md wants it: the exit code, nothing on stdout, and on
 * stderr `Error: …` then exactly one line of advice.
 */
export function assertCliFailure(
  result: CliResult,
  exit: number,
  message: RegExp,
  advice: RegExp,
): void {
  const context = JSON.stringify(result);
  assert.equal(result.code, exit, context);
  assert.equal(result.stdout, '', context);
  const lines = result.stderr.trimEnd().split('\n');
  assert.ok(lines.length >= 2, context);
  const [error = '', adviceLine = ''] = lines.slice(-2);
  assert.match(error, /^Error: /, context);
  assert.match(error, message, context);
  assert.match(adviceLine, advice, context);
}
