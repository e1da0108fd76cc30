import { asArray, asObject, stringParts, unwrap, type AstObject } from './ast.js';
import { DANGEROUS_OPERATIONS } from './function-groups.js';
import type { Findings } from './findings.js';
import { statementKinds } from './statement-kinds.js';
import type { Redefinition } from './types.js';

/**
 * What a schema statement changes about the code later statements run.
 *
 * The gateway reads what a statement reaches (function bodies, triggers,
 * rules, row-security policies, defaults, foreign-key actions) from the
 * target's catalog over a connection of its own, which sees only committed
 * changes. Within the transaction that changes such code, a later statement
 * would be decided by what the catalog said before: the protocol layer
 * treats later statements of that transaction that reach a redefined
 * object as unknowable (see `Redefinition`).
 *
 * A statement is left out (no redefinition) when it cannot make a later
 * statement run code it did not run before: it calls no routine by name
 * (built-in expressions only) and adds no trigger, rule, row security,
 * partition, inheritance or foreign-key action (CREATE TABLE, ADD COLUMN,
 * CREATE INDEX, GRANT, COMMENT, DROP …: dropping code only removes it, and
 * names are resolved over every schema and overload anyway).
 */
export function redefinitionOf(
  tag: string,
  node: AstObject,
  found: Findings,
): Redefinition | undefined {
  const own = statementKinds(tag);
  const schemaStatement = own.some((kind) => SCHEMA_KINDS.has(kind));
  const nestedSchema = [...found.kinds].some((kind) => SCHEMA_KINDS.has(kind));
  if (found.functions.has(DANGEROUS_OPERATIONS.catalogWrite)) return ANY;
  // Schema changes made by code the statement runs (a DO block, a procedure): not followed by name.
  if (!schemaStatement) return nestedSchema ? ANY : undefined;
  if (NEUTRAL.has(tag)) return undefined;
  const tables = [...found.tables].map(lastName);
  const routines = [...found.routines.values()];
  /** Code bound only by the routines named, if any of them is user-defined. */
  const calling = (redefinition: Redefinition): Redefinition | undefined =>
    routines.length > 0 ? { ...redefinition, unlessBuiltIn: routines } : undefined;
  switch (tag) {
    case 'CreateStmt':
      return hasForeignKey(node.tableElts) || hasForeignKey(node.constraints)
        ? objects(tables)
        : calling(objects(tables));
    case 'AlterTableStmt': {
      const commands = asArray(node.cmds).map((cmd) => unwrap(cmd, 'AlterTableCmd') ?? {});
      return commands.some(bindsCode) ? objects(tables) : calling(objects(tables));
    }
    case 'IndexStmt':
    case 'CreateStatsStmt':
      return calling(objects(tables));
    case 'CreateFunctionStmt':
      return objects([lastName(stringParts(node.funcname).join('.'))]);
    case 'AlterFunctionStmt':
      return objects([lastName(stringParts(asObject(node.func).objname).join('.'))]);
    case 'CreateTrigStmt':
    case 'RuleStmt':
    case 'CreatePolicyStmt':
    case 'AlterPolicyStmt':
    case 'ViewStmt':
    case 'CreateTableAsStmt':
      return objects(tables);
    case 'RenameStmt':
      return renamed(node, found, tables);
    case 'AlterObjectSchemaStmt':
      return RELATION_OR_ROUTINE.has(String(node.objectType))
        ? objects([...tables, ...[...found.functions].map(lastName)])
        : ANY;
    default:
      // Extensions run scripts; event triggers, languages and transforms bind code to
      // whatever uses them. A domain, type, operator, cast or aggregate binds the
      // routines it names (none: only built-in expressions), and its users cannot be
      // told by name.
      return ALWAYS_ANY.has(tag) ? ANY : calling(ANY);
  }
}

const ALWAYS_ANY = new Set([
  'CreateExtensionStmt',
  'AlterExtensionStmt',
  'AlterExtensionContentsStmt',
  'CreateEventTrigStmt',
  'AlterEventTrigStmt',
  'CreatePLangStmt',
  'CreateTransformStmt',
]);

/**
 * Statements that define, alter or remove objects without running the code
 * they name: a CREATE FUNCTION does not run its body, a CREATE TRIGGER its
 * function. Unlike CREATE TABLE AS, CREATE INDEX (its expressions run over
 * the rows) or ALTER TABLE (a default or a check runs over the rows).
 */
export function isDeclarative(tag: string): boolean {
  return DECLARATIVE.has(tag) || NEUTRAL.has(tag);
}

const DECLARATIVE = new Set([
  'CreateFunctionStmt',
  'AlterFunctionStmt',
  'CreateTrigStmt',
  'RuleStmt',
  'CreatePolicyStmt',
  'AlterPolicyStmt',
  'ViewStmt',
  'RenameStmt',
  'AlterObjectSchemaStmt',
  'CreateEventTrigStmt',
  'AlterEventTrigStmt',
  'CreateEnumStmt',
  'AlterEnumStmt',
  'CompositeTypeStmt',
  'CreateRangeStmt',
  'CreateCastStmt',
  'DefineStmt',
  'CreateOpClassStmt',
  'CreateOpFamilyStmt',
  'AlterOpFamilyStmt',
  'AlterOperatorStmt',
  'AlterTypeStmt',
]);

/** Kinds of a statement that changes the schema. */
const SCHEMA_KINDS = new Set(['ddl', 'drop', 'grant']);

const ANY: Redefinition = { scope: 'any' };

function objects(names: readonly string[]): Redefinition {
  return { scope: 'objects', names: [...new Set(names)] };
}

/** Schema statements that cannot make a later statement run code it did not run before. */
const NEUTRAL = new Set([
  'DropStmt',
  'DropdbStmt',
  'DropTableSpaceStmt',
  'DropSubscriptionStmt',
  'DropUserMappingStmt',
  'DropRoleStmt',
  'DropOwnedStmt',
  'GrantStmt',
  'GrantRoleStmt',
  'AlterDefaultPrivilegesStmt',
  'CreateRoleStmt',
  'AlterRoleStmt',
  'AlterRoleSetStmt',
  'AlterOwnerStmt',
  'ReassignOwnedStmt',
  'CommentStmt',
  'SecLabelStmt',
  'CreateSeqStmt',
  'AlterSeqStmt',
  'CreatedbStmt',
  'AlterDatabaseStmt',
  'AlterDatabaseSetStmt',
  'AlterDatabaseRefreshCollStmt',
  'CreateTableSpaceStmt',
  'AlterTableSpaceOptionsStmt',
  'AlterTableMoveAllStmt',
  'CreateFdwStmt',
  'AlterFdwStmt',
  'CreateForeignServerStmt',
  'AlterForeignServerStmt',
  'CreateUserMappingStmt',
  'AlterUserMappingStmt',
  'CreatePublicationStmt',
  'AlterPublicationStmt',
]);

/**
 * ALTER TABLE subcommands that make later statements on the table run code
 * they did not: triggers, rules or row security turned on, partitions and
 * inheritance children added (their triggers fire), foreign keys (their
 * actions write other tables), exclusion constraints (their operators run).
 * Turning code off is not among them.
 */
const BINDING_SUBTYPES = new Set([
  'AT_EnableTrig',
  'AT_EnableAlwaysTrig',
  'AT_EnableReplicaTrig',
  'AT_EnableTrigAll',
  'AT_EnableTrigUser',
  'AT_EnableRule',
  'AT_EnableAlwaysRule',
  'AT_EnableReplicaRule',
  'AT_EnableRowSecurity',
  'AT_ForceRowSecurity',
  'AT_AttachPartition',
  'AT_AddInherit',
  'AT_AddOf',
]);

function bindsCode(command: AstObject): boolean {
  if (BINDING_SUBTYPES.has(String(command.subtype))) return true;
  const def = command.def;
  const constraint = unwrap(def, 'Constraint');
  if (constraint) return BINDING_CONSTRAINTS.has(String(constraint.contype));
  const column = unwrap(def, 'ColumnDef');
  return column !== undefined && hasForeignKey(column.constraints);
}

const BINDING_CONSTRAINTS = new Set(['CONSTR_FOREIGN', 'CONSTR_EXCLUSION']);

/** A table element list (or a column's constraints) declares a foreign key or an exclusion constraint. */
function hasForeignKey(list: unknown): boolean {
  return asArray(list).some((item) => {
    const constraint = unwrap(item, 'Constraint');
    if (constraint) return BINDING_CONSTRAINTS.has(String(constraint.contype));
    const column = unwrap(item, 'ColumnDef');
    return column !== undefined && hasForeignKey(column.constraints);
  });
}

const RELATION_OR_ROUTINE = new Set([
  'OBJECT_TABLE',
  'OBJECT_VIEW',
  'OBJECT_MATVIEW',
  'OBJECT_FOREIGN_TABLE',
  'OBJECT_FUNCTION',
  'OBJECT_PROCEDURE',
  'OBJECT_ROUTINE',
  'OBJECT_AGGREGATE',
]);

/** Renamed relations and routines are known by both names; parts of a table by the table's. */
const PARTS_OF_TABLES = new Set([
  'OBJECT_COLUMN',
  'OBJECT_TABCONSTRAINT',
  'OBJECT_TRIGGER',
  'OBJECT_RULE',
  'OBJECT_POLICY',
  'OBJECT_INDEX',
]);

/** Objects whose names no code runs by: renaming them changes no code. */
const NOT_CODE = new Set([
  'OBJECT_ROLE',
  'OBJECT_DATABASE',
  'OBJECT_TABLESPACE',
  'OBJECT_SEQUENCE',
  'OBJECT_FDW',
  'OBJECT_FOREIGN_SERVER',
  'OBJECT_PUBLICATION',
  'OBJECT_SUBSCRIPTION',
  'OBJECT_STATISTIC_EXT',
]);

function renamed(node: AstObject, found: Findings, tables: string[]): Redefinition | undefined {
  const type = String(node.renameType);
  if (NOT_CODE.has(type)) return undefined;
  if (PARTS_OF_TABLES.has(type)) return objects(tables);
  if (!RELATION_OR_ROUTINE.has(type)) return ANY;
  const newName = typeof node.newname === 'string' ? [node.newname] : [];
  return objects([...tables, ...[...found.functions].map(lastName), ...newName]);
}

/** The last part of a name as the classifier lists it (`public.t` → `t`; quoted parts kept whole). */
export function lastName(name: string): string {
  const match = /(?:^|\.)("(?:[^"]|"")*"|[^.]*)$/.exec(name);
  const part = match?.[1] ?? name;
  return part.startsWith('"') ? part.slice(1, -1).replaceAll('""', '"') : part;
}
