import type net from 'node:net';
import tls from 'node:tls';
import { negotiatePostgresTls } from './postgres-ssl.js';
import { localTls } from './store.js';

export { localTls, type LocalTls } from './store.js';

/** Local TLS for a `postgres` connection of `hoop connect`. */
export interface PostgresTls {
  /** The local CA's certificate file, for `sslrootcert`. */
  caFile: string;
  /** Whether the CA was made by this run. */
  created: boolean;
  /** The listener's `prepare`: answers SSLRequest with 'S' and ends TLS here. */
  prepare: (socket: net.Socket) => Promise<net.Socket>;
}

/** Loads (or makes) the local certificate under `configDir` and the negotiation that serves it. */
export async function postgresTls(configDir: string): Promise<PostgresTls> {
  const { caFile, cert, key, created } = await localTls(configDir);
  // TLS 1.2 at least, as PostgreSQL's ssl_min_protocol_version defaults to since version 14.
  const context = tls.createSecureContext({ cert, key, minVersion: 'TLSv1.2' });
  return { caFile, created, prepare: (socket) => negotiatePostgresTls(socket, context) };
}
