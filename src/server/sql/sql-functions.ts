import { type AstObject, asArray, isObject, qualifiedName, unwrap } from './ast.js';

/**
 * Built-in functions that run SQL the statement does not contain as SQL: a
 * query given as a string (`query_to_xml('delete from t …', …)`), a table or
 * schema named by a string (`table_to_xml('vault.secrets', …)`, which runs
 * `SELECT * FROM vault.secrets`), a cursor opened elsewhere, or text sent to
 * another server (dblink, which may be this one again).
 *
 * Where the argument is a constant string, the classifier parses it and its
 * findings become the statement's (`query`), or names the table (`table`);
 * where it is anything else, what runs is known only at run time (`dynamic`).
 * Only a bare string constant counts as constant: a cast or `||` could run a
 * user-defined function or operator first (the search path is the server's).
 *
 * Argument positions are from the PostgreSQL manual (functions-xml.html,
 * textsearch-features.html, dblink.html).
 */
export type SqlArgument =
  | { kind: 'query'; sql: string }
  | { kind: 'table'; name: string }
  | { kind: 'dynamic'; message: string };

type Finder = (args: readonly unknown[], name: string) => SqlArgument | undefined;

/** The SQL in argument `index`: parsed when constant, dynamic when not. */
function queryAt(index: number): Finder {
  return (args, name) => sqlIn(args[index], name, 'query');
}

/** dblink(sql), dblink(conn, sql), dblink(sql, fail), dblink(conn, sql, fail); dblink_exec the same. */
const dblinkQuery: Finder = (args, name) => {
  if (args.length <= 1) return sqlIn(args[0], name, 'query');
  if (args.length === 2 && isBooleanConstant(args[1])) return sqlIn(args[0], name, 'query');
  return sqlIn(args[1], name, 'query');
};

/** dblink_open(cursor, sql [, fail]) or dblink_open(conn, cursor, sql [, fail]). */
const dblinkOpen: Finder = (args, name) => {
  if (args.length === 2 || (args.length === 3 && isBooleanConstant(args[2]))) {
    return sqlIn(args[1], name, 'query');
  }
  return sqlIn(args[2], name, 'query');
};

/** A cursor's query was declared elsewhere, possibly in a function body the gateway has not seen. */
const cursor: Finder = (_args, name) => ({
  kind: 'dynamic',
  message: `runs a cursor's query through ${name}(), which may have been opened by code the gateway has not seen`,
});

/** table_to_xml(tbl regclass, …): `SELECT * FROM tbl`. */
const table: Finder = (args, name) => {
  const text = constantString(args[0]);
  return text === undefined
    ? { kind: 'dynamic', message: `reads a table named at run time through ${name}()` }
    : { kind: 'table', name: text };
};

/** schema_to_xml, database_to_xml: every table of a schema or database, which no rule can list. */
const wholeSchema: Finder = (_args, name) => ({
  kind: 'dynamic',
  message: `reads every table of a schema or database through ${name}()`,
});

/**
 * tablefunc's crosstab(source_sql text [, category_sql text]) and
 * crosstab2/3/4(source_sql): each text argument is a query it runs.
 */
const crosstab: Finder = (args, name) => {
  const first = sqlIn(args[0], name, 'query');
  if (args.length !== 2 || unwrap(args[1], 'A_Const')?.ival !== undefined) return first;
  const second = sqlIn(args[1], name, 'query');
  if (first.kind !== 'query') return first;
  if (second.kind !== 'query') return second;
  return { kind: 'query', sql: `${first.sql}\n;\n${second.sql}` };
};

/**
 * SQL a function builds by splicing its text arguments into a template:
 * what it runs is that text, so it is classified as such when every piece
 * is a constant, and is dynamic otherwise. tablefunc's `connectby(relname,
 * keyid_fld, parent_keyid_fld [, orderby_fld], start_with, max_depth [,
 * branch_delim])` selects the key columns from `relname`; xml2's
 * `xpath_table(key, document, relation, xpaths, criteria)` runs `SELECT
 * key, document FROM relation WHERE criteria`.
 */
function spliced(
  build: (pieces: readonly string[]) => string,
  positions: readonly number[],
): Finder {
  return (args, name) => {
    const pieces = positions.map((index) => constantString(args[index]));
    if (pieces.some((piece) => piece === undefined)) {
      return {
        kind: 'dynamic',
        message: `executes SQL built at run time from the text given to ${name}()`,
      };
    }
    return { kind: 'query', sql: build(pieces as string[]) };
  };
}

const connectby: Finder = (args, name) => {
  // The ordered form has orderby_fld before start_with: seven arguments, or six whose fifth is no integer.
  const ordered =
    args.length === 7 || (args.length === 6 && unwrap(args[4], 'A_Const')?.ival === undefined);
  return ordered
    ? spliced(
        ([rel, key, parent, order]) => `select ${key}, ${parent}, ${order} from ${rel}`,
        [0, 1, 2, 3],
      )(args, name)
    : spliced(([rel, key, parent]) => `select ${key}, ${parent} from ${rel}`, [0, 1, 2])(
        args,
        name,
      );
};

const xpathTable: Finder = spliced(
  ([key, document, relation, , criteria]) =>
    `select ${key}, ${document} from ${relation} where ${criteria}`,
  [0, 1, 2, 3, 4],
);

const FINDERS: ReadonlyMap<string, Finder> = new Map<string, Finder>([
  ['crosstab', crosstab],
  ['crosstab2', crosstab],
  ['crosstab3', crosstab],
  ['crosstab4', crosstab],
  ['connectby', connectby],
  ['xpath_table', xpathTable],
  ['query_to_xml', queryAt(0)],
  ['query_to_xmlschema', queryAt(0)],
  ['query_to_xml_and_xmlschema', queryAt(0)],
  ['cursor_to_xml', cursor],
  ['cursor_to_xmlschema', cursor],
  ['table_to_xml', table],
  ['table_to_xmlschema', table],
  ['table_to_xml_and_xmlschema', table],
  ['schema_to_xml', wholeSchema],
  ['schema_to_xmlschema', wholeSchema],
  ['schema_to_xml_and_xmlschema', wholeSchema],
  ['database_to_xml', wholeSchema],
  ['database_to_xmlschema', wholeSchema],
  ['database_to_xml_and_xmlschema', wholeSchema],
  // ts_stat(sqlquery text [, weights text])
  ['ts_stat', queryAt(0)],
  // ts_rewrite(query tsquery, select text): the two-argument form runs the SELECT.
  ['ts_rewrite', (args, name) => (args.length === 2 ? queryAt(1)(args, name) : undefined)],
  ['dblink', dblinkQuery],
  ['dblink_exec', dblinkQuery],
  ['dblink_send_query', queryAt(1)],
  ['dblink_open', dblinkOpen],
]);

/**
 * The SQL a call runs from its arguments, by the function's own (last) name;
 * undefined for a function that runs none. Named arguments (`query => …`)
 * and VARIADIC leave the positions unknown: the call is then dynamic.
 */
export function sqlArgument(ownName: string, call: AstObject): SqlArgument | undefined {
  const finder = FINDERS.get(ownName);
  if (finder === undefined) return undefined;
  const args = asArray(call.args);
  if (call.func_variadic === true || args.some((arg) => unwrap(arg, 'NamedArgExpr'))) {
    return { kind: 'dynamic', message: `runs SQL given to ${ownName}() by named arguments` };
  }
  return finder(args, ownName);
}

function sqlIn(arg: unknown, name: string, kind: 'query'): SqlArgument {
  const text = constantString(arg);
  return text === undefined
    ? { kind: 'dynamic', message: `executes SQL built at run time (given to ${name}())` }
    : { kind, sql: text };
}

/**
 * A bare string constant's value (escapes already resolved by the parser),
 * else undefined. `A_Const.sval` holds a bare String node, whose `sval`
 * libpg_query leaves out when it is empty.
 */
export function constantString(node: unknown): string | undefined {
  const sval = unwrap(node, 'A_Const')?.sval;
  if (!isObject(sval)) return undefined;
  return typeof sval.sval === 'string' ? sval.sval : '';
}

function isBooleanConstant(node: unknown): boolean {
  const value = unwrap(node, 'A_Const');
  return value?.boolval !== undefined;
}

/**
 * A relation named by a string the way `regclass` input reads it
 * (`stringToQualifiedNameList`): dot-separated parts, double quotes keeping
 * case and dots, unquoted parts lower-cased (ASCII letters only, as
 * `downcase_identifier` does for UTF-8). Undefined for anything else, an
 * OID (`'16384'`) included: the table is then not known here.
 */
export function regclassName(text: string): string | undefined {
  const parts: string[] = [];
  let i = 0;
  for (;;) {
    while (text[i] === ' ' || text[i] === '\t' || text[i] === '\n') i++;
    let part = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) return undefined;
        if (text[i] === '"') {
          if (text[i + 1] !== '"') break;
          i++;
        }
        part += text[i];
        i++;
      }
      i++;
    } else {
      const start = i;
      while (i < text.length && !'. \t\n"'.includes(text[i]!)) i++;
      part = text.slice(start, i).replace(/[A-Z]+/g, (upper) => upper.toLowerCase());
      if (part === '' || /^[0-9]/.test(part)) return undefined;
    }
    if (part === '') return undefined;
    parts.push(part);
    while (text[i] === ' ' || text[i] === '\t' || text[i] === '\n') i++;
    if (i >= text.length) break;
    if (text[i] !== '.') return undefined;
    i++;
  }
  return parts.length <= 3 ? qualifiedName(parts) : undefined;
}
