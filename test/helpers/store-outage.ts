import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { PgInstance } from './postgres.js';

/** A PostgreSQL store database whose role can be locked out and let back in: a real outage as the gateway sees it. */
export interface OutageStore {
  /** The store URL as the config writes it (password as `${env:HOOP_STORE_PASSWORD}`). */
  url: string;
  /** The environment the config's reference needs. */
  env: { HOOP_STORE_PASSWORD: string };
  /** Ends the store role's connections and refuses new ones. */
  cut(): Promise<void>;
  /** Lets the store role log in again. */
  restore(): Promise<void>;
  /** Runs a query on the store database as the superuser (works during an outage). */
  query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<R[]>;
}

/**
 * Creates a role and a database for a gateway's store on `server` (whose
 * user is a superuser), so that a test can take the store away from the
 * gateway mid-session and give it back.
 */
export async function outageStore(server: PgInstance): Promise<OutageStore> {
  const suffix = randomBytes(3).toString('hex');
  const role = `hoop_store_${suffix}`;
  const database = `hoop_store_${suffix}`;
  const password = randomBytes(12).toString('hex');
  const admin = async <R extends pg.QueryResultRow>(
    text: string,
    values: unknown[] = [],
    db = server.database,
  ): Promise<R[]> => {
    const url = new URL(server.url);
    url.pathname = `/${db}`;
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    try {
      return (await client.query<R>(text, values)).rows;
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
  await admin(`CREATE DATABASE ${database} OWNER ${role}`);
  return {
    url: `postgres://${role}:\${env:HOOP_STORE_PASSWORD}@127.0.0.1:${server.port}/${database}`,
    env: { HOOP_STORE_PASSWORD: password },
    async cut() {
      await admin(`ALTER ROLE ${role} NOLOGIN`);
      await admin('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [
        role,
      ]);
    },
    async restore() {
      await admin(`ALTER ROLE ${role} LOGIN`);
    },
    query: (text, values) => admin(text, values, database),
  };
}
