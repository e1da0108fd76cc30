import type { Node } from '@libpg-query/parser';
import type { StatementKind } from './types.js';

type NodeTag = Node extends infer N ? (N extends unknown ? keyof N : never) : never;
type StatementTag = Extract<NodeTag, `${string}Stmt`>;

/**
 * The kinds each statement node performs by itself. Typed over every `*Stmt`
 * node in `@pgsql/types`, so upgrading the parser fails typecheck until a new
 * statement is mapped. Nested statements add their own kinds (see `walk.ts`);
 * a few kinds depend on the node's fields and are added there too (SELECT
 * INTO, FOR UPDATE, COPY direction, MERGE actions, ALTER TABLE … DROP COLUMN).
 *
 * Following PostgreSQL's own grouping where it has one (`GetCommandLogLevel`
 * in src/backend/tcop/utility.c): maintenance commands are `vacuum`,
 * CONSTRAINTS SET belongs to transactions. Role, ownership and row-security
 * changes are also `grant`, so a rule on privilege changes catches them all.
 */
const KINDS: Record<StatementTag, readonly StatementKind[]> = {
  SelectStmt: ['select'],
  SetOperationStmt: ['select'],
  InsertStmt: ['insert'],
  UpdateStmt: ['update'],
  DeleteStmt: ['delete'],
  MergeStmt: ['merge'],

  DropStmt: ['drop'],
  DropdbStmt: ['drop'],
  DropTableSpaceStmt: ['drop'],
  DropSubscriptionStmt: ['drop'],
  DropUserMappingStmt: ['drop'],
  DropRoleStmt: ['drop', 'grant'],
  DropOwnedStmt: ['drop', 'grant'],
  TruncateStmt: ['truncate'],

  GrantStmt: ['grant'],
  GrantRoleStmt: ['grant'],
  AlterDefaultPrivilegesStmt: ['grant'],
  CreateRoleStmt: ['ddl', 'grant'],
  AlterRoleStmt: ['ddl', 'grant'],
  AlterRoleSetStmt: ['ddl', 'grant'],
  AlterOwnerStmt: ['ddl', 'grant'],
  ReassignOwnedStmt: ['ddl', 'grant'],
  CreatePolicyStmt: ['ddl', 'grant'],
  AlterPolicyStmt: ['ddl', 'grant'],

  CopyStmt: ['copy'],
  CallStmt: ['call'],
  DoStmt: ['do'],
  ExplainStmt: ['explain'],
  TransactionStmt: ['transaction'],
  ConstraintsSetStmt: ['transaction'],
  VariableSetStmt: ['set'],
  DiscardStmt: ['set'],
  VariableShowStmt: ['show'],
  PrepareStmt: ['prepare'],
  DeallocateStmt: ['prepare'],
  ExecuteStmt: ['execute'],
  LockStmt: ['lock'],
  VacuumStmt: ['vacuum'],
  ClusterStmt: ['vacuum'],
  ReindexStmt: ['vacuum'],
  CheckPointStmt: ['vacuum'],
  ListenStmt: ['listen'],
  UnlistenStmt: ['listen'],
  NotifyStmt: ['notify'],
  DeclareCursorStmt: ['cursor'],
  FetchStmt: ['cursor'],
  ClosePortalStmt: ['cursor'],

  AlterCollationStmt: ['ddl'],
  AlterDatabaseRefreshCollStmt: ['ddl'],
  AlterDatabaseSetStmt: ['ddl'],
  AlterDatabaseStmt: ['ddl'],
  AlterDomainStmt: ['ddl'],
  AlterEnumStmt: ['ddl'],
  AlterEventTrigStmt: ['ddl'],
  AlterExtensionContentsStmt: ['ddl'],
  AlterExtensionStmt: ['ddl'],
  AlterFdwStmt: ['ddl'],
  AlterForeignServerStmt: ['ddl'],
  AlterFunctionStmt: ['ddl'],
  AlterObjectDependsStmt: ['ddl'],
  AlterObjectSchemaStmt: ['ddl'],
  AlterOpFamilyStmt: ['ddl'],
  AlterOperatorStmt: ['ddl'],
  AlterPublicationStmt: ['ddl'],
  AlterSeqStmt: ['ddl'],
  AlterStatsStmt: ['ddl'],
  AlterSubscriptionStmt: ['ddl'],
  AlterSystemStmt: ['ddl'],
  AlterTSConfigurationStmt: ['ddl'],
  AlterTSDictionaryStmt: ['ddl'],
  AlterTableMoveAllStmt: ['ddl'],
  AlterTableSpaceOptionsStmt: ['ddl'],
  AlterTableStmt: ['ddl'],
  AlterTypeStmt: ['ddl'],
  AlterUserMappingStmt: ['ddl'],
  CommentStmt: ['ddl'],
  CompositeTypeStmt: ['ddl'],
  CreateAmStmt: ['ddl'],
  CreateCastStmt: ['ddl'],
  CreateConversionStmt: ['ddl'],
  CreateDomainStmt: ['ddl'],
  CreateEnumStmt: ['ddl'],
  CreateEventTrigStmt: ['ddl'],
  CreateExtensionStmt: ['ddl'],
  CreateFdwStmt: ['ddl'],
  CreateForeignServerStmt: ['ddl'],
  CreateForeignTableStmt: ['ddl'],
  CreateFunctionStmt: ['ddl'],
  CreateOpClassStmt: ['ddl'],
  CreateOpFamilyStmt: ['ddl'],
  CreatePLangStmt: ['ddl'],
  CreatePublicationStmt: ['ddl'],
  CreateRangeStmt: ['ddl'],
  CreateSchemaStmt: ['ddl'],
  CreateSeqStmt: ['ddl'],
  CreateStatsStmt: ['ddl'],
  CreateStmt: ['ddl'],
  CreateSubscriptionStmt: ['ddl'],
  CreateTableAsStmt: ['ddl'],
  CreateTableSpaceStmt: ['ddl'],
  CreateTransformStmt: ['ddl'],
  CreateTrigStmt: ['ddl'],
  CreateUserMappingStmt: ['ddl'],
  CreatedbStmt: ['ddl'],
  DefineStmt: ['ddl'],
  ImportForeignSchemaStmt: ['ddl'],
  IndexStmt: ['ddl'],
  RefreshMatViewStmt: ['ddl'],
  RenameStmt: ['ddl'],
  ReplicaIdentityStmt: ['ddl'],
  RuleStmt: ['ddl'],
  SecLabelStmt: ['ddl'],
  ViewStmt: ['ddl'],

  // LOAD loads a shared library into the backend; also in the `@code-loading` group.
  LoadStmt: ['utility'],
  // Only PL/pgSQL's own parse modes produce these, and RawStmt wraps the others.
  PLAssignStmt: ['utility'],
  ReturnStmt: ['utility'],
  RawStmt: ['utility'],
};

const UNKNOWN: readonly StatementKind[] = ['utility'];

/** Whether a node tag names a statement (`*Stmt`), known or not. */
export function isStatementTag(tag: string): boolean {
  return tag.endsWith('Stmt');
}

/** The kinds a statement node performs by itself; `utility` for one this table does not know. */
export function statementKinds(tag: string): readonly StatementKind[] {
  return Object.hasOwn(KINDS, tag) ? KINDS[tag as StatementTag] : UNKNOWN;
}

/**
 * Kinds that change data, schema, privileges or server state, or run code
 * this module cannot see. `utility` is here because it is what the table does
 * not know: unknown is treated as writing.
 */
export const WRITE_KINDS: ReadonlySet<StatementKind> = new Set<StatementKind>([
  'insert',
  'update',
  'delete',
  'merge',
  'ddl',
  'drop',
  'truncate',
  'grant',
  'call',
  'do',
  'execute',
  'vacuum',
  'utility',
  'dynamic',
  'copy_from_file',
  'copy_to_file',
  'copy_from_program',
  'copy_to_program',
]);
