import type { SqlAnalysis } from '../enforcement/index.js';
import type { Classification, ClassifiedStatement } from './types.js';

/** A classification in the enforcement contract's terms, the statements kept as classified. */
export type StatementAnalysis =
  | { parsed: true; statements: readonly ClassifiedStatement[] }
  | Extract<SqlAnalysis, { parsed: false }>;

/** What the enforcer is given for a classified string (no copy: the statements are the classifier's). */
export function toAnalysis(classification: Classification): StatementAnalysis {
  return classification.ok
    ? { parsed: true, statements: classification.statements }
    : { parsed: false, reason: classification.reason, error: classification.error };
}
