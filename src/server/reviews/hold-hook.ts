import { formatDuration } from '../../lib/duration.js';
import { HoopError } from '../../lib/errors.js';
import type { AuthMethod } from '../../lib/principal.js';
import type {
  ActionRecord,
  Allowed,
  Held,
  HoldIo,
  Refused,
  Released,
} from '../enforcement/index.js';
import type { Logger } from '../logger.js';
import { REVIEW_COMMANDS } from './commands.js';
import type { ReviewDesk } from './review-desk.js';
import type { ReviewRequester } from './types.js';

/**
 * How a session treats statements that need a review, chosen by the client
 * on the tunnel URL (see the README):
 * - `wait` (default; psql, `hoop exec --wait`): held until decided or expired;
 * - `no-wait` (`?hold=false`, `hoop exec`): the review is created and the
 *   statement answered at once with an error naming it;
 * - `review` (`?review=ID`, `hoop exec --review ID`): the approved review
 *   is used, once, for exactly its text.
 */
export type HoldMode = { type: 'wait' } | { type: 'no-wait' } | { type: 'review'; id: string };

/** The error text `hoop exec` recognises as "waiting for a review" (exit 4). */
export const WAITING_PREFIX = 'hoop: waiting for review ';

/** The session a held action belongs to, as the review needs it. */
export interface HoldContext {
  sessionId: string;
  requester: ReviewRequester;
  /** The connection's name. */
  connection: string;
  mode: HoldMode;
  log: Logger;
}

/**
 * Holds an action for review: creates the review, tells the client (a
 * notice in its protocol) which rule holds it and how to approve it, waits,
 * and answers with the approved decision (its masks, its record naming the
 * review) or a refusal naming the rule, the review and why. In `no-wait`
 * mode it answers at once with the review's ID; in `review` mode it uses the
 * approved review the client named, once, for exactly its text.
 */
export async function holdForReview(
  desk: ReviewDesk,
  context: HoldContext,
  held: Held,
  io: HoldIo,
): Promise<Released> {
  const { requirement, approved } = held.hold;
  const { requester, connection, mode, log } = context;
  const refused = (message: string, id: string, outcome: string): Refused => ({
    effect: 'deny',
    reason: 'review',
    message,
    rule: requirement.rule,
    ...(approved.record ? { record: withReview(approved.record, id, outcome, 'deny') } : {}),
  });
  const release = (id: string, outcome: string): Allowed => ({
    ...approved,
    ...(approved.record ? { record: withReview(approved.record, id, outcome, 'allow') } : {}),
  });

  if (mode.type === 'review') {
    try {
      const review = await desk.consume(mode.id, requester, connection, held.hold.text);
      log.info({ event: 'review_used', review: review.id }, 'approved statement runs');
      return release(review.id, 'consumed');
    } catch (error) {
      if (!(error instanceof HoopError)) throw error;
      return refused(
        `hoop: review ${mode.id} cannot be used (${error.code}): ${error.message}`,
        mode.id,
        error.code,
      );
    }
  }

  const review = await desk.requestStatement({
    requester,
    connection,
    text: held.hold.text,
    fingerprint: held.hold.fingerprint,
    requirement,
    policyHash: held.hold.policyHash,
    sessionId: context.sessionId,
  });
  const approve = REVIEW_COMMANDS.approve(review.id);
  const who = `${requirement.approvals} approval(s) from ${requirement.approvers.join(', ')}`;
  log.info(
    { event: 'review_requested', review: review.id, rule: requirement.rule },
    'statement held for review',
  );
  if (mode.type === 'no-wait') {
    return refused(
      `${WAITING_PREFIX}${review.id} (policy rule "${requirement.rule}", ${who}); ` +
        `an approver runs \`${approve}\`, then run the same text with --review ${review.id} (or use --wait)`,
      review.id,
      'pending',
    );
  }
  io.notice(
    `hoop: policy rule "${requirement.rule}" holds this statement for review ${review.id} ` +
      `(${who}; waits up to ${formatDuration(requirement.timeoutMs)}). An approver runs: ${approve}`,
  );
  let outcome;
  try {
    outcome = await desk.wait(review.id, io.signal);
  } catch (error) {
    if (io.signal.aborted) {
      log.info(
        { event: 'review_abandoned', review: review.id },
        'the client left while its statement waited for review',
      );
    }
    throw error;
  }
  switch (outcome.status) {
    case 'approved':
      try {
        await desk.consumeHeld(review.id);
      } catch (error) {
        if (!(error instanceof HoopError)) throw error;
        return refused(
          `hoop: review ${review.id} cannot be used (${error.code}): ${error.message}`,
          review.id,
          error.code,
        );
      }
      return release(review.id, 'approved');
    case 'rejected':
      return refused(
        `hoop: refused by policy rule "${requirement.rule}": review ${review.id} was rejected by ${outcome.by}` +
          (outcome.reason ? `: ${outcome.reason}` : ''),
        review.id,
        'rejected',
      );
    case 'expired':
      return refused(
        `hoop: refused by policy rule "${requirement.rule}": review ${review.id} timed out after ` +
          `${formatDuration(requirement.timeoutMs)} without approval`,
        review.id,
        'expired',
      );
  }
}

/** Who asks for a review, from the session's identity: its method and subject bind the approval. */
export function requesterOf(identity: {
  method: AuthMethod;
  subject: string;
  name: string;
  groups: readonly string[];
}): ReviewRequester {
  const { method, subject, name, groups } = identity;
  return { method, subject, name, groups: [...groups] };
}

function withReview(
  record: ActionRecord,
  id: string,
  outcome: string,
  decision: 'allow' | 'deny',
): ActionRecord {
  return { ...record, decision, review: { id, outcome } };
}
