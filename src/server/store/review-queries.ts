import type { Kysely, Selectable } from 'kysely';
import { asAuthMethod, type Principal } from '../../lib/principal.js';
import type {
  Review,
  ReviewKind,
  ReviewStatus,
  ReviewVote,
  StoredRequirement,
} from './review-records.js';
import type { Database, ReviewVotesTable, ReviewsTable } from './schema.js';

/** Which reviews to list; newest first unless `oldestFirst`. */
export interface ReviewFilter {
  status?: ReviewStatus;
  /** Reviews this identity asked for (method and subject; an unknown method asked for none). */
  requester?: Principal;
  connection?: string;
  kind?: ReviewKind;
  oldestFirst?: boolean;
  limit?: number;
}

/** What a status change sets besides the status. */
export interface ReviewTransition {
  status: ReviewStatus;
  decidedAt?: Date;
  grantedUntil?: Date;
}

/**
 * The review desk's records. Status changes are compare-and-set (`from`), so
 * two gateways (or two votes racing in one) cannot both decide a review, and
 * an approved statement is consumed once.
 */
export interface ReviewRecords {
  insertReview(review: Review): Promise<void>;
  /** The review with its votes in the order they were cast. */
  getReview(id: string): Promise<Review | undefined>;
  listReviews(filter: ReviewFilter): Promise<Review[]>;
  /** Records one vote; false when this approver has already voted on the review. */
  addReviewVote(id: string, vote: ReviewVote): Promise<boolean>;
  /** Moves the review from `from` to `to.status`; false when it was no longer `from`. */
  transitionReview(id: string, from: ReviewStatus, to: ReviewTransition): Promise<boolean>;
}

const DEFAULT_LIST_LIMIT = 100;

/** The review queries every backend shares (portable SQL only). */
export function reviewQueries(db: Kysely<Database>): ReviewRecords {
  const votesOf = async (ids: readonly string[]): Promise<Map<string, ReviewVote[]>> => {
    const byReview = new Map<string, ReviewVote[]>();
    if (ids.length === 0) return byReview;
    const rows = await db
      .selectFrom('review_votes')
      .selectAll()
      .where('review_id', 'in', ids)
      .orderBy('at', 'asc')
      .execute();
    for (const row of rows) {
      const list = byReview.get(row.review_id) ?? [];
      list.push(toVote(row));
      byReview.set(row.review_id, list);
    }
    return byReview;
  };

  return {
    async insertReview(review) {
      await db.insertInto('reviews').values(toRow(review)).execute();
    },

    async getReview(id) {
      const row = await db
        .selectFrom('reviews')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst();
      if (!row) return undefined;
      const votes = await votesOf([id]);
      return toReview(row, votes.get(id) ?? []);
    },

    async listReviews(filter) {
      let query = db.selectFrom('reviews').selectAll();
      if (filter.status) query = query.where('status', '=', filter.status);
      const { requester } = filter;
      if (requester) {
        if (requester.method === undefined) return [];
        query = query
          .where('requester_method', '=', requester.method)
          .where('requester_subject', '=', requester.subject);
      }
      if (filter.connection) query = query.where('connection', '=', filter.connection);
      if (filter.kind) query = query.where('kind', '=', filter.kind);
      const order = filter.oldestFirst ? 'asc' : 'desc';
      const rows = await query
        .orderBy('created_at', order)
        .orderBy('id', order)
        .limit(filter.limit ?? DEFAULT_LIST_LIMIT)
        .execute();
      const votes = await votesOf(rows.map((row) => row.id));
      return rows.map((row) => toReview(row, votes.get(row.id) ?? []));
    },

    async addReviewVote(id, vote) {
      const result = await db
        .insertInto('review_votes')
        .values({
          review_id: id,
          method: vote.method ?? null,
          subject: vote.subject,
          name: vote.name,
          decision: vote.decision,
          reason: vote.reason ?? null,
          at: vote.at.toISOString(),
        })
        .onConflict((conflict) => conflict.columns(['review_id', 'subject']).doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
    },

    async transitionReview(id, from, to) {
      const result = await db
        .updateTable('reviews')
        .set({
          status: to.status,
          ...(to.decidedAt ? { decided_at: to.decidedAt.toISOString() } : {}),
          ...(to.grantedUntil ? { granted_until: to.grantedUntil.toISOString() } : {}),
        })
        .where('id', '=', id)
        .where('status', '=', from)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
  };
}

function toRow(review: Review): ReviewsTable {
  return {
    id: review.id,
    kind: review.kind,
    status: review.status,
    requester_method: review.requester.method ?? null,
    requester_subject: review.requester.subject,
    requester_name: review.requester.name,
    requester_groups: JSON.stringify(review.requester.groups),
    connection: review.connection,
    text: review.text ?? null,
    fingerprint: review.fingerprint ?? null,
    duration_ms: review.durationMs ?? null,
    reason: review.reason ?? null,
    requirement: JSON.stringify(review.requirement),
    policy_hash: review.policyHash,
    session_id: review.sessionId ?? null,
    created_at: review.createdAt.toISOString(),
    expires_at: review.expiresAt.toISOString(),
    decided_at: review.decidedAt?.toISOString() ?? null,
    granted_until: review.grantedUntil?.toISOString() ?? null,
  };
}

function toReview(row: Selectable<ReviewsTable>, votes: ReviewVote[]): Review {
  const review: Review = {
    id: row.id,
    kind: row.kind as ReviewKind,
    status: row.status as ReviewStatus,
    requester: {
      method: asAuthMethod(row.requester_method),
      subject: row.requester_subject,
      name: row.requester_name,
      groups: JSON.parse(row.requester_groups) as string[],
    },
    connection: row.connection,
    requirement: JSON.parse(row.requirement) as StoredRequirement,
    policyHash: row.policy_hash,
    createdAt: new Date(row.created_at),
    expiresAt: new Date(row.expires_at),
    votes,
  };
  if (row.text !== null) review.text = row.text;
  if (row.fingerprint !== null) review.fingerprint = row.fingerprint;
  if (row.duration_ms !== null) review.durationMs = Number(row.duration_ms);
  if (row.reason !== null) review.reason = row.reason;
  if (row.session_id !== null) review.sessionId = row.session_id;
  if (row.decided_at !== null) review.decidedAt = new Date(row.decided_at);
  if (row.granted_until !== null) review.grantedUntil = new Date(row.granted_until);
  return review;
}

function toVote(row: Selectable<ReviewVotesTable>): ReviewVote {
  return {
    method: asAuthMethod(row.method),
    subject: row.subject,
    name: row.name,
    decision: row.decision === 'reject' ? 'reject' : 'approve',
    ...(row.reason === null ? {} : { reason: row.reason }),
    at: new Date(row.at),
  };
}
