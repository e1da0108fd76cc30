import { sql, type ExpressionBuilder, type Kysely, type Selectable } from 'kysely';
import type { Principal } from '../../lib/principal.js';
import type { Database, EventsTable, SessionsTable } from './schema.js';
import type { AuditEvent, SessionRecord } from './records.js';

/** A decision an auditor filters on; `review` means a statement held for review. */
export type AuditDecision = 'allow' | 'deny' | 'review';

/**
 * Which sessions `hoop audit list` shows, newest first. A session is in a
 * time range when it was open at some moment of it: started before `until`
 * and not ended before `since`.
 */
export interface SessionQuery {
  connection?: string;
  /** Only this identity's sessions (a caller who is not an auditor sees their own). */
  owner?: Principal;
  /**
   * Sessions of this identity, or (a provider identity) in whose delegation
   * chain it acts: `hoop audit list --user apikey:<name>` or `oidc:<sub>`.
   */
  involving?: Principal;
  /** A search: the subject, the identity's name, or any actor of the delegation chain. */
  who?: string;
  /** Sessions with at least one event of this decision. */
  decision?: AuditDecision;
  since?: Date;
  until?: Date;
  /** Continue after this session, in the list's order (the paging cursor). */
  after?: { startedAt: Date; id: string };
  limit: number;
}

/** Which events `hoop audit export` streams, oldest first, across sessions. */
export interface EventQuery {
  since?: Date;
  until?: Date;
  connection?: string;
  /** Only events of this identity's sessions. */
  owner?: Principal;
  /** Continue after this event, in the export's order. */
  after?: { at: Date; id: string };
  limit: number;
}

/** The audit trail's read side, on top of the shared Kysely queries. */
export interface AuditRecords {
  querySessions(query: SessionQuery): Promise<SessionRecord[]>;
  queryEvents(query: EventQuery): Promise<AuditEvent[]>;
}

/** Matches `%`, `_` and the escape itself inside a LIKE pattern. */
function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}

/** `actors` is a JSON array of strings: a quoted element matches exactly. */
function actorIs(subject: string) {
  const pattern = `%${likeLiteral(JSON.stringify(subject))}%`;
  // SQLite has no default LIKE escape character; PostgreSQL's is this one.
  return sql<boolean>`actors like ${pattern} escape '\\'`;
}

/**
 * Sessions of one identity: its method and its subject, never the subject
 * alone, so a session recorded for one kind of identity is never another's
 * (a principal of unknown method owns nothing).
 */
function ownedBy(eb: ExpressionBuilder<Database, 'sessions'>, owner: Principal) {
  if (owner.method === undefined) return sql<boolean>`1 = 0`;
  return eb.and([eb('auth_method', '=', owner.method), eb('subject', '=', owner.subject)]);
}

/**
 * Builds the read queries; the row mappers are the store's own, so every
 * field a later migration adds to an event reaches the API unchanged.
 */
export function auditQueries(
  db: Kysely<Database>,
  map: {
    session: (row: Selectable<SessionsTable>) => SessionRecord;
    event: (row: Selectable<EventsTable>) => AuditEvent;
  },
): AuditRecords {
  return {
    async querySessions(query) {
      let select = db.selectFrom('sessions').selectAll('sessions');
      if (query.connection) select = select.where('connection', '=', query.connection);
      const { owner, involving, who } = query;
      if (owner) select = select.where((eb) => ownedBy(eb, owner));
      if (involving) {
        select = select.where((eb) =>
          involving.method === 'oidc'
            ? // Actors are provider identities, recorded on provider sessions only.
              eb.and([
                eb('auth_method', '=', 'oidc'),
                eb.or([eb('subject', '=', involving.subject), actorIs(involving.subject)]),
              ])
            : ownedBy(eb, involving),
        );
      }
      if (who) {
        select = select.where((eb) =>
          eb.or([eb('subject', '=', who), eb('identity_name', '=', who), actorIs(who)]),
        );
      }
      if (query.since) {
        const since = query.since.toISOString();
        select = select.where((eb) =>
          eb.or([eb('ended_at', 'is', null), eb('ended_at', '>=', since)]),
        );
      }
      if (query.until) select = select.where('started_at', '<', query.until.toISOString());
      const { decision } = query;
      if (decision) {
        select = select.where(({ exists, selectFrom }) =>
          exists(
            selectFrom('events')
              .select('events.id')
              .whereRef('events.session_id', '=', 'sessions.id')
              .where((eb: ExpressionBuilder<Database, 'events'>) =>
                decision === 'review'
                  ? eb.or([eb('review_id', 'is not', null), eb('decision', '=', 'review')])
                  : eb('decision', '=', decision),
              ),
          ),
        );
      }
      const { after } = query;
      if (after) {
        const startedAt = after.startedAt.toISOString();
        select = select.where((eb) =>
          eb.or([
            eb('started_at', '<', startedAt),
            eb.and([eb('started_at', '=', startedAt), eb('sessions.id', '<', after.id)]),
          ]),
        );
      }
      const rows = await select
        .orderBy('started_at', 'desc')
        .orderBy('sessions.id', 'desc')
        .limit(query.limit)
        .execute();
      return rows.map(map.session);
    },

    async queryEvents(query) {
      let select = db.selectFrom('events').selectAll('events');
      const { owner } = query;
      if (query.connection || owner) {
        let sessions = db.selectFrom('sessions').select('id');
        if (query.connection) sessions = sessions.where('connection', '=', query.connection);
        if (owner) sessions = sessions.where((eb) => ownedBy(eb, owner));
        select = select.where('events.session_id', 'in', sessions);
      }
      if (query.since) select = select.where('events.at', '>=', query.since.toISOString());
      if (query.until) select = select.where('events.at', '<', query.until.toISOString());
      const { after } = query;
      if (after) {
        const at = after.at.toISOString();
        select = select.where((eb) =>
          eb.or([
            eb('events.at', '>', at),
            eb.and([eb('events.at', '=', at), eb('events.id', '>', after.id)]),
          ]),
        );
      }
      const rows = await select
        .orderBy('events.at', 'asc')
        .orderBy('events.id', 'asc')
        .limit(query.limit)
        .execute();
      return rows.map(map.event);
    },
  };
}
