import type { Allowed, Refused } from './decision.js';

/** What a `review` decision asks for: who must approve, how many, and how long the request may wait. */
export interface ReviewRequirement {
  rule: string;
  /** Approver groups: an approver must share one of them. */
  approvers: readonly string[];
  approvals: number;
  timeoutMs: number;
}

/**
 * An action held until someone approves it: what must be approved, and the
 * decision that applies once it is (its masks and its record).
 */
export interface Hold {
  requirement: ReviewRequirement;
  /** The policy version that asked for the review. */
  policyHash: string;
  /** What is approved: the action's text as the client sent it … */
  text: string;
  /** … and its fingerprint (`;`-joined per statement for SQL). */
  fingerprint: string;
  approved: Allowed;
}

/** How a protocol lets its client know about a held action while it waits. */
export interface HoldIo {
  /** Tells the client now, in its protocol (a NoticeResponse, stderr …), while the action waits. */
  notice(message: string): void;
  /** Aborts when the client goes away: the wait is abandoned. */
  signal: AbortSignal;
}

/** How a held action ends: released with its masks, or refused naming the review. */
export type Released = Allowed | Refused;
