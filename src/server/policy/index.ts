export type {
  Decision,
  Effect,
  MaskDirective,
  MaskSpec,
  Policy,
  PolicyRequest,
  ReviewSpec,
  Rule,
  RuleMatch,
  SqlAction,
} from './types.js';
export { DETECTORS, STATEMENT_KINDS, type Detector, type StatementKind } from './vocabulary.js';
export { loadPolicy, parsePolicy, policyFromRules, policyHash } from './parse.js';
