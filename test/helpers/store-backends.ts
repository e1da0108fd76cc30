import pg from 'pg';
import { openStore, type Store } from '../../src/server/store/index.js';
import { startPostgres, type PgInstance } from './postgres.js';

/** A store backend the store tests run against: each `open()` is a fresh, empty store. */
export interface StoreBackend {
  name: 'sqlite' | 'postgres';
  /** A store URL for a fresh, empty database. */
  freshUrl(): Promise<string>;
  open(): Promise<Store>;
  /** Stops what the backend started (the throwaway PostgreSQL). */
  stop(): Promise<void>;
}

/** The embedded default: every store is its own `sqlite::memory:` database. */
export function sqliteBackend(): StoreBackend {
  const freshUrl = async (): Promise<string> => 'sqlite::memory:';
  return {
    name: 'sqlite',
    freshUrl,
    open: async () => openStore(await freshUrl()),
    stop: async () => {},
  };
}

/**
 * A throwaway PostgreSQL server (started on first use, one per test file),
 * with a new database for every store.
 */
export function postgresBackend(): StoreBackend {
  let server: Promise<PgInstance> | undefined;
  let count = 0;
  const freshUrl = async (): Promise<string> => {
    const pgServer = await (server ??= startPostgres());
    count += 1;
    const database = `store_${process.pid}_${count}`;
    const admin = new pg.Client({ connectionString: pgServer.url });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(database)}`);
    } finally {
      await admin.end();
    }
    const url = new URL(pgServer.url);
    url.pathname = `/${database}`;
    return url.toString();
  };
  return {
    name: 'postgres',
    freshUrl,
    open: async () => openStore(await freshUrl()),
    stop: async () => {
      if (server) await (await server).stop();
    },
  };
}

/** Both backends: the store's contract holds on each. */
export function storeBackends(): StoreBackend[] {
  return [sqliteBackend(), postgresBackend()];
}
