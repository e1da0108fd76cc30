import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import ssh2 from 'ssh2';
import { dial, startLocalListener, type LocalListener } from '../../src/tunnel/index.js';
import { startTestGateway, type TestGateway, type TestKey } from './gateway.js';
import { sshConnection, startSshd, type TestSshd } from './sshd.js';

/** A real sshd behind a gateway on port 0, with a local listener per identity, as `hoop connect` opens. */
export interface SshEnv {
  sshd: TestSshd;
  gw: TestGateway;
  /** `known_hosts` holding the gateway's key for every listener. */
  knownHosts: string;
  /** The local listener's port for an identity (`agent-1` by default), opened on first use. */
  port(identity?: string, connection?: string): Promise<number>;
  close(): Promise<void>;
}

export async function startSshEnv(options: {
  policy: unknown[];
  keys?: TestKey[];
  /** More connection entries (YAML) besides `bastion`. */
  connections?: string[];
  reviews?: string;
  /** YAML lines of an `ssh:` section. */
  ssh?: string;
}): Promise<SshEnv> {
  const sshd = await startSshd();
  const gw = await startTestGateway({
    connections: [sshConnection(sshd), ...(options.connections ?? [])].join('\n'),
    policy: options.policy,
    ...(options.keys ? { keys: options.keys } : {}),
    ...(options.reviews || options.ssh
      ? { reviews: [options.reviews ?? '', options.ssh ?? ''].join('\n') }
      : {}),
  });
  const info = (await (
    await fetch(`${gw.url}/api/connections/bastion`, {
      headers: { authorization: `Bearer ${Object.values(gw.keys)[0] ?? ''}` },
    })
  ).json()) as { sshHostKey: string };
  const knownHosts = path.join(gw.dir, 'known_hosts');
  const listeners = new Map<string, Promise<LocalListener>>();
  const lines: string[] = [];
  return {
    sshd,
    gw,
    knownHosts,
    async port(identity = 'agent-1', connection = 'bastion') {
      const key = `${identity}/${connection}`;
      let listener = listeners.get(key);
      if (!listener) {
        listener = startLocalListener({
          host: '127.0.0.1',
          port: 0,
          dial: () =>
            dial({
              url: `${gw.url.replace(/^http/, 'ws')}/api/tunnel/${connection}`,
              token: gw.keys[identity] ?? '',
            }),
        });
        listeners.set(key, listener);
        const port = (await listener).address.port;
        lines.push(`[127.0.0.1]:${port} ${info.sshHostKey}`);
        await writeFile(knownHosts, `${lines.join('\n')}\n`);
      }
      return (await listener).address.port;
    },
    async close() {
      for (const listener of listeners.values()) await (await listener).close();
      await gw.close();
      await sshd.stop();
    },
  };
}

export interface SshResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real OpenSSH client (or scp, sftp) with host-key checking on, never blocking the event loop. */
export function runOpenSsh(
  program: 'ssh' | 'scp' | 'sftp',
  args: string[],
  options: { input?: string; timeoutMs?: number } = {},
): Promise<SshResult> {
  return new Promise((resolve) => {
    const child = execFile(
      program,
      args,
      { encoding: 'utf8', timeout: options.timeoutMs ?? 20_000 },
      (_error, stdout, stderr) => resolve({ code: child.exitCode, stdout, stderr }),
    );
    child.stdin?.end(options.input ?? '');
  });
}

/** `ssh -p PORT -o UserKnownHostsFile=… USER@127.0.0.1 COMMAND` as `hoop connect` prints it, batch mode. */
export async function ssh(
  env: SshEnv,
  command: string,
  identity = 'agent-1',
  extra: string[] = [],
) {
  return runOpenSsh('ssh', [
    ...sshOptions(env, await env.port(identity)),
    ...extra,
    `${env.sshd.user}@127.0.0.1`,
    command,
  ]);
}

export function sshOptions(env: SshEnv, port: number, portFlag = '-p'): string[] {
  return [
    portFlag,
    String(port),
    '-o',
    `UserKnownHostsFile=${env.knownHosts}`,
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    'LogLevel=ERROR',
  ];
}

/** An ssh2 client through the identity's listener, host key checked against the gateway's. */
export async function ssh2Client(env: SshEnv, identity = 'agent-1'): Promise<ssh2.Client> {
  const port = await env.port(identity);
  const client = new ssh2.Client();
  await new Promise<void>((resolve, reject) => {
    client.once('ready', () => resolve());
    client.once('error', reject);
    client.connect({ host: '127.0.0.1', port, username: env.sshd.user });
  });
  return client;
}

/** Runs `command` on an ssh2 client; resolves with its output and exit status. */
export function ssh2Exec(
  client: ssh2.Client,
  command: string,
  options: ssh2.ExecOptions = {},
): Promise<SshResult> {
  return new Promise((resolve, reject) => {
    client.exec(command, options, (error, channel) => {
      if (error) return reject(error);
      let stdout = '';
      let stderr = '';
      let code: number | null = null;
      channel.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      channel.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      channel.on('exit', (status: number | null) => (code = status));
      channel.once('close', () => resolve({ code, stdout, stderr }));
      channel.end();
    });
  });
}
