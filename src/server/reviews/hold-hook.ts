import { formatDuration } from '../../lib/duration.js';
import { HoopError } from '../../lib/errors.js';
import type { StatementAudit } from '../audit/index.js';
import type { SessionContext } from '../protocols/handler.js';
import type { GateDecision, HoldHook } from '../protocols/postgres/statement-gate.js';
import { isSqlHold } from '../sql-gate.js';
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

/**
 * The postgres handler's hold hook: creates the review for a held string,
 * tells the client (NoticeResponse) which rule holds it and how to approve
 * it, waits, and answers with the gate's allowing decision once approved or
 * a refusal naming the rule, the review and why.
 */
export function reviewHoldHook(options: {
  desk: ReviewDesk;
  mode: (sessionId: string) => HoldMode;
}): HoldHook {
  const { desk } = options;
  return async (session: SessionContext, held): Promise<GateDecision> => {
    if (!isSqlHold(held.hold)) throw new Error('the gate held a string without its review');
    const { requirement, approved } = held.hold;
    const requester = requesterOf(session);
    const connection = session.connection.name;
    const mode = options.mode(session.id);
    const refused = (message: string, id: string, outcome: string): GateDecision => ({
      allow: false,
      sqlState: '42501',
      message,
      audit: withReview(approved.audit, id, outcome, 'deny'),
    });

    if (mode.type === 'review') {
      try {
        const review = await desk.consume(mode.id, requester, connection, held.sql);
        session.log.info({ event: 'review_used', review: review.id }, 'approved statement runs');
        return { ...approved, audit: withReview(approved.audit, review.id, 'consumed', 'allow') };
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
      text: held.sql,
      fingerprint: held.hold.fingerprint,
      requirement,
      policyHash: held.hold.policyHash,
      sessionId: session.id,
    });
    const approve = REVIEW_COMMANDS.approve(review.id);
    const who = `${requirement.approvals} approval(s) from ${requirement.approvers.join(', ')}`;
    session.log.info(
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
    held.notice(
      `hoop: policy rule "${requirement.rule}" holds this statement for review ${review.id} ` +
        `(${who}; waits up to ${formatDuration(requirement.timeoutMs)}). An approver runs: ${approve}`,
    );
    let outcome;
    try {
      outcome = await desk.wait(review.id, held.signal);
    } catch (error) {
      if (held.signal.aborted) {
        session.log.info(
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
        return { ...approved, audit: withReview(approved.audit, review.id, 'approved', 'allow') };
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
  };
}

export function requesterOf(session: Pick<SessionContext, 'identity'>): ReviewRequester {
  const { subject, name, groups } = session.identity;
  return { subject, name, groups: [...groups] };
}

function withReview(
  audit: unknown,
  id: string,
  outcome: string,
  decision: 'allow' | 'deny',
): StatementAudit | undefined {
  if (typeof audit !== 'object' || audit === null) return undefined;
  return { ...(audit as StatementAudit), decision, review: { id, outcome } };
}
