import net from 'node:net';
import type { ConnectionConfig } from '../config/index.js';
import {
  TargetDialError,
  type DialOptions,
  type TargetConnector,
  type TargetCredentials,
  type TargetInfo,
} from './connector.js';

const DEFAULT_TIMEOUT_MS = 15_000;

/**
 * The connector that dials targets from the gateway's own host, with the
 * credentials the gateway's config holds (resolved from `${env:…}` and
 * `${file:…}` at load).
 */
export class LocalConnector implements TargetConnector {
  private secrets!: Map<string, TargetCredentials>;

  constructor(connections: readonly ConnectionConfig[]) {
    this.replace(connections);
  }

  /** The credentials of a reloaded config, for logins from now on. */
  replace(connections: readonly ConnectionConfig[]): void {
    this.secrets = new Map(
      connections.map((connection) => [
        connection.name.toLowerCase(),
        {
          ...(connection.password === undefined ? {} : { password: connection.password }),
          ...(connection.privateKey === undefined ? {} : { privateKey: connection.privateKey }),
        },
      ]),
    );
  }

  dial(target: TargetInfo, options: DialOptions = {}): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({
        host: target.host,
        port: target.port,
        noDelay: true,
        allowHalfOpen: options.halfOpen ?? false,
      });
      socket.setTimeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS, () =>
        socket.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })),
      );
      socket.once('connect', () => {
        socket.setTimeout(0);
        socket.removeAllListeners('error');
        resolve(socket);
      });
      socket.once('error', (error: NodeJS.ErrnoException) =>
        reject(new TargetDialError(target, error.code ?? error.message, error.message)),
      );
    });
  }

  async login<T>(
    target: TargetInfo,
    login: (socket: net.Socket, credentials: TargetCredentials) => Promise<T>,
    options?: DialOptions,
  ): Promise<T> {
    const socket = await this.dial(target, options);
    try {
      return await login(socket, this.secrets.get(target.name.toLowerCase()) ?? {});
    } catch (error) {
      socket.destroy();
      throw error;
    }
  }
}

/** What a protocol may know of a configured connection: everything but its secrets. */
export function targetInfo(connection: ConnectionConfig): TargetInfo {
  return {
    name: connection.name,
    type: connection.type,
    host: connection.host,
    port: connection.port,
    ...(connection.database === undefined ? {} : { database: connection.database }),
    ...(connection.user === undefined ? {} : { user: connection.user }),
    ...(connection.tls ? { tls: true } : {}),
    ...(connection.hostKey === undefined ? {} : { hostKey: connection.hostKey }),
  };
}
