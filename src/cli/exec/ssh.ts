import ssh2 from 'ssh2';
import { HoopError } from '../../lib/errors.js';
import type { WebSocketStream } from '../../tunnel/index.js';

export interface SshExecOptions {
  /** The tunnel to the gateway, already open. */
  stream: WebSocketStream;
  /** The gateway's SSH host key (`ssh-ed25519 AAAA…`) as the API gave it: anything else is refused. */
  hostKey: string;
  user: string;
  command: string;
  stdout: (chunk: Buffer) => void;
  stderr: (chunk: Buffer) => void;
}

/**
 * Runs one command line through the gateway's SSH server over the tunnel,
 * as `ssh USER@… COMMAND` does: no key of its own (the tunnel authenticated
 * the caller), the gateway's host key checked. Resolves with the exit
 * status the gateway gave (the command's own, or 3 refused, 4 waiting for
 * a review) or, for a command ended by a signal, 128 + its number as a
 * shell reports it.
 */
export function execOverSsh(options: SshExecOptions): Promise<number> {
  const pinned = Buffer.from(options.hostKey.split(/\s+/)[1] ?? '', 'base64');
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    let mismatch = false;
    client.once('error', (error: Error) =>
      reject(
        mismatch
          ? new HoopError(
              'HOOP_SSH_HOST_KEY_MISMATCH',
              "the gateway's SSH host key is not the one its API gave",
            )
          : new HoopError(
              'HOOP_GATEWAY_UNREACHABLE',
              `SSH through the gateway failed: ${error.message}`,
              { cause: error },
            ),
      ),
    );
    client.once('ready', () => {
      client.exec(options.command, (error, channel) => {
        if (error) {
          client.end();
          reject(
            new HoopError(
              'HOOP_GATEWAY_UNREACHABLE',
              `the gateway refused the channel: ${error.message}`,
            ),
          );
          return;
        }
        let status = 1;
        channel.on('data', options.stdout);
        channel.stderr.on('data', options.stderr);
        channel.on('exit', (code: number | null, signal?: string) => {
          status = code ?? 128 + (signal ? (SIGNALS[signal] ?? 0) : 0);
        });
        channel.once('close', () => {
          client.end();
          resolve(status);
        });
        channel.end();
      });
    });
    client.connect({
      sock: options.stream,
      username: options.user,
      hostVerifier: (key: Buffer) => {
        mismatch = !key.equals(pinned);
        return !mismatch;
      },
    });
  });
}

const SIGNALS: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGKILL: 9,
  SIGTERM: 15,
  SIGPIPE: 13,
};
