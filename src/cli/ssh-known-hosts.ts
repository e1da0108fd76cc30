import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** The file where the CLI keeps the gateway's SSH host key, for `ssh -o UserKnownHostsFile=…`. */
export function knownHostsFile(configDir: string): string {
  return path.join(configDir, 'known_hosts');
}

/** OpenSSH's host pattern for a host and port (`[127.0.0.1]:2222`; a bare host on port 22). */
export function hostPattern(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/**
 * Records `key` as the key of `host:port` in the CLI's own `known_hosts`,
 * replacing what the file said of that host before: the key was learnt
 * over the authenticated tunnel from the gateway itself, so it is the one
 * `ssh` must see on the local listener, and host-key checking stays on.
 */
export async function rememberHostKey(
  file: string,
  host: string,
  port: number,
  key: string,
): Promise<void> {
  const pattern = hostPattern(host, port);
  let lines: string[] = [];
  try {
    lines = (await readFile(file, 'utf8')).split('\n').filter((line) => line.trim() !== '');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const kept = lines.filter((line) => line.split(/\s+/)[0] !== pattern);
  kept.push(`${pattern} ${key}`);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, `${kept.join('\n')}\n`, { mode: 0o600 });
}

/** A `Host` block for `~/.ssh/config`, so that plain `ssh NAME` goes through the local listener. */
export function sshConfigBlock(options: {
  name: string;
  host: string;
  port: number;
  user: string | undefined;
  knownHosts: string;
}): string {
  return [
    `Host ${options.name}`,
    `  HostName ${options.host}`,
    `  Port ${options.port}`,
    ...(options.user ? [`  User ${options.user}`] : []),
    `  UserKnownHostsFile ${options.knownHosts}`,
    '  StrictHostKeyChecking yes',
    '',
  ].join('\n');
}
