import type { MaskPlan } from './mask.js';
import type { ActionRecord } from './record.js';
import type { ReviewRequirement } from './review.js';

/** How the enforcer decided one action. */
export type Decision = Allowed | Refused | Held;

/** The action goes to the target, its results masked by `masks` when present. */
export interface Allowed {
  effect: 'allow';
  masks?: MaskPlan;
  /** What the audit trail keeps; absent when the gateway records nothing for the action (no policy). */
  record?: ActionRecord;
  /** Decided by the clock (a rule's time window or condition): holds for its instant only; decide again before using it later. */
  timed?: true;
}

/**
 * Why an action was refused, so each protocol can answer in its own words:
 * `policy` a rule (or the default deny) refused it; `review` its review was
 * rejected, expired, is pending for a client that cannot wait, or cannot be
 * used; `syntax` the protocol's parser rejected it and a rule needed to know
 * what it does; `limit` it exceeds one of the gateway's explicit limits on
 * untrusted input (the message names the limit and its code).
 */
export type RefusalReason = 'policy' | 'review' | 'syntax' | 'limit';

/** The action does not reach the target; the client is told `message`. */
export interface Refused {
  effect: 'deny';
  reason: RefusalReason;
  /** For the client: names the rule (and the review, for a review) and says why. */
  message: string;
  /** The deciding rule, when one decided. */
  rule?: string;
  /** A syntax error's 1-based character position in the text, when the parser knows it. */
  position?: number;
  record?: ActionRecord;
}

/**
 * The action may run once someone approves it. A protocol whose client can
 * wait hands `hold` to {@link Enforcer.hold}; one that cannot answers with
 * `message`, which names the review rule (fail closed).
 */
export interface Held {
  effect: 'review';
  hold: Hold;
  message: string;
  record?: ActionRecord;
  /** As {@link Allowed.timed}. */
  timed?: true;
}

/**
 * A decision the protocol overrides with a refusal because of what it
 * knows of its own wire (a COPY whose rows cannot be masked while `rule`
 * masks; SQL that would make the target read text differently from the
 * gateway): the record says `deny`, naming `rule` when one made it matter.
 */
export function refusedInstead(decision: Decision, message: string, rule?: string): Refused {
  return {
    effect: 'deny',
    reason: 'policy',
    message,
    ...(rule === undefined ? {} : { rule }),
    ...(decision.record
      ? {
          record: {
            ...decision.record,
            decision: 'deny' as const,
            ...(rule === undefined ? {} : { rule }),
          },
        }
      : {}),
  };
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

/** How a held action ends: released with its masks, or refused naming the review. */
export type Released = Allowed | Refused;
