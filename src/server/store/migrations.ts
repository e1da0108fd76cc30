import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';

/**
 * Versioned migrations, applied in name order and recorded by Kysely's
 * migrator; a migration never changes once released, a new one is added.
 * They use only portable types so SQLite and PostgreSQL share them.
 */
const migrations: Record<string, Migration> = {
  '0001_sessions': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('sessions')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('subject', 'text', (column) => column.notNull())
        .addColumn('identity_name', 'text', (column) => column.notNull())
        .addColumn('identity_kind', 'text', (column) => column.notNull())
        .addColumn('auth_method', 'text', (column) => column.notNull())
        .addColumn('groups', 'text', (column) => column.notNull())
        .addColumn('connection', 'text', (column) => column.notNull())
        .addColumn('connection_type', 'text', (column) => column.notNull())
        .addColumn('client_addr', 'text', (column) => column.notNull())
        .addColumn('started_at', 'text', (column) => column.notNull())
        .addColumn('ended_at', 'text')
        .addColumn('bytes_up', 'bigint', (column) => column.notNull().defaultTo(0))
        .addColumn('bytes_down', 'bigint', (column) => column.notNull().defaultTo(0))
        .addColumn('close_reason', 'text')
        .addColumn('close_detail', 'text')
        .execute();
      await db.schema
        .createIndex('sessions_started_at')
        .on('sessions')
        .column('started_at')
        .execute();
      await db.schema
        .createIndex('sessions_connection')
        .on('sessions')
        .columns(['connection', 'started_at'])
        .execute();
      await db.schema
        .createIndex('sessions_subject')
        .on('sessions')
        .columns(['subject', 'started_at'])
        .execute();
    },
  },
  '0002_session_delegation': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('sessions').addColumn('actors', 'text').execute();
      await db.schema.alterTable('sessions').addColumn('token_id', 'text').execute();
    },
  },
  '0003_statement_events': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('events')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('session_id', 'text', (column) => column.notNull())
        .addColumn('seq', 'integer', (column) => column.notNull())
        .addColumn('at', 'text', (column) => column.notNull())
        .addColumn('kind', 'text', (column) => column.notNull())
        .addColumn('text', 'text', (column) => column.notNull())
        .addColumn('fingerprint', 'text')
        .addColumn('kinds', 'text', (column) => column.notNull())
        .addColumn('tables', 'text', (column) => column.notNull())
        .addColumn('decision', 'text', (column) => column.notNull())
        .addColumn('rule', 'text')
        .addColumn('policy_hash', 'text')
        .addColumn('rows', 'integer')
        .addColumn('duration_ms', 'double precision')
        .addColumn('error_code', 'text')
        .addColumn('error_message', 'text')
        .execute();
      await db.schema
        .createIndex('events_session_seq')
        .on('events')
        .columns(['session_id', 'seq'])
        .execute();
    },
  },
  '0004_reviews': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('reviews')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('kind', 'text', (column) => column.notNull())
        .addColumn('status', 'text', (column) => column.notNull())
        .addColumn('requester_subject', 'text', (column) => column.notNull())
        .addColumn('requester_name', 'text', (column) => column.notNull())
        .addColumn('requester_groups', 'text', (column) => column.notNull())
        .addColumn('connection', 'text', (column) => column.notNull())
        .addColumn('text', 'text')
        .addColumn('fingerprint', 'text')
        .addColumn('duration_ms', 'bigint')
        .addColumn('reason', 'text')
        .addColumn('requirement', 'text', (column) => column.notNull())
        .addColumn('policy_hash', 'text', (column) => column.notNull())
        .addColumn('session_id', 'text')
        .addColumn('created_at', 'text', (column) => column.notNull())
        .addColumn('expires_at', 'text', (column) => column.notNull())
        .addColumn('decided_at', 'text')
        .addColumn('granted_until', 'text')
        .execute();
      await db.schema
        .createIndex('reviews_status_created')
        .on('reviews')
        .columns(['status', 'created_at'])
        .execute();
      await db.schema
        .createIndex('reviews_requester')
        .on('reviews')
        .columns(['requester_subject', 'created_at'])
        .execute();
      await db.schema
        .createTable('review_votes')
        .addColumn('review_id', 'text', (column) => column.notNull())
        .addColumn('subject', 'text', (column) => column.notNull())
        .addColumn('name', 'text', (column) => column.notNull())
        .addColumn('decision', 'text', (column) => column.notNull())
        .addColumn('reason', 'text')
        .addColumn('at', 'text', (column) => column.notNull())
        // One vote per approver and review: approvals count distinct approvers.
        .addPrimaryKeyConstraint('review_votes_pk', ['review_id', 'subject'])
        .execute();
      // The statement event of a held statement names its review and how it ended.
      await db.schema.alterTable('events').addColumn('review_id', 'text').execute();
      await db.schema.alterTable('events').addColumn('review_outcome', 'text').execute();
    },
  },
  '0005_audit_chain': {
    async up(db: Kysely<unknown>) {
      // The hash chain and the result preview of each event (src/server/audit/chain.ts).
      await db.schema.alterTable('events').addColumn('prev_hash', 'text').execute();
      await db.schema.alterTable('events').addColumn('hash', 'text').execute();
      await db.schema.alterTable('events').addColumn('preview', 'text').execute();
      await db.schema
        .createTable('audit_signatures')
        .addColumn('session_id', 'text', (column) => column.notNull())
        .addColumn('seq', 'integer', (column) => column.notNull())
        .addColumn('final', 'integer', (column) => column.notNull())
        .addColumn('hash', 'text', (column) => column.notNull())
        .addColumn('key_id', 'text', (column) => column.notNull())
        .addColumn('signature', 'text', (column) => column.notNull())
        .addColumn('signed_at', 'text', (column) => column.notNull())
        // One signature per head: a journal replayed twice adds nothing.
        .addPrimaryKeyConstraint('audit_signatures_pk', ['session_id', 'seq', 'final'])
        .execute();
    },
  },
  '0006_audit_purges': {
    async up(db: Kysely<unknown>) {
      // Each retention purge is itself recorded (src/server/store/retention-queries.ts).
      await db.schema
        .createTable('audit_purges')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('purged_at', 'text', (column) => column.notNull())
        .addColumn('cutoff', 'text', (column) => column.notNull())
        .addColumn('sessions', 'bigint', (column) => column.notNull())
        .addColumn('events', 'bigint', (column) => column.notNull())
        .addColumn('signatures', 'bigint', (column) => column.notNull())
        .addColumn('reviews', 'bigint', (column) => column.notNull())
        .addColumn('gateway', 'text', (column) => column.notNull())
        .execute();
      // A purge finds the sessions that ended before its cutoff.
      await db.schema.createIndex('sessions_ended_at').on('sessions').column('ended_at').execute();
    },
  },
  '0007_event_detail': {
    async up(db: Kysely<unknown>) {
      // Events of kinds other than statements keep their own fields here (store.ts AuditEvent).
      await db.schema.alterTable('events').addColumn('detail', 'text').execute();
    },
  },
  '0008_identity_methods': {
    async up(db: Kysely<unknown>) {
      // Reviews and votes name their identity by method and subject, as sessions
      // always have (src/lib/principal.ts). Rows written before know only the
      // subject: one outside `apikey:` can only have been a provider's; one inside
      // it was an API key's or a provider token's that claimed it, so it stays
      // NULL (unknown), which matches nobody. Sessions are not touched: their
      // rows are hash-chained, and have recorded auth_method from the start.
      await db.schema.alterTable('reviews').addColumn('requester_method', 'text').execute();
      await db.schema.alterTable('review_votes').addColumn('method', 'text').execute();
      await sql`
        update reviews set requester_method = 'oidc'
        where substr(requester_subject, 1, 7) <> 'apikey:'
      `.execute(db);
      await sql`
        update review_votes set method = 'oidc'
        where substr(subject, 1, 7) <> 'apikey:'
      `.execute(db);
    },
  },
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
