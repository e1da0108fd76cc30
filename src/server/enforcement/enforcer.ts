import type { Action } from './action.js';
import type { Decision, Held, Released } from './decision.js';
import type { MaskPlan, ResultMasker } from './mask.js';
import type { ActionOutcome, ActionRecord, TerminalChunk } from './record.js';
import type { HoldIo } from './review.js';

/**
 * The one interface between a protocol and enforcement (policy, reviews,
 * masking, audit), bound to one session: its identity, its connection, how
 * its client wants held actions handled, the grant it was opened under.
 * Every protocol drives the same pipeline through it:
 *
 *     decide → (hold → released) → forward or refuse → mask results → record
 *
 * A protocol never reads a decision's records or mask plans; it hands them
 * back here.
 */
export interface Enforcer {
  /** False when no policy is configured: every action is allowed and nothing is masked or recorded per action. */
  readonly active: boolean;
  /**
   * The version of the policy deciding now (`sha256:…`), undefined without
   * one: a protocol that keeps a decision for later use (a prepared
   * statement) checks it still holds.
   */
  readonly policyVersion: string | undefined;
  /** How much of each result a record keeps as its preview; none when unset (the protocol captures nothing). */
  readonly preview?: { rows: number; bytes: number };
  /** Decides one action. Synchronous and cheap: safe on the hot path. */
  decide(action: Action): Decision;
  /**
   * Holds a `review` decision until it is approved (the approved decision,
   * with its masks), rejected, expires or cannot be used (a refusal naming
   * the review), however long that takes. Rejects only when the wait fails
   * (the client went away: `io.signal`).
   */
  hold(held: Held, io: HoldIo): Promise<Released>;
  /** The masker for an allowed action's mask plan; the same plan gets the same masker. */
  masker(plan: MaskPlan): ResultMasker;
  /**
   * Records how an action ended. A returned promise resolves when the
   * record is durable: the protocol holds the bytes that complete the
   * action's response until then, so a client never gets an answer whose
   * record could be lost. If it rejects, the session must end (fail closed).
   */
  record(record: ActionRecord, outcome: ActionOutcome): Promise<void> | undefined;
  /**
   * Records how far an action has got, before part of its response goes to
   * the client while the rest is still to come (a statement of a simple
   * Query holding several). Its `record` later replaces it; if the gateway
   * stops first, this outcome is the action's event, marked unfinished. The
   * promise is held for as `record`'s is.
   */
  progress(record: ActionRecord, outcome: ActionOutcome): Promise<void> | undefined;
  /** Records terminal output (or input) of an interactive session, for replay. */
  terminal(chunk: TerminalChunk): Promise<void> | undefined;
}
