import type { ConnectionType } from '../../lib/connection-types.js';
import type { HandlerFactory } from './handler.js';
import { mysqlProtocol } from './mysql/handler.js';
import { postgresProtocol } from './postgres/handler.js';
import { sshProtocol } from './ssh/handler.js';
import { tcpProtocol } from './tcp.js';

/**
 * The protocol handler of each connection type. Adding a protocol is a
 * folder under `protocols/` and a line here; the gateway builds every
 * handler from this table and changes for none.
 */
export const PROTOCOLS: Partial<Record<ConnectionType, HandlerFactory>> = {
  postgres: postgresProtocol(),
  ssh: sshProtocol(),
  mysql: mysqlProtocol(),
  tcp: tcpProtocol(),
};
