import { type AstObject, asArray, qualifiedName, stringParts, unwrap } from './ast.js';
import type { RoutineRef } from './types.js';

/**
 * Functions a definition binds, so that the server runs them later on its
 * own: a trigger's function on every write to its table, an event trigger's
 * on DDL, an operator's whenever the operator is used, a cast's on every
 * conversion, an aggregate's support functions, a type's I/O functions, a
 * language's handler… Binding `pg_read_file` to an operator and then using
 * the operator must not escape a rule on `pg_read_file`, so the classifier
 * adds these names to the statement's `functions` as well as to its
 * `routines` (with the binding in `via`).
 *
 * The option names per object are PostgreSQL's (sql-createoperator.html,
 * sql-createaggregate.html, sql-createtype.html, sql-createtsparser.html,
 * sql-createtstemplate.html, sql-createrange… and gram.y's DefineStmt).
 */

/** `DefineStmt` options that name a function, by object type. */
const DEFINE_OPTIONS: Readonly<Record<string, { word: string; options: readonly string[] }>> = {
  OBJECT_OPERATOR: { word: 'operator', options: ['function', 'procedure', 'restrict', 'join'] },
  OBJECT_AGGREGATE: {
    word: 'aggregate',
    options: [
      'sfunc',
      'finalfunc',
      'combinefunc',
      'serialfunc',
      'deserialfunc',
      'msfunc',
      'minvfunc',
      'mfinalfunc',
    ],
  },
  OBJECT_TYPE: {
    word: 'type',
    options: [
      'input',
      'output',
      'receive',
      'send',
      'typmod_in',
      'typmod_out',
      'analyze',
      'subscript',
    ],
  },
  OBJECT_TSPARSER: {
    word: 'text search parser',
    options: ['start', 'gettoken', 'end', 'lextypes', 'headline'],
  },
  OBJECT_TSTEMPLATE: { word: 'text search template', options: ['init', 'lexize'] },
};

const TYPE_OPTIONS = DEFINE_OPTIONS.OBJECT_TYPE!.options;

/** A bound routine, with its own (last) name for the function groups. */
export interface Bound {
  routine: RoutineRef;
  ownName: string;
}

type Binder = (node: AstObject) => Bound[];

const BINDERS: Readonly<Record<string, Binder>> = {
  CreateTrigStmt: (node) => named(node.funcname, 'trigger'),
  CreateEventTrigStmt: (node) => named(node.funcname, 'event trigger'),
  CreateCastStmt: (node) => withArgs(node.func, 'cast'),
  CreateTransformStmt: (node) => [
    ...withArgs(node.fromsql, 'transform from sql'),
    ...withArgs(node.tosql, 'transform to sql'),
  ],
  DefineStmt: (node) => {
    const spec = DEFINE_OPTIONS[String(node.kind)];
    return spec === undefined ? [] : options(node.definition, spec.options, spec.word);
  },
  AlterOperatorStmt: (node) => options(node.options, ['restrict', 'join'], 'operator'),
  AlterTypeStmt: (node) => options(node.options, TYPE_OPTIONS, 'type'),
  CreateRangeStmt: (node) => options(node.params, ['canonical', 'subtype_diff'], 'range type'),
  CreateOpClassStmt: (node) => opclassItems(node.items),
  AlterOpFamilyStmt: (node) => opclassItems(node.items),
  CreatePLangStmt: (node) => [
    ...named(node.plhandler, 'language handler'),
    ...named(node.plinline, 'language inline handler'),
    ...named(node.plvalidator, 'language validator'),
  ],
  CreateFdwStmt: (node) =>
    options(node.func_options, ['handler', 'validator'], 'foreign-data wrapper'),
  AlterFdwStmt: (node) =>
    options(node.func_options, ['handler', 'validator'], 'foreign-data wrapper'),
  CreateConversionStmt: (node) => named(node.func_name, 'conversion'),
  CreateAmStmt: (node) => named(node.handler_name, 'access method'),
};

/** The routines a statement node binds; empty for most statements. */
export function boundRoutines(tag: string, node: AstObject): Bound[] {
  const binder = Object.hasOwn(BINDERS, tag) ? BINDERS[tag] : undefined;
  return binder === undefined ? [] : binder(node);
}

function ref(parts: string[], via: string): Bound[] {
  const ownName = parts.at(-1);
  return ownName === undefined
    ? []
    : [{ routine: { name: qualifiedName(parts), how: 'bind', via }, ownName }];
}

/** A function named by a list of String nodes. */
function named(list: unknown, via: string): Bound[] {
  return ref(stringParts(list), via);
}

/** A bare ObjectWithArgs (`f(int)`). */
function withArgs(value: unknown, via: string): Bound[] {
  const object = value as AstObject | undefined;
  return ref(stringParts(object?.objname), via);
}

/** DefElems among `names` whose argument names a function (a TypeName, a List or a String). */
function options(list: unknown, names: readonly string[], word: string): Bound[] {
  return asArray(list).flatMap((item) => {
    const def = unwrap(item, 'DefElem');
    const name = typeof def?.defname === 'string' ? def.defname.toLowerCase() : '';
    if (!def || !names.includes(name)) return [];
    const arg = def.arg;
    const parts = [unwrap(arg, 'TypeName')?.names, unwrap(arg, 'List')?.items, [arg]]
      .map(stringParts)
      .find((found) => found.length > 0);
    return ref(parts ?? [], `${word} ${name}`);
  });
}

/** CREATE OPERATOR CLASS / ALTER OPERATOR FAMILY … FUNCTION n f(…) (itemtype 2, OPCLASS_ITEM_FUNCTION). */
function opclassItems(list: unknown): Bound[] {
  return asArray(list).flatMap((item) => {
    const entry = unwrap(item, 'CreateOpClassItem');
    return entry?.itemtype === 2 ? withArgs(entry.name, 'operator class support function') : [];
  });
}
