import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ssh2 from 'ssh2';
import { HoopError } from '../../../lib/errors.js';

/** The file the gateway keeps its SSH host key in, in its state directory (next to the store). */
export const HOST_KEY_FILE = 'ssh_host_ed25519_key';

/** The gateway's own SSH host key: what it proves itself with to SSH clients. */
export interface GatewayHostKey {
  /** The private key as OpenSSH or PEM text. */
  privateKey: string;
  /** The public key as a `known_hosts`/`authorized_keys` line body: `ssh-ed25519 AAAA…`. */
  publicKey: string;
}

/**
 * The configured key (`ssh.hostPrivateKey`), else the one in `dir`
 * (generated at first start, mode 0600, never overwritten), else, with no
 * state directory (`sqlite::memory:`), one for this process only.
 *
 * @throws HoopError `HOOP_SSH_HOST_KEY_INVALID` for a key that does not parse.
 */
export function loadGatewayHostKey(
  configured: string | undefined,
  dir: string | undefined,
): GatewayHostKey {
  if (configured !== undefined) return hostKeyOf(configured, 'ssh.hostPrivateKey');
  if (dir === undefined) return hostKeyOf(generate(), 'an ephemeral key');
  const file = path.join(dir, HOST_KEY_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new HoopError('HOOP_SSH_HOST_KEY_INVALID', `cannot read the SSH host key ${file}`, {
        cause: error,
      });
    }
    mkdirSync(dir, { recursive: true });
    text = generate();
    // 'wx': never overwrite a key another process created meanwhile.
    try {
      writeFileSync(file, text, { mode: 0o600, flag: 'wx' });
      chmodSync(file, 0o600);
    } catch (raced) {
      if ((raced as NodeJS.ErrnoException).code !== 'EEXIST') throw raced;
      text = readFileSync(file, 'utf8');
    }
  }
  return hostKeyOf(text, file);
}

function generate(): string {
  return ssh2.utils.generateKeyPairSync('ed25519').private;
}

function hostKeyOf(text: string, source: string): GatewayHostKey {
  const parsed = ssh2.utils.parseKey(text);
  if (parsed instanceof Error || Array.isArray(parsed) || !parsed.isPrivateKey()) {
    throw new HoopError('HOOP_SSH_HOST_KEY_INVALID', `${source} is not an SSH private key`, {
      hint: 'Generate one with: ssh-keygen -t ed25519 -N "" -f ssh_host_ed25519_key',
    });
  }
  return { privateKey: text, publicKey: publicLine(parsed) };
}

/** `type base64` of a parsed key's public part, as `known_hosts` and `hostKey:` write it. */
export function publicLine(key: { type: string; getPublicSSH(): Buffer }): string {
  return `${key.type} ${key.getPublicSSH().toString('base64')}`;
}
