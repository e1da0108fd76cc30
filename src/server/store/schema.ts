import type { Generated } from 'kysely';

/** Table shapes as Kysely sees them; times are ISO-8601 UTC text so that every backend sorts them the same way. */
export interface SessionsTable {
  id: string;
  subject: string;
  identity_name: string;
  identity_kind: string;
  auth_method: string;
  groups: string;
  connection: string;
  connection_type: string;
  client_addr: string;
  started_at: string;
  ended_at: string | null;
  bytes_up: Generated<number>;
  bytes_down: Generated<number>;
  close_reason: string | null;
  close_detail: string | null;
  actors: string | null;
  token_id: string | null;
}

/** One audit event; `kinds` and `tables` are JSON arrays. */
export interface EventsTable {
  id: string;
  session_id: string;
  seq: number;
  at: string;
  kind: string;
  text: string;
  fingerprint: string | null;
  kinds: string;
  tables: string;
  decision: string;
  rule: string | null;
  policy_hash: string | null;
  rows: number | null;
  duration_ms: number | null;
  error_code: string | null;
  error_message: string | null;
}

export interface Database {
  sessions: SessionsTable;
  events: EventsTable;
}
