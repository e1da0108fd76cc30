export type {
  NewGrantReview,
  NewStatementReview,
  Review,
  ReviewKind,
  ReviewOutcome,
  ReviewRequester,
  ReviewService,
  ReviewStatus,
  ReviewVote,
} from './types.js';
export { ReviewDesk, outcomeOf, type ReviewDeskOptions, type ReviewEvent } from './review-desk.js';
export { checkApprover, mayApprove } from './approver.js';
export { REVIEW_COMMANDS } from './commands.js';
export { ReviewNotifier, slackText, type NotifierOptions } from './notifier.js';
export { signWebhook, verifyWebhook, SIGNATURE_HEADER } from './webhook-signature.js';
export { grantRuleOf, isSessionRule, policyUnderGrant, requirementOf } from './grant-policy.js';
export {
  holdForReview,
  requesterOf,
  WAITING_PREFIX,
  type HoldContext,
  type HoldMode,
} from './hold-hook.js';
export { admitSession, requestGrant } from './grant-access.js';
