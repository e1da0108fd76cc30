/**
 * SQL classification for policy: which kinds of statement a query string
 * holds, which relations and functions it names, and what the code it
 * carries does, from PostgreSQL's own parser (libpg_query). Protocol-neutral:
 * text in, findings out.
 */
export { cachedClassifier, type ClassificationCacheOptions } from './classification-cache.js';
export { toAnalysis, type StatementAnalysis } from './action-analysis.js';
export { classifySql, sqlClassifier, type ClassifyOptions } from './classify.js';
export { statementUses, usesAsCode } from './column-uses.js';
export {
  DANGEROUS_FUNCTIONS,
  DANGEROUS_OPERATIONS,
  FUNCTION_GROUPS,
  FUNCTION_GROUP_NAMES,
  type FunctionGroup,
} from './function-groups.js';
export {
  DEFAULT_SQL_LIMITS,
  SQL_LIMIT_CODES,
  type SqlLimitCode,
  type SqlLimits,
} from './limits.js';
export { initSqlParser } from './parser.js';
export { OffThreadClassifier, type OffThreadOptions } from './off-thread.js';
export {
  CODE_LOADING_SETTINGS,
  GUARDED_SETTINGS,
  LEXER_SETTINGS,
  ROLE_SETTINGS,
  isSafeEncoding,
  type SettingGuard,
} from './settings.js';
export { lastName } from './redefinitions.js';
export type {
  Classification,
  Classified,
  ClassifiedStatement,
  CopyInfo,
  Redefinition,
  RoutineRef,
  SettingChange,
  StatementKind,
  Unclassified,
  UnknownCode,
} from './types.js';
