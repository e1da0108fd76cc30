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
  review_id: string | null;
  review_outcome: string | null;
  /** JSON `{columns, rows, truncated}`. */
  preview: string | null;
  /** JSON: the fields of an event of a kind other than `statement` (see store.ts). */
  detail: string | null;
  prev_hash: string | null;
  hash: string | null;
}

/** A signed chain head; `final` is 1 for the signature over a session's end. */
export interface AuditSignaturesTable {
  session_id: string;
  seq: number;
  final: number;
  hash: string;
  key_id: string;
  signature: string;
  signed_at: string;
}

/** A review (src/server/reviews/types.ts); `requester_groups` and `requirement` are JSON. */
export interface ReviewsTable {
  id: string;
  kind: string;
  status: string;
  /** `apikey` or `oidc`; NULL for a row of before migration 0008 whose kind is unknown. */
  requester_method: string | null;
  requester_subject: string;
  requester_name: string;
  requester_groups: string;
  connection: string;
  text: string | null;
  fingerprint: string | null;
  duration_ms: number | null;
  reason: string | null;
  requirement: string;
  policy_hash: string;
  session_id: string | null;
  created_at: string;
  expires_at: string;
  decided_at: string | null;
  granted_until: string | null;
}

/** One approver's vote on a review. */
export interface ReviewVotesTable {
  review_id: string;
  /** `apikey` or `oidc`; NULL for a vote of before migration 0008 whose kind is unknown. */
  method: string | null;
  subject: string;
  name: string;
  decision: string;
  reason: string | null;
  at: string;
}

/** One retention purge: when, the cutoff, what it removed, which gateway ran it. */
export interface AuditPurgesTable {
  id: string;
  purged_at: string;
  cutoff: string;
  sessions: number;
  events: number;
  signatures: number;
  reviews: number;
  gateway: string;
}

export interface Database {
  sessions: SessionsTable;
  events: EventsTable;
  audit_signatures: AuditSignaturesTable;
  reviews: ReviewsTable;
  review_votes: ReviewVotesTable;
  audit_purges: AuditPurgesTable;
}
