/**
 * SQL classification for policy: which kinds of statement a query string
 * holds, which relations and functions it names, from PostgreSQL's own
 * parser (libpg_query). Protocol-neutral: text in, findings out.
 */
export { cachedClassifier, type ClassificationCacheOptions } from './classification-cache.js';
export { toAnalysis, type StatementAnalysis } from './analysis.js';
export { classifySql } from './classify.js';
export { DANGEROUS_FUNCTIONS, DANGEROUS_OPERATIONS } from './dangerous.js';
export { initSqlParser } from './parser.js';
export type { Classification, ClassifiedStatement, CopyInfo, StatementKind } from './types.js';
