import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { closeDanglingSessions, kyselyStore, migrate } from './kysely-store.js';
import type { Database } from './schema.js';
import type { Store } from './store.js';

/**
 * The embedded default store: one SQLite file in WAL mode. `synchronous =
 * NORMAL` keeps commits durable across a process crash (WAL is fsynced at
 * checkpoints; a power loss may drop the last transactions, as with
 * PostgreSQL's `synchronous_commit = off`).
 */
export async function openSqliteStore(file: string): Promise<Store> {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  const sqlite = new SqliteDatabase(file);
  try {
    // The first statement is where a file that is not a database (or is locked) fails.
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('busy_timeout = 5000');
  } catch (error) {
    sqlite.close();
    throw error;
  }
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  try {
    await migrate(db);
    await closeDanglingSessions(db);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return kyselyStore(db);
}
