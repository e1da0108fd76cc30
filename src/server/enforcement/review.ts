/** What a `review` decision asks for: who must approve, how many, and how long the request may wait. */
export interface ReviewRequirement {
  rule: string;
  /** Approver groups: an approver must share one of them. */
  approvers: readonly string[];
  approvals: number;
  timeoutMs: number;
}

/** How a protocol lets its client know about a held action while it waits. */
export interface HoldIo {
  /** Tells the client now, in its protocol (a NoticeResponse, stderr …), while the action waits. */
  notice(message: string): void;
  /** Aborts when the client goes away: the wait is abandoned. */
  signal: AbortSignal;
}
