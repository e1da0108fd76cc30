import type net from 'node:net';
import ssh2 from 'ssh2';
import { HoopError } from '../../../lib/errors.js';
import type { TargetConnector, TargetCredentials, TargetInfo } from '../../targets/connector.js';

/** The host key algorithms that can present a pinned key of each type. */
const ALGORITHMS_FOR: Record<string, ssh2.ServerHostKeyAlgorithm[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
  'rsa-sha2-256': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
  'rsa-sha2-512': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
};

/** A pinned `hostKey` as its type and its public key blob. */
export function parsePinnedKey(line: string): { type: string; blob: Buffer } {
  const [type = '', base64 = ''] = line.trim().split(/\s+/);
  return { type, blob: Buffer.from(base64, 'base64') };
}

/**
 * Logs in to an SSH target through the connector, as the connection's
 * user with its key or password, accepting only the pinned host key: any
 * other key ends the attempt with `HOOP_SSH_HOST_KEY_MISMATCH` before a
 * credential is sent (the host key is checked in the key exchange, RFC 4253
 * §8, before user authentication starts).
 */
export function openTarget(
  connector: TargetConnector,
  target: TargetInfo,
  options: { readyTimeoutMs: number },
): Promise<ssh2.Client> {
  return connector.login(target, (socket, credentials) =>
    login(socket, target, credentials, options),
  );
}

function login(
  socket: net.Socket,
  target: TargetInfo,
  credentials: TargetCredentials,
  options: { readyTimeoutMs: number },
): Promise<ssh2.Client> {
  return new Promise((resolve, reject) => {
    if (target.hostKey === undefined) {
      reject(
        new HoopError('HOOP_SSH_HOST_KEY_MISMATCH', `connection ${target.name} pins no hostKey`),
      );
      return;
    }
    const pinned = parsePinnedKey(target.hostKey);
    let presented: string | undefined;
    const client = new ssh2.Client();
    const fail = (error: Error) => {
      client.removeAllListeners('ready');
      client.on('error', () => {});
      client.end();
      socket.destroy();
      if (presented !== undefined) {
        reject(
          new HoopError(
            'HOOP_SSH_HOST_KEY_MISMATCH',
            `the host key of ${target.name} (${target.host}:${target.port}) is not the one pinned in its hostKey: it presented ${presented}`,
            {
              hint: `If the host's key changed on purpose, print it with \`hoop ssh-keyscan ${target.host} --port ${target.port}\` and update hostKey.`,
            },
          ),
        );
        return;
      }
      const authFailed = /authentication methods failed/i.test(error.message);
      reject(
        authFailed
          ? new HoopError(
              'HOOP_SSH_TARGET_LOGIN_FAILED',
              `${target.name} refused the gateway's credentials for ${target.user ?? 'its user'}`,
              { cause: error },
            )
          : error,
      );
    };
    client.once('ready', () => {
      client.removeListener('error', fail);
      resolve(client);
    });
    client.once('error', fail);
    client.connect({
      sock: socket,
      username: target.user ?? '',
      ...(credentials.privateKey === undefined ? {} : { privateKey: credentials.privateKey }),
      ...(credentials.password === undefined ? {} : { password: credentials.password }),
      readyTimeout: options.readyTimeoutMs,
      algorithms: { serverHostKey: ALGORITHMS_FOR[pinned.type] ?? [] },
      hostVerifier: (key: Buffer) => {
        const parsed = ssh2.utils.parseKey(key);
        if (parsed instanceof Error || Array.isArray(parsed)) return false;
        if (key.equals(pinned.blob)) return true;
        presented = `${parsed.type} ${key.toString('base64')}`;
        return false;
      },
    });
  });
}
