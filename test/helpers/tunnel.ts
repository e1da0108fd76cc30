import { createHash } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SessionRecord, Store } from '../../src/server/store/index.js';
import { spawnHoop, type RunningHoop } from './cli.js';
import type { TestGateway } from './gateway.js';

/** The environment `hoop` needs to reach a test gateway as `identity`. */
export function hoopEnv(gw: TestGateway, identity = 'agent-1'): NodeJS.ProcessEnv {
  return { HOOP_GATEWAY: gw.url, HOOP_TOKEN: gw.keys[identity] ?? '' };
}

export interface RunningConnect extends RunningHoop {
  /** The local port `hoop connect` listens on. */
  port: number;
}

/**
 * Starts `hoop connect NAME ...` (on `--port 0` unless `args` names one) and
 * waits until it says where it listens; `env` adds to what `hoopEnv` gives.
 */
export async function startConnect(
  gw: TestGateway,
  name: string,
  args: string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<RunningConnect> {
  const port = args.includes('--port') ? [] : ['--port', '0'];
  const hoop = spawnHoop(['connect', name, ...port, ...args], { ...hoopEnv(gw), ...env });
  try {
    const [, bound] = await hoop.waitFor(/^Forwarding \S+:(\d+) to /m);
    await hoop.waitFor(/^Connect with: /m);
    return Object.assign(hoop, { port: Number(bound) });
  } catch (error) {
    await hoop.stop('SIGKILL');
    throw error;
  }
}

/** Opens a TCP connection (half-open allowed, as psql and nc do), resolving once connected. */
export async function connectTcp(port: number, host = '127.0.0.1'): Promise<net.Socket> {
  const socket = net.connect({ port, host, allowHalfOpen: true });
  await once(socket, 'connect');
  return socket;
}

/** Everything a socket receives until its end, rejecting on an error. */
export function collect(socket: net.Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('end', () => resolve(Buffer.concat(chunks)));
    socket.once('error', reject);
    socket.once('close', () => reject(new Error('closed before the end of the stream')));
  });
}

/** Sends `data`, half-closes, and returns everything that came back. */
export async function exchange(port: number, data: Buffer | string): Promise<Buffer> {
  const socket = await connectTcp(port);
  const answer = collect(socket);
  socket.end(data);
  try {
    return await answer;
  } finally {
    socket.destroy();
  }
}

/** The SHA-256 of a stream of chunks, and its length, without keeping the chunks. */
export class Digest {
  private readonly hash = createHash('sha256');
  length = 0;

  update(chunk: Buffer): void {
    this.hash.update(chunk);
    this.length += chunk.length;
  }

  hex(): string {
    return this.hash.digest('hex');
  }
}

/**
 * Waits until `count` of a connection's sessions are recorded as ended (the
 * gateway writes the end after the tunnel has closed), newest first.
 */
export async function endedSessions(
  store: Store,
  connection: string,
  options: { count?: number; timeoutMs?: number } = {},
): Promise<SessionRecord[]> {
  const count = options.count ?? 1;
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  for (;;) {
    const sessions = await store.listSessions({ connection });
    const ended = sessions.filter((session) => session.endedAt !== undefined);
    if (ended.length >= count) return ended;
    if (Date.now() > deadline) {
      throw new Error(
        `expected ${count} ended sessions of ${connection}, have ${JSON.stringify(sessions)}`,
      );
    }
    await sleep(25);
  }
}

/** Polls `check` until it returns true, failing with `what` (computed then, if a function) after `timeoutMs`. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  what: string | (() => string),
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting until ${typeof what === 'function' ? what() : what}`);
    }
    await sleep(25);
  }
}
