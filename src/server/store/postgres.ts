import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { kyselyStore, migrate } from './kysely-store.js';
import type { Database } from './schema.js';
import type { Store } from './store.js';

/** Pool limits of the PostgreSQL store; every limit has a default. */
export interface PostgresStoreOptions {
  /** Connections held at most. Default 5: recording batches its writes. */
  maxConnections?: number;
  /** How long to wait for a connection before the call fails, in ms. Default 5000. */
  connectTimeoutMs?: number;
  /** How long one query may take before the call fails, in ms. Default 15000. */
  queryTimeoutMs?: number;
}

/**
 * The store on PostgreSQL (`store: postgres://…`), for several gateway
 * replicas sharing one record. The same migrations and queries as SQLite
 * run on it (portable SQL only: text times, JSON as text, 0/1 flags).
 *
 * Replicas may start at once: Kysely's migrator holds a PostgreSQL advisory
 * lock while it migrates, so each migration runs once. Sessions left open
 * are not closed at start as on SQLite: another replica may own them.
 *
 * A store that goes away (a restart, a network cut) fails calls within the
 * timeouts rather than hanging them, so the gateway can fail closed; the
 * pool reconnects on its own when it is back.
 */
export async function openPostgresStore(
  url: string,
  options: PostgresStoreOptions = {},
): Promise<Store> {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.maxConnections ?? 5,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    query_timeout: options.queryTimeoutMs ?? 15_000,
    idleTimeoutMillis: 30_000,
    application_name: 'hoop-gateway',
  });
  // An idle connection the server drops emits 'error' on the pool; the next
  // query finds out through its own failure, so nothing is done here (an
  // unhandled 'error' would end the process).
  pool.on('error', () => {});
  // A connection the server drops while a query is on it emits 'error' on the
  // client, which the pool no longer listens to while the client is lent out;
  // unheard, that would end the process. The query fails on its own.
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    // Connect first, so that an unreachable server is reported as such, not as a failed migration.
    await sql`select 1`.execute(db);
    await migrate(db);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return kyselyStore(db);
}
