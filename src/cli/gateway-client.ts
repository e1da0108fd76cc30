import type { ConnectionType } from '../lib/connection-types.js';
import { HoopError } from '../lib/errors.js';
import { refusalError } from '../tunnel/index.js';

/** A connection as the gateway lists it (`GET /api/connections`). */
export interface ConnectionInfo {
  name: string;
  type: ConnectionType;
  localPort: number;
  database?: string;
}

/** A thin client for the gateway's JSON API; every failure is a HoopError with the gateway's code. */
export class GatewayClient {
  constructor(
    readonly baseUrl: string,
    readonly token: string,
  ) {}

  async connections(): Promise<ConnectionInfo[]> {
    const body = await this.get<{ connections: ConnectionInfo[] }>('/api/connections');
    return body.connections;
  }

  connection(name: string): Promise<ConnectionInfo> {
    return this.get<ConnectionInfo>(`/api/connections/${encodeURIComponent(name)}`);
  }

  /** The WebSocket URL of a connection's tunnel. */
  tunnelUrl(name: string): string {
    const url = new URL(`/api/tunnel/${encodeURIComponent(name)}`, this.baseUrl);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    return url.toString();
  }

  async get<T>(path: string): Promise<T> {
    let response: Response;
    try {
      response = await fetch(new URL(path, this.baseUrl), {
        headers: { authorization: `Bearer ${this.token}`, accept: 'application/json' },
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new HoopError(
        'HOOP_GATEWAY_UNREACHABLE',
        `cannot reach the gateway at ${this.baseUrl}: ${cause?.code ?? cause?.message ?? (error as Error).message}`,
        {
          hint: 'Check that the gateway is running and HOOP_GATEWAY points at it.',
          cause: error,
        },
      );
    }
    const text = await response.text();
    if (!response.ok) throw refusalError(response.status, text);
    return JSON.parse(text) as T;
  }
}
