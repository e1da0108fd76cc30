import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { onExit } from './cleanup.js';
import { freePort } from './ports.js';

export const SSHD_BIN = '/usr/sbin/sshd';

/** A real OpenSSH server on 127.0.0.1 for one test file, with its own host key and the gateway's login key. */
export interface TestSshd {
  port: number;
  /** The user the gateway logs in as: whoever runs the tests (sshd not run as root can log in only as itself). */
  user: string;
  /** The host's public key, as a connection's `hostKey` pins it. */
  hostKey: string;
  /** The private key (OpenSSH format) the gateway logs in with; its public half is authorized. */
  clientKeyFile: string;
  /** Another key type's public key of the same host's, for mismatch tests. */
  dir: string;
  stop(): Promise<void>;
}

function keygen(file: string, type: string): void {
  const result = spawnSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', file], {
    stdio: 'pipe',
  });
  if (result.status !== 0) throw new Error(`ssh-keygen failed: ${result.stderr.toString()}`);
}

/** Starts `sshd -D` with a fresh host key and an authorized key, and waits until it answers. */
export async function startSshd(): Promise<TestSshd> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hoop-sshd-'));
  const hostKeyFile = path.join(dir, 'ssh_host_ed25519_key');
  const clientKeyFile = path.join(dir, 'client_key');
  keygen(hostKeyFile, 'ed25519');
  keygen(clientKeyFile, 'ed25519');
  await writeFile(path.join(dir, 'authorized_keys'), await readFile(`${clientKeyFile}.pub`));
  // Privilege separation needs its directory when sshd starts as root.
  if (process.getuid?.() === 0 && !existsSync('/run/sshd'))
    mkdirSync('/run/sshd', { recursive: true });
  const port = await freePort();
  const config = [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${hostKeyFile}`,
    `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PubkeyAuthentication yes',
    'PermitRootLogin prohibit-password',
    'StrictModes no',
    'UsePAM no',
    'PidFile none',
    'LogLevel ERROR',
    'AllowTcpForwarding yes',
    'Subsystem sftp internal-sftp',
    'AcceptEnv LANG LC_*',
    // A home of its own: the test user's ~/.bashrc (which bash reads under sshd) stays out of it.
    `SetEnv HOME=${dir}`,
  ].join('\n');
  const configFile = path.join(dir, 'sshd_config');
  await writeFile(configFile, `${config}\n`);
  const child: ChildProcess = spawn(SSHD_BIN, ['-D', '-e', '-f', configFile], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const unregister = onExit(() => child.kill('SIGKILL'));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`sshd exited: ${stderr}`);
    if (await answers(port)) break;
    if (Date.now() > deadline) throw new Error(`sshd did not start: ${stderr}`);
    await sleep(50);
  }
  const hostKey = (await readFile(`${hostKeyFile}.pub`, 'utf8'))
    .trim()
    .split(/\s+/)
    .slice(0, 2)
    .join(' ');
  return {
    port,
    user: os.userInfo().username,
    hostKey,
    clientKeyFile,
    dir,
    async stop() {
      unregister();
      child.kill('SIGTERM');
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('data', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The YAML connection entry for a test gateway reaching `sshd` (`extra` lines added as written). */
export function sshConnection(sshd: TestSshd, name = 'bastion', extra: string[] = []): string {
  return [
    `  - name: ${name}`,
    '    type: ssh',
    '    host: 127.0.0.1',
    `    port: ${sshd.port}`,
    `    user: ${sshd.user}`,
    `    privateKey: "\${file:${sshd.clientKeyFile}}"`,
    `    hostKey: "${sshd.hostKey}"`,
    '    groups: [agents, engineering]',
    ...extra.map((line) => `    ${line}`),
  ].join('\n');
}
