import type { Principal } from '../../lib/principal.js';
import type { ReviewRequirement } from '../enforcement/index.js';
import type { Review, ReviewRequester, ReviewStatus } from '../store/index.js';

/**
 * Just-in-time approvals, protocol-neutral: the records are the store's
 * (`store/review-records.ts`); what the desk does with them is here.
 */
export type {
  Review,
  ReviewKind,
  ReviewRequester,
  ReviewStatus,
  ReviewVote,
} from '../store/index.js';

/** How a held request ended. */
export type ReviewOutcome =
  | { status: 'approved'; review: Review }
  | { status: 'rejected'; review: Review; by: string; reason?: string }
  | { status: 'expired'; review: Review };

export interface NewStatementReview {
  requester: ReviewRequester;
  connection: string;
  text: string;
  fingerprint?: string;
  requirement: ReviewRequirement;
  policyHash: string;
  sessionId?: string;
}

export interface NewGrantReview {
  requester: ReviewRequester;
  connection: string;
  durationMs: number;
  reason: string;
  requirement: ReviewRequirement;
  policyHash: string;
}

/**
 * The gateway's review desk. Errors are `HoopError`s with stable codes:
 * `HOOP_REVIEW_NOT_FOUND`, `HOOP_REVIEW_SELF_APPROVAL` (requesters cannot
 * decide their own), `HOOP_REVIEW_NOT_APPROVER` (not in the rule's approver
 * groups), `HOOP_REVIEW_ALREADY_VOTED`, `HOOP_REVIEW_DECIDED` (no longer
 * pending), `HOOP_REVIEW_EXPIRED`, `HOOP_REVIEW_MISMATCH` (an approval used
 * by someone else, on another connection or for other text),
 * `HOOP_REVIEW_CONSUMED` (an approved statement already ran).
 */
export interface ReviewService {
  requestStatement(request: NewStatementReview): Promise<Review>;
  requestGrant(request: NewGrantReview): Promise<Review>;
  get(id: string): Promise<Review | undefined>;
  /** Reviews `approver` may decide now (pending, in their approver groups, not their own), oldest first; or everything matching `filter`. */
  list(filter: {
    approver?: ReviewRequester;
    /** The reviews this identity asked for (method and subject). */
    requester?: Principal;
    status?: ReviewStatus;
    limit?: number;
  }): Promise<Review[]>;
  /** One approver's vote; the review is approved when it has the rule's number of approvals, rejected at the first rejection. */
  decide(
    id: string,
    approver: ReviewRequester,
    decision: 'approve' | 'reject',
    reason?: string,
  ): Promise<Review>;
  /** Resolves when the review is decided or expires; rejects if `signal` aborts (the client went away). */
  wait(id: string, signal?: AbortSignal): Promise<ReviewOutcome>;
  /**
   * `hoop exec --review ID`: marks an approved statement review as used and
   * returns it, if it belongs to `requester` on `connection` and its text is
   * exactly `text`; throws otherwise (see the codes above).
   */
  consume(
    id: string,
    requester: ReviewRequester,
    connection: string,
    text: string,
  ): Promise<Review>;
  /** The approved, unexpired grant `requester` holds on `connection`, if any. */
  activeGrant(
    requester: ReviewRequester,
    connection: string,
    now?: Date,
  ): Promise<Review | undefined>;
}
