import { type AstObject, asArray, qualifiedName, stringParts, unwrap } from './ast.js';
import { boundRoutines } from './bindings.js';
import { addFunction, addUnknown, type Findings, type NestedCodeBody } from './findings.js';
import { DANGEROUS_OPERATIONS } from './function-groups.js';
import { ANALYSED_LANGUAGES, carriedCode, lexerSettingsOf } from './nested-code.js';
import { CODE_LOADING_SETTINGS, variableSetChanges } from './settings.js';
import { statementKinds } from './statement-kinds.js';
import { COPY_KINDS, type RoutineRef, type StatementKind } from './types.js';

/** What the walker offers the per-statement rules below. */
export interface StatementSink {
  readonly found: Findings;
  /** Under a plain EXPLAIN: kinds go to `planned`, and nothing found runs. */
  readonly planning: boolean;
  /** The walk's root is a PL/pgSQL expression read as `SELECT <expression>`. */
  readonly expression: boolean;
  add(kind: StatementKind | undefined): void;
  routine(routine: RoutineRef): void;
  code(code: NestedCodeBody): void;
}

/** DROP object types that name a relation (a List of name parts). */
const DROPPED_RELATIONS = new Set([
  'OBJECT_TABLE',
  'OBJECT_VIEW',
  'OBJECT_MATVIEW',
  'OBJECT_SEQUENCE',
  'OBJECT_FOREIGN_TABLE',
  'OBJECT_INDEX',
]);
/** DROP object types named `relation parts…, own name`: the relation is touched. */
const DROPPED_ON_RELATION = new Set(['OBJECT_TRIGGER', 'OBJECT_RULE', 'OBJECT_POLICY']);

/** Pseudo-entries for statements that load code into the server or change its configuration. */
const OPERATIONS: Readonly<Record<string, string>> = {
  LoadStmt: DANGEROUS_OPERATIONS.load,
  AlterSystemStmt: DANGEROUS_OPERATIONS.alterSystem,
  CreateExtensionStmt: DANGEROUS_OPERATIONS.createExtension,
  CreatePLangStmt: DANGEROUS_OPERATIONS.createLanguage,
  CreateTableSpaceStmt: DANGEROUS_OPERATIONS.createTablespace,
};

/**
 * Statements that act on a routine named by its signature (ObjectWithArgs):
 * renaming, moving, re-owning, altering, dropping, commenting on, granting
 * on it. The routine counts among the statement's functions, so a rule on
 * `pg_terminate_backend` (or its group) also covers renaming it to a name
 * no rule knows.
 */
const ROUTINE_OBJECT_STATEMENTS = new Set([
  'RenameStmt',
  'AlterOwnerStmt',
  'AlterObjectSchemaStmt',
  'AlterObjectDependsStmt',
  'AlterFunctionStmt',
  'DropStmt',
  'CommentStmt',
  'SecLabelStmt',
  'GrantStmt',
]);

/** Object types of routines, in the statements above. */
const ROUTINE_TYPES = new Set([
  'OBJECT_FUNCTION',
  'OBJECT_PROCEDURE',
  'OBJECT_ROUTINE',
  'OBJECT_AGGREGATE',
]);

/** Statements whose target relation the walker names `relation`, and which write it. */
const WRITES = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);

/** Statements that define or change a foreign-data wrapper, server or table, whose options file_fdw reads. */
const FOREIGN_OPTION_HOLDERS = new Set([
  'CreateForeignTableStmt',
  'CreateForeignServerStmt',
  'AlterForeignServerStmt',
  'CreateFdwStmt',
  'AlterFdwStmt',
  'CreateUserMappingStmt',
  'AlterUserMappingStmt',
  'AlterTableStmt',
  'ImportForeignSchemaStmt',
]);

/** Where the SET inside another statement takes effect. */
const NESTED_SET_SCOPES = {
  AlterSystemStmt: 'system',
  AlterDatabaseSetStmt: 'database',
  AlterRoleSetStmt: 'role',
} as const;

/**
 * What one statement node does by itself, beyond what the walk of its
 * fields finds: its kinds (`statement-kinds.ts`), and the kinds, relations,
 * settings, code and bindings that depend on its fields. `nested` is false
 * for the statement the walk started at, `root` true for it alone.
 */
export function statementEffects(
  sink: StatementSink,
  tag: string,
  node: AstObject,
  nested: boolean,
  root: boolean,
): void {
  const found = sink.found;
  if (tag === 'SelectStmt') {
    // A PL/pgSQL expression is evaluated by a SELECT, which reads nothing unless it has a FROM.
    if (root && sink.expression && node.fromClause === undefined) return;
    if (node.intoClause) sink.add('ddl'); // SELECT … INTO creates a table
    // VALUES under INSERT supplies rows; it reads nothing by itself.
    if (!(nested && node.valuesLists)) sink.add('select');
    if (node.lockingClause) sink.add('lock');
    return;
  }
  // SET nested in ALTER SYSTEM/DATABASE/ROLE … SET or CREATE FUNCTION … SET is read there.
  if (nested && tag === 'VariableSetStmt') return;
  // RETURN in a BEGIN ATOMIC body only yields a value; subqueries in it count by themselves.
  if (nested && tag === 'ReturnStmt') return;
  for (const kind of statementKinds(tag)) sink.add(kind);
  const operation = OPERATIONS[tag];
  if (operation !== undefined) addFunction(found, operation, operation);
  for (const { routine, ownName } of boundRoutines(tag, node)) {
    sink.routine(routine);
    addFunction(found, routine.name, ownName);
  }
  if (WRITES.has(tag)) catalogWrite(found, unwrap(node.relation, 'RangeVar') ?? node.relation);
  if (ROUTINE_OBJECT_STATEMENTS.has(tag)) routineObjects(found, node);
  if (FOREIGN_OPTION_HOLDERS.has(tag)) foreignOptions(found, node);
  switch (tag) {
    case 'CopyStmt':
      copy(sink, node);
      break;
    case 'DoStmt':
    case 'CreateFunctionStmt':
      code(sink, tag, node, root);
      break;
    case 'VariableSetStmt':
      found.settings.push(...variableSetChanges(node, undefined));
      if (node.name === 'role' || node.name === 'session_authorization') found.roleChange = true;
      if (node.kind === 'VAR_RESET_ALL') found.roleChange = true;
      break;
    case 'AlterSystemStmt':
    case 'AlterDatabaseSetStmt':
    case 'AlterRoleSetStmt': {
      const set = node.setstmt as AstObject | undefined;
      if (set) found.settings.push(...variableSetChanges(set, NESTED_SET_SCOPES[tag]));
      break;
    }
    case 'AlterFunctionStmt':
      for (const action of asArray(node.actions)) {
        const def = unwrap(action, 'DefElem');
        const set = def?.defname === 'set' ? unwrap(def.arg, 'VariableSetStmt') : undefined;
        if (set) found.settings.push(...variableSetChanges(set, 'function'));
      }
      break;
    case 'DiscardStmt':
      if (node.target === 'DISCARD_ALL') {
        found.deallocates = { all: true };
        found.roleChange = true; // includes SET SESSION AUTHORIZATION DEFAULT
        found.settings.push({ name: '*', scope: 'session', lexer: true });
      }
      break;
    case 'PrepareStmt': {
      const [innerTag] = Object.keys((node.query as AstObject | undefined) ?? {});
      const inner = unwrap(node.query, innerTag ?? '');
      if (innerTag !== undefined && inner !== undefined) {
        found.prepares = { name: String(node.name ?? ''), tag: innerTag, node: inner };
      }
      break;
    }
    case 'ExecuteStmt':
      found.prepared = String(node.name ?? '');
      break;
    case 'DeallocateStmt':
      found.deallocates = node.isall === true ? { all: true } : { name: String(node.name ?? '') };
      break;
    case 'DropStmt':
      dropped(found, node);
      break;
    case 'AlterTableStmt':
      if (asArray(node.cmds).some((c) => unwrap(c, 'AlterTableCmd')?.subtype === 'AT_DropColumn')) {
        sink.add('drop');
      }
      break;
  }
}

/** Adds the routines a statement acts on by signature (see ROUTINE_OBJECT_STATEMENTS). */
function routineObjects(found: Findings, node: AstObject): void {
  const type = node.renameType ?? node.objectType ?? node.objtype ?? node.removeType;
  if (typeof type !== 'string' || !ROUTINE_TYPES.has(type)) return;
  const signatures = [node.func, node.object, ...asArray(node.objects)].map(
    (value) => unwrap(value, 'ObjectWithArgs') ?? (value as AstObject | undefined),
  );
  for (const signature of signatures) {
    const parts = stringParts(signature?.objname);
    const own = parts.at(-1);
    if (own !== undefined) addFunction(found, qualifiedName(parts), own);
  }
}

/**
 * After the statement's own effects: a setting that loads code counts as
 * LOAD, wherever it is set (SET, ALTER ROLE/DATABASE/SYSTEM … SET, a
 * function's SET clause).
 */
export function settingEffects(found: Findings): void {
  for (const change of found.settings) {
    if (CODE_LOADING_SETTINGS.has(change.name)) {
      addFunction(found, DANGEROUS_OPERATIONS.load, DANGEROUS_OPERATIONS.load);
    }
  }
}

/**
 * A write to a system catalog (`pg_catalog.pg_proc`, or a bare `pg_…` name,
 * which resolves to pg_catalog first) can redefine anything: functions,
 * roles, settings. `pg_settings` is the view `set_config` stands behind: a
 * write to it changes a setting named by its rows, known only at run time.
 */
function catalogWrite(found: Findings, relation: unknown): void {
  const range = relation as AstObject | undefined;
  const name = typeof range?.relname === 'string' ? range.relname : '';
  const schema = typeof range?.schemaname === 'string' ? range.schemaname : undefined;
  if (!name.startsWith('pg_') || (schema !== undefined && schema !== 'pg_catalog')) return;
  if (name === 'pg_settings') {
    found.settings.push({
      name: '*',
      scope: 'session',
      value: '(a row of pg_settings)',
      lexer: true,
    });
    addFunction(found, 'set_config', 'set_config');
    return;
  }
  addFunction(found, DANGEROUS_OPERATIONS.catalogWrite, DANGEROUS_OPERATIONS.catalogWrite);
}

/**
 * file_fdw reads a server file (`filename`) or runs a program (`program`)
 * named by a table's or server's options, every time the table is read:
 * giving such an option is COPY FROM a file or a program.
 */
function foreignOptions(found: Findings, node: unknown): void {
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item);
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    const record = value as Record<string, unknown>;
    const def = unwrap(record, 'DefElem');
    if (def?.defname === 'program') {
      addFunction(found, DANGEROUS_OPERATIONS.copyProgram, DANGEROUS_OPERATIONS.copyProgram);
    } else if (def?.defname === 'filename') {
      addFunction(found, DANGEROUS_OPERATIONS.copyFile, DANGEROUS_OPERATIONS.copyFile);
    }
    for (const child of Object.values(record)) visit(child);
  };
  visit(node);
}

function copy(sink: StatementSink, node: AstObject): void {
  const program = node.is_program === true;
  const serverFile = !program && typeof node.filename === 'string';
  const direction = node.is_from === true ? 'in' : 'out';
  sink.found.copy = { direction, program, serverFile };
  sink.add(COPY_KINDS[direction][program ? 'program' : serverFile ? 'file' : 'client']);
  // COPY FROM inserts rows and COPY t TO reads them: rules on insert/select must see that.
  if (direction === 'in') sink.add('insert');
  else if (node.relation) sink.add('select');
  if (program)
    addFunction(sink.found, DANGEROUS_OPERATIONS.copyProgram, DANGEROUS_OPERATIONS.copyProgram);
  if (serverFile)
    addFunction(sink.found, DANGEROUS_OPERATIONS.copyFile, DANGEROUS_OPERATIONS.copyFile);
}

/**
 * A DO block or a function body: SQL and PL/pgSQL are handed to the
 * classifier (`NestedCode`), any other language is code the gateway cannot
 * see. A BEGIN ATOMIC body is part of the tree and is walked like any field.
 */
function code(sink: StatementSink, tag: string, node: AstObject, root: boolean): void {
  const carried = carriedCode(tag, node);
  if (carried === undefined) return;
  const found = sink.found;
  found.settings.push(...carried.settings);
  if (carried.language === 'c') {
    addFunction(found, DANGEROUS_OPERATIONS.languageC, DANGEROUS_OPERATIONS.languageC);
  }
  if (carried.source === undefined) return;
  const where = carried.kind === 'do' ? 'a DO block' : 'a function body';
  if (!ANALYSED_LANGUAGES.has(carried.language)) {
    if (!sink.planning) {
      addUnknown(found, {
        reason: 'language',
        message: `runs code in language ${carried.language} (${where}), which the gateway cannot analyse`,
      });
    }
    return;
  }
  const lexer = lexerSettingsOf(carried);
  if (lexer.length > 0) {
    addUnknown(found, {
      reason: 'lexer-settings',
      message: `runs ${where} with ${lexer.join(', ')} changed, so its text may be read otherwise than the gateway reads it`,
    });
    return;
  }
  if (carried.language === 'sql') {
    sink.code({ type: 'sql', sql: carried.source, origin: where });
  } else if (root) {
    sink.code({ type: 'plpgsql' });
  } else {
    // DO and CREATE FUNCTION are top-level statements in the grammar; one found elsewhere is not followed.
    addUnknown(found, {
      reason: 'unparsed-body',
      message: `carries ${where} the gateway cannot locate`,
    });
  }
}

function dropped(found: Findings, node: AstObject): void {
  const type = String(node.removeType);
  const relation = DROPPED_RELATIONS.has(type);
  if (!relation && !DROPPED_ON_RELATION.has(type)) return;
  for (const object of asArray(node.objects)) {
    const parts = stringParts(unwrap(object, 'List')?.items);
    if (!relation) parts.pop();
    if (parts.length > 0) found.tables.add(qualifiedName(parts));
  }
}
