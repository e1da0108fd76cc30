import { HoopError } from '../../lib/errors.js';
import { samePrincipal } from '../../lib/principal.js';
import type { Review, ReviewRequester } from './types.js';

/**
 * Whether `approver` may vote on `review` now, as far as who they are goes:
 * not the requester (four eyes), in one of the rule's approver groups, and
 * not already among the voters. Status and expiry are checked by the desk.
 *
 * @throws HoopError `HOOP_REVIEW_SELF_APPROVAL`, `HOOP_REVIEW_NOT_APPROVER`
 *   or `HOOP_REVIEW_ALREADY_VOTED`.
 */
export function checkApprover(review: Review, approver: ReviewRequester): void {
  if (mayBeRequester(review, approver)) {
    throw new HoopError(
      'HOOP_REVIEW_SELF_APPROVAL',
      `${approver.name} requested review ${review.id} and cannot decide it`,
      { hint: `Ask someone in ${groupList(review)} to decide it.` },
    );
  }
  if (!mayApprove(review, approver)) {
    throw new HoopError(
      'HOOP_REVIEW_NOT_APPROVER',
      `${approver.name} is not in the approver groups of rule "${review.requirement.rule}" (${groupList(review)})`,
      { hint: `Ask someone in ${groupList(review)} to decide review ${review.id}.` },
    );
  }
  // Votes are one per subject (the store's key): with subjects namespaced, one per identity.
  const cast = review.votes.find((vote) => vote.subject === approver.subject);
  if (cast) {
    throw new HoopError(
      'HOOP_REVIEW_ALREADY_VOTED',
      cast.method === undefined
        ? `a vote on review ${review.id} was recorded as ${approver.subject} before the gateway recorded identity kinds; it cannot be told from yours, so it is not counted and you cannot vote again`
        : `${approver.name} has already voted on review ${review.id}`,
      { hint: 'Each approver votes once; approvals count distinct approvers.' },
    );
  }
}

/**
 * Whether `who` is, or may be, the requester: the same identity, or the same
 * subject where the request's kind of identity was not recorded (an older
 * version's review in the `apikey:` namespace), which four eyes cannot rule out.
 */
export function mayBeRequester(review: Review, who: ReviewRequester): boolean {
  const { requester } = review;
  return (
    samePrincipal(requester, who) ||
    (requester.method === undefined && requester.subject === who.subject)
  );
}

/** The approver shares one of the rule's approver groups. */
export function mayApprove(review: Review, who: ReviewRequester): boolean {
  return who.groups.some((group) => review.requirement.approvers.includes(group));
}

function groupList(review: Review): string {
  return review.requirement.approvers.join(', ');
}
