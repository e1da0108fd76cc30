import { spawn } from 'node:child_process';
import path from 'node:path';
import { HOOP_BIN } from '../../helpers/cli.js';
import { startTestGateway, type TestGateway, type TestOidc } from '../../helpers/gateway.js';
import { dial, startLocalListener, type LocalListener } from '../../../src/tunnel/index.js';
import { startRecordingRelay, type Recording, type RecordingRelay } from './recording-relay.js';
import type { AdversarialTarget } from './target.js';

/** API keys of the adversarial gateway: two agents (the attackers) and an approver. */
export const IDENTITIES = [
  { name: 'agent-1', groups: ['agents'] },
  { name: 'agent-2', groups: ['agents'] },
  { name: 'dba-1', groups: ['dba'] },
];

export interface AdversarialGateway {
  gw: TestGateway;
  /**
   * A local port for `identity` on `connection` (`pg`: the powerful
   * non-superuser role; `pg-super`: the superuser role), behind a recording
   * relay. Ports are made once per pair and reused.
   */
  port(identity?: string, connection?: string): Promise<number>;
  /** A local port tunnelled with any bearer token (an OIDC access token …), behind a recording relay. */
  portForToken(token: string, connection?: string): Promise<number>;
  /** Marks the recordings of every relay; see `receivedSince`. */
  mark(): number;
  /** Every byte clients received on connections opened since `mark`. */
  receivedSince(mark: number): Buffer;
  /** The JSON API as `identity`. */
  api(identity: string, method: string, path: string, body?: unknown): Promise<ApiAnswer>;
  /**
   * Rejects the review a hold notice names (as `dba-1`), so the held
   * statement ends with its refusal at once; returns the review ID.
   */
  rejectHeld(noticeText: string): Promise<string | undefined>;
  /** Runs the built `hoop exec` as `identity` (an API key name, or a bearer token); stdout and stderr as bytes. */
  exec(args: string[], identity?: string, input?: string): Promise<ExecResult>;
  close(): Promise<void>;
}

export interface ApiAnswer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON read field by field
  json: any;
}

export interface ExecResult {
  code: number | null;
  stdout: Buffer;
  stderr: Buffer;
}

/**
 * Starts the real gateway (in this process, SQLite store in a temp dir)
 * with the connections `pg` and `pg-super` to the adversarial target and
 * the given policy rules.
 */
export async function startAdversarialGateway(
  target: AdversarialTarget,
  policy: unknown[],
  options: { oidc?: TestOidc; extraKeys?: { name: string; groups: string[] }[] } = {},
): Promise<AdversarialGateway> {
  const { pg } = target;
  const connection = (name: string, user: string, secret: string): string =>
    `  - { name: ${name}, type: postgres, host: 127.0.0.1, port: ${pg.port}, database: ${pg.database}, user: ${user}, password: "\${env:${secret}}", groups: [agents, dba, support] }`;
  const gw = await startTestGateway({
    connections: [
      connection('pg', target.app.user, 'APP_PASSWORD'),
      connection('pg-super', target.superuser.user, 'SUPER_PASSWORD'),
    ].join('\n'),
    keys: [...IDENTITIES, ...(options.extraKeys ?? [])],
    env: { APP_PASSWORD: target.app.password, SUPER_PASSWORD: target.superuser.password },
    policy,
    ...(options.oidc ? { oidc: options.oidc } : {}),
  });
  const recordings: Recording[] = [];
  const ports = new Map<string, Promise<number>>();
  const listeners: LocalListener[] = [];
  const relays: RecordingRelay[] = [];

  const open = async (identity: string, name: string): Promise<number> => {
    const token = gw.keys[identity];
    if (token === undefined) throw new Error(`no API key for ${identity}`);
    return openWith(token, name);
  };
  const openWith = async (token: string, name: string): Promise<number> => {
    const listener = await startLocalListener({
      host: '127.0.0.1',
      port: 0,
      dial: () => dial({ url: `${gw.url.replace(/^http/, 'ws')}/api/tunnel/${name}`, token }),
    });
    listeners.push(listener);
    const relay = await startRecordingRelay(listener.address.port, recordings);
    relays.push(relay);
    return relay.port;
  };

  const api = async (
    identity: string,
    method: string,
    route: string,
    body?: unknown,
  ): Promise<ApiAnswer> => {
    const response = await fetch(`${gw.url}${route}`, {
      method,
      headers: {
        authorization: `Bearer ${gw.keys[identity]}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, json: await response.json().catch(() => undefined) };
  };

  return {
    gw,
    port(identity = 'agent-1', name = 'pg') {
      const key = `${identity}\u0000${name}`;
      let port = ports.get(key);
      if (!port) {
        port = open(identity, name);
        ports.set(key, port);
      }
      return port;
    },
    portForToken: (token, name = 'pg') => openWith(token, name),
    mark: () => recordings.length,
    receivedSince: (mark) =>
      Buffer.concat(recordings.slice(mark).flatMap((recording) => recording.received)),
    api,
    async rejectHeld(noticeText) {
      const id = /\b(rev_[a-z0-9]+)\b/.exec(noticeText)?.[1];
      if (id === undefined) return undefined;
      await api('dba-1', 'POST', `/api/reviews/${id}/reject`, {
        reason: 'adversarial test: held statements are rejected',
      });
      return id;
    },
    exec(args, identity = 'agent-1', input) {
      // An identity without an API key here is taken to be a bearer token itself.
      const token = gw.keys[identity] ?? identity;
      const dir = gw.keys[identity] === undefined ? 'cli-token' : `cli-${identity}`;
      return runExec(
        args,
        {
          HOOP_GATEWAY: gw.url,
          HOOP_TOKEN: token,
          HOOP_CONFIG_DIR: path.join(gw.dir, dir),
          HOOP_TOKEN_STORE: 'file',
        },
        input,
      );
    },
    async close() {
      for (const relay of relays) await relay.close();
      for (const listener of listeners) await listener.close();
      await gw.close();
    },
  };
}

/** The built CLI (`npm run build` first) as a child process; output kept as bytes. */
export function runExec(
  args: string[],
  env: NodeJS.ProcessEnv,
  input?: string,
): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HOOP_BIN, 'exec', ...args], {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr) }),
    );
    child.stdin.end(input ?? '');
  });
}
