import type net from 'node:net';
import type { ConnectionType } from '../../lib/connection-types.js';

/**
 * What a protocol may know of its connection's target: where it is and as
 * whom the gateway logs in, never the credentials (those stay with the
 * connector).
 */
export interface TargetInfo {
  /** The connection's name in the config. */
  name: string;
  type: ConnectionType;
  host: string;
  port: number;
  database?: string;
  user?: string;
  /** The connection requires TLS to the target (how is the protocol's: PostgreSQL's SSLRequest …). */
  tls?: boolean;
  /** SSH: the target's pinned host key (`ssh-ed25519 AAAA…`), public. */
  hostKey?: string;
}

/** The secrets a login needs, as the connection holds them. */
export interface TargetCredentials {
  password?: string;
  /** SSH: the private key the gateway logs in with. */
  privateKey?: string;
}

export interface DialOptions {
  /** How long the TCP connect may take. Default 15 s. */
  timeoutMs?: number;
  /** Keep writing after the target ends its side (a plain relay passes half-closes on). Default false. */
  halfOpen?: boolean;
}

/**
 * Every socket to a target goes through a connector: the session's own
 * connection and its login with the stored credentials, side connections
 * (the PostgreSQL catalog connection masking uses), cancel requests. The
 * local connector dials from the gateway's host; a network-resident agent
 * that dials out from the private network and holds the credentials will be
 * another implementation of the same interface.
 */
export interface TargetConnector {
  /** A TCP connection to the target, for protocol exchanges that need no credentials (a cancel request). */
  dial(target: TargetInfo, options?: DialOptions): Promise<net.Socket>;
  /**
   * A TCP connection to the target on which `login` runs with the
   * connection's credentials, where they are kept: the protocol's login
   * code receives them and nothing else does. Resolves with what `login`
   * returns; the socket is destroyed if it throws.
   */
  login<T>(
    target: TargetInfo,
    login: (socket: net.Socket, credentials: TargetCredentials) => Promise<T>,
    options?: DialOptions,
  ): Promise<T>;
}

/** The target could not be reached (refused, unreachable, timed out): `code` is the system error code. */
export class TargetDialError extends Error {
  constructor(
    readonly target: { host: string; port: number },
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'TargetDialError';
  }
}
