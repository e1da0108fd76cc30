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
