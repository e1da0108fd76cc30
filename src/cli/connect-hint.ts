import type { ConnectionInfo } from './gateway-client.js';

/** The command line a user types next to reach a connection through a local listener. */
export function connectHint(
  connection: ConnectionInfo,
  host: string,
  port: number,
  options: { knownHosts?: string } = {},
): string {
  const database = connection.database ?? '';
  switch (connection.type) {
    case 'postgres':
      return `psql "postgres://${host}:${port}/${database}"`;
    case 'mysql':
      return `mysql -h ${host} -P ${port} --protocol=TCP${database ? ` ${database}` : ''}`;
    case 'ssh':
      return [
        'ssh',
        ...(port === 22 ? [] : [`-p ${port}`]),
        ...(options.knownHosts ? [`-o UserKnownHostsFile=${options.knownHosts}`] : []),
        `${connection.user ? `${connection.user}@` : ''}${host}`,
      ].join(' ');
    case 'http':
      return `curl http://${host}:${port}/`;
    case 'tcp':
      return `nc ${host} ${port}`;
  }
}
