import { DEFAULT_LOCAL_PORTS } from '../lib/connection-types.js';
import { HoopError } from '../lib/errors.js';
import { sharesGroup, type Identity } from './auth/identity.js';
import type { ConnectionConfig } from './config/index.js';

/** What the API shows of a connection: never its host credentials. */
export interface ConnectionSummary {
  name: string;
  type: ConnectionConfig['type'];
  /** Where `hoop connect` listens by default. */
  localPort: number;
  database?: string;
  /** SSH: the user the gateway logs in as (what the printed `ssh` line names). */
  user?: string;
  /** SSH: the gateway's own host key, for the CLI's `known_hosts`. */
  sshHostKey?: string;
}

/**
 * The configured connections and who may use them (group overlap). Names
 * are matched without case, as the config loader compares them: `hoop
 * connect PG-PROD` reaches the one connection named `pg-prod`.
 */
export class Connections {
  private byName!: Map<string, ConnectionConfig>;

  /** @param sshHostKey the gateway's SSH host key (public), shown with SSH connections. */
  constructor(
    connections: readonly ConnectionConfig[],
    private readonly sshHostKey?: string,
  ) {
    this.replace(connections);
  }

  /** Puts a reloaded config's connections in force (new tunnels see them at once). */
  replace(connections: readonly ConnectionConfig[]): void {
    this.byName = new Map(
      connections.map((connection) => [connection.name.toLowerCase(), connection]),
    );
  }

  /** The connections the identity may use, sorted by name. */
  listFor(identity: Identity): ConnectionSummary[] {
    return [...this.byName.values()]
      .filter((connection) => sharesGroup(identity, connection.groups))
      .sort((a, b) => a.name.localeCompare(b.name, 'en'))
      .map((connection) => summarize(connection, this.sshHostKey));
  }

  /** What the API shows of the named connection the identity may use (see {@link resolve}). */
  describe(name: string, identity: Identity): ConnectionSummary {
    return summarize(this.resolve(name, identity), this.sshHostKey);
  }

  /** The named connection, if it exists and the identity may use it; a HoopError otherwise. */
  resolve(name: string, identity: Identity): ConnectionConfig {
    const connection = this.byName.get(name.toLowerCase());
    if (!connection) {
      throw new HoopError(
        'HOOP_CONNECTION_UNKNOWN',
        `no connection named ${JSON.stringify(name)}`,
        {
          hint: 'Run `hoop connections` to see the connections you may use.',
        },
      );
    }
    if (!sharesGroup(identity, connection.groups)) {
      throw new HoopError(
        'HOOP_CONNECTION_FORBIDDEN',
        `${identity.name} may not use connection ${JSON.stringify(connection.name)}: none of your groups (${identity.groups.join(', ') || 'none'}) may use it`,
        {
          hint: `It is open to the groups ${connection.groups.join(', ')}; ask an administrator to add you to one.`,
        },
      );
    }
    return connection;
  }
}

export function summarize(connection: ConnectionConfig, sshHostKey?: string): ConnectionSummary {
  const summary: ConnectionSummary = {
    name: connection.name,
    type: connection.type,
    localPort: DEFAULT_LOCAL_PORTS[connection.type],
  };
  if (connection.database !== undefined) summary.database = connection.database;
  if (connection.type === 'ssh') {
    if (connection.user !== undefined) summary.user = connection.user;
    if (sshHostKey !== undefined) summary.sshHostKey = sshHostKey;
  }
  return summary;
}
