import SqliteDatabase from 'better-sqlite3';
import { toSignature } from './chain-queries.js';
import { toRecord } from './kysely-store.js';
import type { Selectable } from 'kysely';
import type { AuditSignaturesTable, SessionsTable } from './schema.js';
import type { ChainSignature, SessionRecord } from './records.js';

/**
 * Reads a SQLite store's sessions, signatures and events as stored rows, for
 * `hoop audit verify` over millions of events: read-only, straight from
 * better-sqlite3 (no query builder, no row mapping), events streamed.
 */
export class SqliteChainReader {
  private readonly db: SqliteDatabase.Database;

  constructor(file: string) {
    this.db = new SqliteDatabase(file, { readonly: true, fileMustExist: true });
    // 64 MiB of page cache: a verification reads every page once, in order.
    this.db.pragma('cache_size = -65536');
  }

  sessionIds(): string[] {
    return this.db
      .prepare<[], { id: string }>('select id from sessions order by started_at, id')
      .all()
      .map((row) => row.id);
  }

  session(id: string): SessionRecord | undefined {
    const row = this.db
      .prepare<[string], Selectable<SessionsTable>>('select * from sessions where id = ?')
      .get(id);
    return row && toRecord(row);
  }

  signatures(sessionId: string): ChainSignature[] {
    return this.db
      .prepare<[string], AuditSignaturesTable>(
        'select * from audit_signatures where session_id = ? order by seq, final',
      )
      .all(sessionId)
      .map(toSignature);
  }

  /**
   * A session's events in stored order (seq; rows of one seq as stored), each
   * as its values in the order of `columns` (raw arrays: no object per row).
   * A column the file's schema does not have yet (a store written by an
   * older gateway and never migrated: read-only here) reads as NULL, which
   * is what every row of it would hold after the migration.
   */
  events(sessionId: string, columns: readonly string[]): IterableIterator<unknown[]> {
    const present = new Set(
      this.db
        .prepare<[], { name: string }>("select name from pragma_table_info('events')")
        .all()
        .map((row) => row.name),
    );
    const list = columns.map((column) => (present.has(column) ? `"${column}"` : 'null')).join(', ');
    return this.db
      .prepare<[string], unknown[]>(`select ${list} from events where session_id = ? order by seq`)
      .raw(true)
      .iterate(sessionId);
  }

  close(): void {
    this.db.close();
  }
}
