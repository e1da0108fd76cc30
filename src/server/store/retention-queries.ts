import type { Kysely, Selectable } from 'kysely';
import { newId } from '../../lib/ids.js';
import type { AuditPurgesTable, Database } from './schema.js';

/** One purge of records older than the retention, as the purges table keeps it. */
export interface PurgeRecord {
  id: string;
  at: Date;
  /** Sessions that ended before this were removed. */
  cutoff: Date;
  sessions: number;
  events: number;
  signatures: number;
  reviews: number;
  /** The gateway that purged (host and process). */
  gateway: string;
}

/** Retention: removing whole old sessions, and the record of each removal. */
export interface RetentionRecords {
  /**
   * Removes every session that ended before `cutoff` with all its events
   * and chain signatures, and decided reviews whose every date is before it
   * (with their votes), then records the purge. Open sessions are never
   * touched, and a session goes whole or not at all: a hash chain is never
   * cut in the middle.
   */
  purgeBefore(cutoff: Date, by: { gateway: string; now?: Date }): Promise<PurgeRecord>;
  /** Recorded purges, newest first. */
  listPurges(limit?: number): Promise<PurgeRecord[]>;
}

/** Sessions removed per transaction: short transactions keep recording unblocked on SQLite. */
const SESSIONS_PER_BATCH = 200;

/** The retention queries every backend shares (portable SQL only). */
export function retentionQueries(db: Kysely<Database>): RetentionRecords {
  return {
    async purgeBefore(cutoff, by) {
      const before = cutoff.toISOString();
      const removed = { sessions: 0, events: 0, signatures: 0, reviews: 0 };
      for (;;) {
        const done = await db.transaction().execute(async (trx) => {
          const ids = (
            await trx
              .selectFrom('sessions')
              .select('id')
              .where('ended_at', 'is not', null)
              .where('ended_at', '<', before)
              .orderBy('ended_at', 'asc')
              .limit(SESSIONS_PER_BATCH)
              .execute()
          ).map((row) => row.id);
          if (ids.length === 0) return true;
          const events = await trx
            .deleteFrom('events')
            .where('session_id', 'in', ids)
            .executeTakeFirst();
          const signatures = await trx
            .deleteFrom('audit_signatures')
            .where('session_id', 'in', ids)
            .executeTakeFirst();
          const sessions = await trx
            .deleteFrom('sessions')
            .where('id', 'in', ids)
            .executeTakeFirst();
          removed.events += Number(events.numDeletedRows);
          removed.signatures += Number(signatures.numDeletedRows);
          removed.sessions += Number(sessions.numDeletedRows);
          return ids.length < SESSIONS_PER_BATCH;
        });
        if (done) break;
      }
      removed.reviews = await db.transaction().execute(async (trx) => {
        const old = trx
          .selectFrom('reviews')
          .select('id')
          .where('status', '<>', 'pending')
          .where('created_at', '<', before)
          .where('expires_at', '<', before)
          .where((eb) =>
            eb.or([eb('granted_until', 'is', null), eb('granted_until', '<', before)]),
          );
        await trx.deleteFrom('review_votes').where('review_id', 'in', old).execute();
        const reviews = await trx.deleteFrom('reviews').where('id', 'in', old).executeTakeFirst();
        return Number(reviews.numDeletedRows);
      });
      const record: PurgeRecord = {
        id: newId('prg'),
        at: by.now ?? new Date(),
        cutoff,
        ...removed,
        gateway: by.gateway,
      };
      await db
        .insertInto('audit_purges')
        .values({
          id: record.id,
          purged_at: record.at.toISOString(),
          cutoff: before,
          sessions: record.sessions,
          events: record.events,
          signatures: record.signatures,
          reviews: record.reviews,
          gateway: record.gateway,
        })
        .execute();
      return record;
    },

    async listPurges(limit = 100) {
      const rows = await db
        .selectFrom('audit_purges')
        .selectAll()
        .orderBy('purged_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
      return rows.map(toPurge);
    },
  };
}

function toPurge(row: Selectable<AuditPurgesTable>): PurgeRecord {
  return {
    id: row.id,
    at: new Date(row.purged_at),
    cutoff: new Date(row.cutoff),
    sessions: Number(row.sessions),
    events: Number(row.events),
    signatures: Number(row.signatures),
    reviews: Number(row.reviews),
    gateway: row.gateway,
  };
}
