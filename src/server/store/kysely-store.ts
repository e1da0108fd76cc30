import { Migrator, type Kysely, type Selectable } from 'kysely';
import { HoopError } from '../../lib/errors.js';
import { auditQueries } from './audit-queries.js';
import { chainQueries } from './chain-queries.js';
import { toEvent, toEventRow } from './event-rows.js';
import { migrationProvider } from './migrations.js';
import { retentionQueries } from './retention-queries.js';
import { reviewQueries } from './review-queries.js';
import type { Database, SessionsTable } from './schema.js';
import type {
  NewSession,
  SessionEnd,
  SessionFilter,
  SessionRecord,
  AuditEvent,
  Store,
} from './store.js';

const DEFAULT_LIST_LIMIT = 100;

/** Applies pending migrations; a failure names the migration. */
export async function migrate(db: Kysely<Database>): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((result) => result.status === 'Error');
    throw new HoopError(
      'HOOP_STORE_UNAVAILABLE',
      `store migration ${failed?.migrationName ?? ''} failed: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}

/** The queries every backend shares; a backend only supplies its Kysely dialect. */
export function kyselyStore(db: Kysely<Database>): Store {
  let closed: Promise<void> | undefined;
  return {
    ...reviewQueries(db),
    ...auditQueries(db, { session: toRecord, event: toEvent }),
    ...chainQueries(db, { session: toRecord, event: toEvent }),
    ...retentionQueries(db),

    async startSession(session: NewSession) {
      await db
        .insertInto('sessions')
        .values({
          id: session.id,
          subject: session.subject,
          identity_name: session.identityName,
          identity_kind: session.identityKind,
          auth_method: session.authMethod,
          groups: JSON.stringify(session.groups),
          connection: session.connection,
          connection_type: session.connectionType,
          client_addr: session.clientAddr,
          started_at: session.startedAt.toISOString(),
          ended_at: null,
          close_reason: null,
          close_detail: null,
          actors: session.actors ? JSON.stringify(session.actors) : null,
          token_id: session.tokenId ?? null,
        })
        .execute();
    },

    async endSession(id: string, end: SessionEnd) {
      await db
        .updateTable('sessions')
        .set({
          ended_at: end.endedAt.toISOString(),
          bytes_up: end.bytesUp,
          bytes_down: end.bytesDown,
          close_reason: end.closeReason,
          close_detail: end.closeDetail ?? null,
        })
        .where('id', '=', id)
        .execute();
    },

    async getSession(id: string) {
      const row = await db
        .selectFrom('sessions')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst();
      return row && toRecord(row);
    },

    async listSessions(filter: SessionFilter = {}) {
      let query = db.selectFrom('sessions').selectAll();
      if (filter.connection) query = query.where('connection', '=', filter.connection);
      const { owner } = filter;
      if (owner) {
        if (owner.method === undefined) return [];
        query = query.where('auth_method', '=', owner.method).where('subject', '=', owner.subject);
      }
      const rows = await query
        .orderBy('started_at', 'desc')
        .orderBy('id', 'desc')
        .limit(filter.limit ?? DEFAULT_LIST_LIMIT)
        .execute();
      return rows.map(toRecord);
    },

    async appendEvents(events: readonly AuditEvent[]) {
      // One multi-row INSERT per slice: one statement to compile, whatever
      // the batch size; several slices share one transaction.
      const insert = async (into: Kysely<Database>): Promise<void> => {
        for (let i = 0; i < events.length; i += EVENTS_PER_INSERT) {
          await into
            .insertInto('events')
            .values(events.slice(i, i + EVENTS_PER_INSERT).map(toEventRow))
            .onConflict((conflict) => conflict.column('id').doNothing())
            .execute();
        }
      };
      if (events.length === 0) return;
      if (events.length <= EVENTS_PER_INSERT) await insert(db);
      else await db.transaction().execute(insert);
    },

    async listEvents(sessionId: string) {
      const rows = await db
        .selectFrom('events')
        .selectAll()
        .where('session_id', '=', sessionId)
        .orderBy('seq', 'asc')
        .execute();
      return rows.map(toEvent);
    },

    async ping() {
      await db.selectFrom('sessions').select('id').limit(1).execute();
    },

    close() {
      // Idempotent: a gateway shutting down and a test cleaning up may both close.
      closed ??= db.destroy();
      return closed;
    },
  };
}

/**
 * Sessions left open by a gateway that died are closed as `gateway_restart`
 * at the next start, so no session stays open forever in the record. Only for
 * single-replica backends: with replicas, another gateway may own them.
 */
export async function closeDanglingSessions(
  db: Kysely<Database>,
  now = new Date(),
): Promise<number> {
  const result = await db
    .updateTable('sessions')
    .set({ ended_at: now.toISOString(), close_reason: 'gateway_restart' })
    .where('ended_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** A sessions row as a record (also for the SQLite chain reader). */
export function toRecord(row: Selectable<SessionsTable>): SessionRecord {
  const record: SessionRecord = {
    id: row.id,
    subject: row.subject,
    identityName: row.identity_name,
    identityKind: row.identity_kind,
    authMethod: row.auth_method,
    groups: JSON.parse(row.groups) as string[],
    connection: row.connection,
    connectionType: row.connection_type,
    clientAddr: row.client_addr,
    startedAt: new Date(row.started_at),
    bytesUp: Number(row.bytes_up),
    bytesDown: Number(row.bytes_down),
  };
  // Absent is NULL; an empty string is a value (the chain hashes it as written).
  if (row.ended_at !== null) record.endedAt = new Date(row.ended_at);
  if (row.close_reason !== null) record.closeReason = row.close_reason;
  if (row.close_detail !== null) record.closeDetail = row.close_detail;
  if (row.actors !== null) record.actors = JSON.parse(row.actors) as string[];
  if (row.token_id !== null) record.tokenId = row.token_id;
  return record;
}

/** Rows per INSERT: 21 parameters each, well under SQLite's limit of 32766. */
const EVENTS_PER_INSERT = 500;
