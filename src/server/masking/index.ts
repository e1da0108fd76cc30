/**
 * Masking of query results: pure functions, no I/O. A protocol proxy builds a
 * `MaskPlan` per result set from the request's mask rules, then calls
 * `maskCell` per field (or `maskUtf8` / `maskText` on free text).
 */
export { DETECTORS, isDetectorName, resolveDetectors } from './detectors.js';
export {
  buildMaskPlan,
  compileMaskRules,
  maskCell,
  type ColumnAction,
  type ColumnPlan,
  type CompiledMaskRules,
  type MaskCellOptions,
  type MaskPlan,
  type MaskRule,
  type ResultColumn,
} from './plan.js';
export { redactColumn, redactHash, redactText } from './redact.js';
export { parseSelector, selectorMatches, type ColumnSelector, type ColumnSource } from './rules.js';
export { findAll, maskText, maskUtf8 } from './scan.js';
export { DETECTOR_NAMES, type Detector, type DetectorName, type Match } from './types.js';
export { createResultMasker } from './result-masker.js';
