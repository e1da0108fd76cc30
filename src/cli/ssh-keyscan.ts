import { createHash } from 'node:crypto';
import ssh2 from 'ssh2';
import { HoopError } from '../lib/errors.js';

/** The key types asked for, one connection each, in the order they are printed. */
const KEY_TYPES: ssh2.ServerHostKeyAlgorithm[] = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
];

/**
 * The host keys an SSH server presents, as `TYPE BASE64` lines for a
 * connection's `hostKey`. Nothing is trusted or stored here: an
 * administrator checks the key (against the host's console, its
 * `ssh-keygen -lf` fingerprint) and pastes it into `hoop.yaml`.
 *
 * @throws HoopError `HOOP_SSH_KEYSCAN_FAILED` when no key could be read.
 */
export async function scanHostKeys(
  host: string,
  port: number,
  timeoutMs = 10_000,
): Promise<{ key: string; fingerprint: string }[]> {
  const results = await Promise.all(KEY_TYPES.map((type) => scanOne(host, port, type, timeoutMs)));
  const keys = [...new Set(results.filter((key): key is string => key !== undefined))];
  if (keys.length === 0) {
    throw new HoopError(
      'HOOP_SSH_KEYSCAN_FAILED',
      `no SSH host key could be read from ${host}:${port}`,
      {
        hint: 'Check the host and port, and that an SSH server listens there.',
      },
    );
  }
  return keys.map((key) => ({ key, fingerprint: fingerprintOf(key) }));
}

function scanOne(
  host: string,
  port: number,
  type: ssh2.ServerHostKeyAlgorithm,
  timeoutMs: number,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    const client = new ssh2.Client();
    let key: string | undefined;
    const done = () => {
      client.end();
      resolve(key);
    };
    client.on('error', done);
    client.on('close', done);
    client.connect({
      host,
      port,
      username: 'hoop-keyscan',
      readyTimeout: timeoutMs,
      algorithms: { serverHostKey: [type] },
      hostVerifier: (blob: Buffer) => {
        const parsed = ssh2.utils.parseKey(blob);
        if (!(parsed instanceof Error) && !Array.isArray(parsed)) {
          key = `${parsed.type} ${blob.toString('base64')}`;
        }
        // Never log in: the key is all this asks for.
        return false;
      },
    });
  });
}

/** OpenSSH's SHA256 fingerprint of a `TYPE BASE64` key, as `ssh-keygen -lf` prints it. */
function fingerprintOf(key: string): string {
  const blob = Buffer.from(key.split(' ')[1] ?? '', 'base64');
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}
