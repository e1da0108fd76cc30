import type { AuthMethod, Principal } from '../../lib/principal.js';

/** A review rule's requirement as stored with its review (the enforcement contract's ReviewRequirement). */
export interface StoredRequirement {
  rule: string;
  approvers: readonly string[];
  approvals: number;
  timeoutMs: number;
}

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

/**
 * Who asked, as the gateway authenticated them: the method and subject name
 * the identity (src/lib/principal.ts). `method` is undefined only on a
 * review recorded before methods were (store migration 0008) whose subject is
 * in the `apikey:` namespace: it may have been the key's or a provider
 * token's, so it is nobody's.
 */
export interface ReviewRequester extends Principal {
  readonly method: AuthMethod | undefined;
  subject: string;
  name: string;
  groups: readonly string[];
}

export interface ReviewVote extends Principal {
  /** Undefined on a vote recorded before methods were whose kind is unknown (see ReviewRequester). */
  readonly method: AuthMethod | undefined;
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
  requirement: StoredRequirement;
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
