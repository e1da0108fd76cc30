/**
 * The contract between protocols and enforcement. Protocol code imports
 * this (and the target connector), never policy, masking, reviews or audit;
 * those implement it and never import protocol code.
 */
export type {
  Action,
  HttpRequest,
  KubernetesRequest,
  OpenSession,
  RunCommand,
  RunSql,
  SqlAnalysis,
  SqlStatement,
} from './action.js';
export {
  refusedInstead,
  type Allowed,
  type Decision,
  type Held,
  type Hold,
  type RefusalReason,
  type Refused,
  type Released,
} from './decision.js';
export { COLUMN_USES, type ColumnUse, type ColumnUseKind, type UseSource } from './column-uses.js';
export type { Enforcer } from './enforcer.js';
export type { LineageSource, OutputLineage } from './lineage.js';
export type {
  AppliedMask,
  CellMasker,
  ColumnCategory,
  ColumnName,
  ColumnOrigin,
  MaskPlan,
  MaskRule,
  ResultColumn,
  ResultMasker,
} from './mask.js';
export type {
  ActionOutcome,
  ActionRecord,
  CommandOutcome,
  CommandRecord,
  HttpOutcome,
  HttpRecord,
  OutcomeError,
  ResultPreview,
  SqlOutcome,
  SqlRecord,
  TerminalChunk,
} from './record.js';
export type { HoldIo, ReviewRequirement } from './review.js';
