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
