import { isObject } from './ast.js';
import { forEachToken } from './lexer.js';

/**
 * The SQL inside compiled PL/pgSQL (libpg_query's `pg_query_parse_plpgsql`
 * JSON, which mirrors PostgreSQL's PLpgSQL_function, plpgsql.h): every
 * embedded statement and expression, wherever it sits (statements in nested
 * blocks, loops, CASE, exception handlers; expressions in conditions,
 * assignments, RAISE and ASSERT, FOR bounds, cursor arguments, variable
 * defaults and cursor declarations), so that nothing the body can run is
 * left out. Each is a `PLpgSQL_expr` with its text and parse mode; finding
 * them by that tag rather than statement by statement means a statement
 * type this file does not name is still searched.
 *
 * Parse modes are PostgreSQL's RawParseMode (src/include/parser/parser.h):
 * a statement is parsed as it is; an expression is PL/pgSQL's `PLpgSQL_Expr`
 * production, which is a SELECT without its keyword (gram.y), so `SELECT `
 * is put in front; an assignment `target := value` is split, its target's
 * subscripts and its value each read as an expression.
 */
export interface PlpgsqlPiece {
  /** SQL to classify: a statement, or `SELECT <expression>`. */
  sql: string;
  /** `sql` is `SELECT <expression>`: its own SELECT evaluates, and reads nothing without a FROM. */
  expression: boolean;
  /**
   * Set for an expression whose value is run as SQL (EXECUTE, OPEN … FOR
   * EXECUTE, FOR … IN EXECUTE, RETURN QUERY EXECUTE): it names the
   * construct, and the piece's value is SQL built at run time unless it is a
   * constant string.
   */
  executes?: string;
}

const RAW_PARSE_DEFAULT = 0;
const RAW_PARSE_TYPE_NAME = 1;
const RAW_PARSE_PLPGSQL_ASSIGN1 = 3;
const RAW_PARSE_PLPGSQL_ASSIGN3 = 5;

/** Expressions run as SQL, by the statement that holds them and the field they are in. */
const EXECUTED: Readonly<Record<string, string>> = {
  'PLpgSQL_stmt_dynexecute.query': 'EXECUTE',
  'PLpgSQL_stmt_dynfors.query': 'FOR … IN EXECUTE',
  'PLpgSQL_stmt_open.dynquery': 'OPEN … FOR EXECUTE',
  'PLpgSQL_stmt_return_query.dynquery': 'RETURN QUERY EXECUTE',
};

/**
 * The pieces of SQL in compiled functions, or why there are none to trust
 * (a function without a body: the compiler returned a stub).
 *
 * @param visit called for every object of the tree, so that its size counts
 *   against the classifier's node budget.
 */
export function plpgsqlPieces(
  functions: readonly unknown[],
  visit: () => void,
): { pieces: PlpgsqlPiece[] } | { problem: string } {
  const pieces: PlpgsqlPiece[] = [];
  for (const entry of functions) {
    const fn = isObject(entry) ? entry.PLpgSQL_function : undefined;
    if (!isObject(fn) || !isObject(fn.action)) {
      return { problem: 'the PL/pgSQL compiler returned no body' };
    }
  }
  // Iterative, in document order, with the statement tag and field each value sits under:
  // bodies nest blocks in blocks as deep as their text does.
  type Entry = { value: unknown; holder: string; field: string };
  const stack: Entry[] = [{ value: functions, holder: '', field: '' }];
  while (stack.length > 0) {
    const { value, holder, field } = stack.pop()!;
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], holder, field });
      continue;
    }
    if (!isObject(value)) continue;
    visit();
    const children: Entry[] = [];
    for (const [key, child] of Object.entries(value)) {
      if (key === 'PLpgSQL_expr' && isObject(child)) {
        pieces.push(...expressionPieces(child, EXECUTED[`${holder}.${field}`]));
      } else if (key.startsWith('PLpgSQL_')) {
        children.push({ value: child, holder: key, field: '' });
      } else {
        children.push({ value: child, holder, field: key });
      }
    }
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
  return { pieces };
}

function expressionPieces(
  expr: Record<string, unknown>,
  executes: string | undefined,
): PlpgsqlPiece[] {
  const query = typeof expr.query === 'string' ? expr.query : '';
  const mode = typeof expr.parseMode === 'number' ? expr.parseMode : RAW_PARSE_DEFAULT;
  if (mode === RAW_PARSE_TYPE_NAME) return [];
  if (mode === RAW_PARSE_DEFAULT) return [{ sql: query, expression: false }];
  if (mode >= RAW_PARSE_PLPGSQL_ASSIGN1 && mode <= RAW_PARSE_PLPGSQL_ASSIGN3) {
    const split = splitAssignment(query);
    if (split !== undefined) {
      return [
        { sql: `SELECT ${split.target}`, expression: true },
        { sql: `SELECT ${split.value}`, expression: true },
      ];
    }
  }
  const piece: PlpgsqlPiece = { sql: `SELECT ${query}`, expression: true };
  if (executes !== undefined) piece.executes = executes;
  return [piece];
}

/**
 * `target := value` (or `=`): the first `:=` or `=` outside brackets ends
 * the target, which is a name with optional field selections and
 * subscripts (pl_gram.y, `assign_var`; gram.y, `PLAssignStmt`).
 */
function splitAssignment(text: string): { target: string; value: string } | undefined {
  let depth = 0;
  let split: { target: string; value: string } | undefined;
  forEachToken(text, (start, end, kind) => {
    const token = text.slice(start, end);
    if (kind === 'punctuation' && (token === '[' || token === '(')) depth++;
    else if (kind === 'punctuation' && (token === ']' || token === ')')) depth--;
    else if (depth === 0 && kind === 'operator' && (token === ':=' || token === '=')) {
      split = { target: text.slice(0, start), value: text.slice(end) };
      return false;
    }
    return true;
  });
  return split;
}

/**
 * The statement with every `name%ROWTYPE` written `record`, for a second
 * compile when the first fails on a field of such a variable (`r.col := 1`
 * gives `"r.col" is not a known variable`): libpg_query compiles without a
 * catalog, so it cannot give `r t%ROWTYPE` the fields of `t`, where
 * PostgreSQL would (plpgsql_parse_wordrowtype). A record variable takes any
 * field.
 *
 * The rewrite is textual, so it is kept to spans that can change nothing
 * around them: unquoted names (letters, digits, `_`), dots, blanks, `%` and
 * the word `rowtype`. With no quote, `$`, `-` or `/` in the span, no string,
 * quoted identifier, dollar quote or comment can begin or end differently,
 * and no table, function or statement can be hidden. A quoted name
 * (`"T"%ROWTYPE`) is not rewritten, and such a body stays unknowable.
 */
export function rowTypesAsRecords(text: string): string | undefined {
  const rewritten = text.replace(ROW_TYPE, 'record');
  return rewritten === text ? undefined : rewritten;
}

const NAME = '[A-Za-z_\\u0080-\\uffff][A-Za-z0-9_\\u0080-\\uffff]*';
const ROW_TYPE = new RegExp(`\\b${NAME}(?:\\s*\\.\\s*${NAME})*\\s*%\\s*rowtype\\b`, 'gi');

/** The compiler's complaint about an unknown variable with a field: what a `%ROWTYPE` variable gives. */
export function isUnknownFieldError(message: string): boolean {
  return /^"[^"]+\.[^"]+" is not a known variable$/.test(message);
}
