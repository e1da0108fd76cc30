import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { onExit, spawnNode, type NodeProcess } from './children.js';
import type { PgEndpoint } from './pg-clients.js';

const PLAIN_RELAY = fileURLToPath(new URL('./plain-relay.ts', import.meta.url));

/**
 * One-hop references for the PostgreSQL figures: what a single proxy
 * process costs on this machine, measured in the same run as hoop's two
 * hops. A plain Node TCP relay (`socket.pipe()` each way), and pgbouncer
 * in session mode when it is installed.
 */
export interface PgReference {
  label: string;
  endpoint: PgEndpoint;
  close(): Promise<void>;
}

/** A one-hop Node TCP relay in front of `target` (the lower bound for any Node hop). */
export async function startNodeRelay(target: PgEndpoint): Promise<PgReference> {
  const relay: NodeProcess = spawnNode('one-hop node relay', [
    '--import',
    'tsx',
    PLAIN_RELAY,
    String(target.port),
  ]);
  const match = await relay.waitFor(/listening on (\d+)/);
  return {
    label: 'node relay',
    endpoint: { ...target, port: Number(match[1]) },
    close: () => relay.stop(),
  };
}

/**
 * pgbouncer (session pooling, SCRAM with the target's password in its
 * userlist) in front of `target`, or undefined when it is not installed.
 * pgbouncer refuses to run as root, so it runs as `postgres` there.
 */
export async function startPgbouncer(
  target: PgEndpoint,
  dir: string,
): Promise<PgReference | undefined> {
  const binary = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer'].find(isFile);
  if (!binary) return undefined;
  const home = path.join(dir, 'pgbouncer');
  mkdirSync(home, { recursive: true });
  chmodSync(dir, 0o755);
  chmodSync(home, 0o777);
  const port = await freePort();
  const ini = path.join(home, 'pgbouncer.ini');
  const users = path.join(home, 'userlist.txt');
  writeFileSync(users, `"${target.user}" "${target.password}"\n`, { mode: 0o644 });
  writeFileSync(
    ini,
    [
      '[databases]',
      `${target.database} = host=127.0.0.1 port=${target.port} dbname=${target.database}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      `unix_socket_dir = ${home}`,
      'auth_type = scram-sha-256',
      `auth_file = ${users}`,
      'pool_mode = session',
      'max_client_conn = 200',
      'default_pool_size = 50',
      `logfile = ${path.join(home, 'pgbouncer.log')}`,
      `pidfile = ${path.join(home, 'pgbouncer.pid')}`,
      '',
    ].join('\n'),
    { mode: 0o644 },
  );
  const asRoot = process.getuid?.() === 0;
  const child = spawn(binary, [...(asRoot ? ['-u', 'postgres'] : []), ini], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  onExit(() => child.kill('SIGKILL'));
  for (let i = 0; i < 50; i++) {
    if (child.exitCode !== null) throw new Error(`pgbouncer exited: ${stderr}`);
    if (await canConnect(port)) {
      return {
        label: 'pgbouncer',
        endpoint: { ...target, port },
        close: async () => {
          child.kill('SIGTERM');
          await sleep(100);
        },
      };
    }
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error(`pgbouncer did not listen on ${port}: ${stderr}`);
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
