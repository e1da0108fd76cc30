import type { ConnectionType } from '../lib/connection-types.js';
import { HoopError } from '../lib/errors.js';
import { refusalError } from '../tunnel/index.js';
import { httpGet, type HttpAnswer } from './http-get.js';

/** A connection as the gateway lists it (`GET /api/connections`). */
export interface ConnectionInfo {
  name: string;
  type: ConnectionType;
  localPort: number;
  database?: string;
  /** SSH: the user the gateway logs in to the host as. */
  user?: string;
  /** SSH: the gateway's own host key, for `known_hosts`. */
  sshHostKey?: string;
}

const REQUEST_TIMEOUT_MS = 30_000;

/** A thin client for the gateway's JSON API; every failure is a HoopError with the gateway's code. */
export class GatewayClient {
  /**
   * @param baseUrl the gateway's URL without a trailing slash; a path prefix
   *   (a gateway behind a reverse proxy) is kept in front of every API path.
   */
  constructor(
    readonly baseUrl: string,
    readonly token: string,
  ) {}

  async connections(): Promise<ConnectionInfo[]> {
    const body = await this.get<{ connections?: unknown }>('/api/connections');
    if (!Array.isArray(body.connections)) throw this.notAGateway('a list of connections');
    return body.connections as ConnectionInfo[];
  }

  connection(name: string): Promise<ConnectionInfo> {
    return this.get<ConnectionInfo>(`/api/connections/${encodeURIComponent(name)}`);
  }

  /** The WebSocket URL of a connection's tunnel. */
  tunnelUrl(name: string): string {
    const url = this.url(`/api/tunnel/${encodeURIComponent(name)}`);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    return url.toString();
  }

  async get<T>(path: string): Promise<T> {
    let answer: HttpAnswer;
    try {
      answer = await httpGet(
        this.url(path),
        { authorization: `Bearer ${this.token}`, accept: 'application/json' },
        REQUEST_TIMEOUT_MS,
      );
    } catch (error) {
      throw new HoopError(
        'HOOP_GATEWAY_UNREACHABLE',
        `cannot reach the gateway at ${this.baseUrl}: ${networkReason(error)}`,
        {
          hint: 'Check that the gateway is running and HOOP_GATEWAY (or --gateway) points at it.',
          cause: error,
        },
      );
    }
    const { status, text } = answer;
    if (status < 200 || status > 299) throw refusalError(status, text);
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw this.notAGateway('JSON', error);
    }
  }

  private url(path: string): URL {
    return new URL(`${this.baseUrl}${path}`);
  }

  /** A 200 that is not what a hoop gateway sends: HOOP_GATEWAY names some other server. */
  private notAGateway(expected: string, cause?: unknown): HoopError {
    return new HoopError(
      'HOOP_GATEWAY_UNREACHABLE',
      `the server at ${this.baseUrl} answered, but not with ${expected}: it does not look like a hoop gateway`,
      {
        hint: 'Check that HOOP_GATEWAY (or --gateway) points at a hoop gateway.',
        ...(cause === undefined ? {} : { cause }),
      },
    );
  }
}

const NETWORK_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name does not resolve',
  ECONNRESET: 'the connection was reset',
  ETIMEDOUT: 'the connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'the connection timed out',
};

/** The reason a request never got an answer, in words. */
function networkReason(error: unknown): string {
  if ((error as Error).name === 'TimeoutError') {
    return `no answer within ${REQUEST_TIMEOUT_MS / 1000}s`;
  }
  const { code, message } = error as { code?: string; message?: string };
  if (code !== undefined && Object.hasOwn(NETWORK_ERRORS, code))
    return `${NETWORK_ERRORS[code]} (${code})`;
  return code ?? message ?? String(error);
}
