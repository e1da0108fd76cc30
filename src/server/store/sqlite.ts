import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { toEventRow } from './event-rows.js';
import { closeDanglingSessions, kyselyStore, migrate } from './kysely-store.js';
import type { Database } from './schema.js';
import type { AuditEvent, StatementEvent, Store } from './store.js';

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
  return { ...kyselyStore(db), appendEvents: preparedAppend(sqlite) };
}

/**
 * Events appended with one prepared single-row INSERT run per event in one
 * transaction: better-sqlite3 is synchronous, so this runs on the relay's
 * thread, and a reused statement costs a few µs a row where a query builder's
 * multi-row INSERT (compiled and prepared anew for every batch size) costs
 * several times that. Same semantics: all or nothing, a known id skipped.
 */
function preparedAppend(
  sqlite: SqliteDatabase.Database,
): (events: readonly AuditEvent[]) => Promise<void> {
  const columns = Object.keys(toEventRow(SAMPLE_EVENT));
  const insert = sqlite.prepare(
    `insert into events (${columns.map((column) => `"${column}"`).join(', ')}) ` +
      `values (${columns.map((column) => `@${column}`).join(', ')}) on conflict (id) do nothing`,
  );
  const insertAll = sqlite.transaction((events: readonly AuditEvent[]) => {
    for (const event of events) insert.run(toEventRow(event));
  });
  return async (events) => {
    if (events.length > 0) insertAll(events);
  };
}

/** Gives the row's column names. */
const SAMPLE_EVENT: StatementEvent = {
  id: '',
  sessionId: '',
  seq: 0,
  at: new Date(0),
  kind: 'statement',
  text: '',
  kinds: [],
  tables: [],
  decision: 'allow',
};
