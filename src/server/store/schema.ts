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

export interface Database {
  sessions: SessionsTable;
}
