import type { ReviewRequirement } from '../policy/index.js';

/**
 * Just-in-time approvals, protocol-neutral.
 *
 * Two kinds of request wait for approvers:
 * - `statement`: one request (a SQL statement, later an SSH command or an
 *   HTTP request) that matched a `review` rule. Its approval is bound to the
 *   requester, the connection and the exact text, and is used once.
 * - `grant`: access to a connection for a while (`hoop reviews request
 *   pg-prod --duration 30m`), for connections whose opening matches a
 *   `review` rule. It ends on time, and sessions opened under it are closed.
 */
export type ReviewKind = 'statement' | 'grant';

export type ReviewStatus =
  /** Waiting for approvals. */
  | 'pending'
  /** Enough approvals: a statement may run (once), a grant is in force until `grantedUntil`. */
  | 'approved'
  | 'rejected'
  /** Nobody decided before `expiresAt`. */
  | 'expired'
  /** A statement review whose approved text has run. */
  | 'consumed';

/** Who asked, as the gateway authenticated them. */
export interface ReviewRequester {
  subject: string;
  name: string;
  groups: readonly string[];
}

export interface ReviewVote {
  subject: string;
  name: string;
  decision: 'approve' | 'reject';
  reason?: string;
  at: Date;
}

export interface Review {
  /** `rev_…` (`newId('rev')`). */
  id: string;
  kind: ReviewKind;
  status: ReviewStatus;
  requester: ReviewRequester;
  /** The connection's name. */
  connection: string;
  /** `statement`: the exact text to run. */
  text?: string;
  /** `statement`: the text's fingerprint, for listings. */
  fingerprint?: string;
  /** `grant`: how long access lasts once approved, in ms. */
  durationMs?: number;
  /** Why the requester asks (grants; optional for statements). */
  reason?: string;
  /** The policy rule that asked for the review, its approver groups and number of approvals. */
  requirement: ReviewRequirement;
  /** The hash of the policy version that decided it. */
  policyHash: string;
  /** The session the statement was sent in, if any. */
  sessionId?: string;
  createdAt: Date;
  /** When a pending review expires (createdAt + the rule's timeout). */
  expiresAt: Date;
  decidedAt?: Date;
  /** `grant`, approved: access ends then. */
  grantedUntil?: Date;
  votes: ReviewVote[];
}

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
    requester?: string;
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
