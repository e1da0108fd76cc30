export type {
  Decision,
  Effect,
  MaskDirective,
  MaskSpec,
  Policy,
  PolicyRequest,
  ReviewRequirement,
  ReviewSpec,
  Rule,
  RuleMatch,
  SqlAction,
} from './types.js';
export { DEFAULT_REVIEW_TIMEOUT_MS } from './types.js';
export { DETECTORS, STATEMENT_KINDS, type Detector, type StatementKind } from './vocabulary.js';
export { DAYS, type Day, type TimeWindow } from './time-window.js';
export { loadPolicy, parsePolicy, policyFromRules, policyHash } from './parse.js';
export { PolicyReloader, type PolicyStatus, type ReloadResult } from './reloader.js';
export { decideSql, refusal } from './sql-decision.js';
export { decideRequest } from './action-decision.js';
export {
  decideStatements,
  statementRequest,
  type StatementDecision,
  type StatementDecisions,
} from './statement-decisions.js';
export { requestFor, type Requester } from './request.js';
