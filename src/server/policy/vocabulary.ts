/**
 * The words a policy may use: statement kinds as the SQL classifier reports them, and the content
 * detectors the masking stage runs: one list each, owned by those modules
 * (their type-only modules, so policy does not load the parser). A rule
 * naming a word that is not here is a typo, reported with a suggestion.
 */
export { STATEMENT_KINDS, type StatementKind } from '../sql/types.js';
export { DETECTOR_NAMES as DETECTORS, type DetectorName as Detector } from '../masking/types.js';
