/** The kinds of target hoop proxies, as named in `hoop.yaml`. */
export const CONNECTION_TYPES = ['postgres', 'mysql', 'ssh', 'http', 'tcp'] as const;
export type ConnectionType = (typeof CONNECTION_TYPES)[number];

/** Where `hoop connect` listens by default for each type (DESIGN.md). */
export const DEFAULT_LOCAL_PORTS: Record<ConnectionType, number> = {
  postgres: 5433,
  mysql: 3307,
  ssh: 2222,
  http: 8081,
  tcp: 8999,
};
