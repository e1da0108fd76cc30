import { createHash } from 'node:crypto';
import type { StatementKind } from '../../../sql/index.js';
import { factsOf, tableName, type ParsedFacts } from './ast.js';
import { lex, LexError, type LexSettings, type Token } from './lexer.js';
import { parseRendered } from './parser.js';
import type { MysqlClassification, MysqlStatement } from './types.js';

/** Limits on SQL read from clients. */
export interface MysqlClassifierLimits {
  /** Characters in one string. Default 1 000 000. */
  maxLength?: number;
  /** Statements in one string. Default 100. */
  maxStatements?: number;
}

/** Settings whose change makes the server lex SQL differently from the gateway. */
const LEXER_SETTINGS = new Set([
  'sql_mode',
  'character_set_client',
  'character_set_connection',
  'collation_connection',
  'names',
  'charset',
]);

/** Statement starts that open compound code the server parses whole, `;` included (stored programs, MariaDB's compound statements). */
const PROGRAM_OBJECTS = new Set(['PROCEDURE', 'FUNCTION', 'TRIGGER', 'EVENT', 'PACKAGE']);
const COMPOUND_STARTS = new Set(['IF', 'CASE', 'LOOP', 'REPEAT', 'WHILE', 'DECLARE', 'FOR']);

const cache = new Map<string, ParsedFacts | Error>();
const CACHE_LIMIT = 2000;

/** Parses a rendered statement once per distinct shape (literals are placeholders in it). */
function parsedFacts(rendered: string): ParsedFacts | Error {
  let facts = cache.get(rendered);
  if (facts === undefined) {
    try {
      facts = factsOf(parseRendered(rendered));
    } catch (error) {
      facts = error instanceof Error ? error : new Error(String(error));
    }
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
    cache.set(rendered, facts);
  }
  return facts;
}

/** The tokens as the parser sees them: every literal a placeholder, identifiers back-quoted. */
function render(tokens: readonly Token[]): string {
  return tokens
    .map((t) => {
      if (t.type === 'word') return t.raw ?? t.value;
      switch (t.type) {
        case 'quoted':
          return `\`${t.value.replaceAll('`', '``')}\``;
        case 'string':
          return `'s'`;
        case 'number':
          return '0';
        case 'variable':
          return /^[A-Za-z_][A-Za-z0-9_$.]*$/.test(t.value) ? `@${t.value}` : '@v';
        case 'system-variable':
          return `@@${t.value}`;
        default:
          return t.value;
      }
    })
    .join(' ');
}

class StatementError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
  }
}

/**
 * Classifies one SQL string sent in a COM_QUERY or COM_STMT_PREPARE: its
 * statements, split where the server splits them, each with the kinds,
 * tables, functions and lineage policy and masking read, mapped to the same
 * statement kinds as PostgreSQL's.
 */
export function classifyMysql(
  text: string,
  settings: LexSettings,
  limits: MysqlClassifierLimits = {},
): MysqlClassification {
  const maxLength = limits.maxLength ?? 1_000_000;
  if (text.length > maxLength) {
    return {
      ok: false,
      reason: 'limit',
      error: {
        message: `the SQL text is ${text.length} characters long, over the gateway's limit of ${maxLength} (sql.maxLength)`,
        code: 'HOOP_SQL_TOO_LONG',
      },
    };
  }
  let tokens: Token[];
  try {
    tokens = lex(text, settings);
  } catch (error) {
    if (!(error instanceof LexError)) throw error;
    return {
      ok: false,
      reason: 'syntax',
      error: {
        message: `the gateway cannot read this SQL: ${error.message}`,
        position: error.position + 1,
      },
    };
  }
  const statements: MysqlStatement[] = [];
  try {
    for (const part of split(tokens)) {
      statements.push(classifyStatement(part, text, settings, limits));
      if (statements.length > (limits.maxStatements ?? 100)) {
        return {
          ok: false,
          reason: 'limit',
          error: {
            message: `more than ${limits.maxStatements ?? 100} statements in one string (sql.maxStatements)`,
            code: 'HOOP_SQL_TOO_MANY_STATEMENTS',
          },
        };
      }
    }
  } catch (error) {
    if (!(error instanceof StatementError)) throw error;
    return {
      ok: false,
      reason: 'syntax',
      error: { message: error.message, position: error.position + 1 },
    };
  }
  return { ok: true, statements };
}

/**
 * Statements at `;`, except that a stored program's definition or a
 * compound statement runs to the end of the string: the server parses its
 * body, semicolons included, as one statement, and the gateway reads it as
 * one unknowable statement.
 */
function split(tokens: Token[]): Token[][] {
  const parts: Token[][] = [];
  let current: Token[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (current.length === 0 && token.type === 'semicolon') continue;
    if (current.length === 0 && startsCompound(tokens, i)) {
      parts.push(
        tokens.slice(i).filter((t, k, all) => !(k === all.length - 1 && t.type === 'semicolon')),
      );
      return parts;
    }
    if (token.type === 'semicolon') {
      parts.push(current);
      current = [];
    } else {
      current.push(token);
    }
  }
  if (current.length > 0) parts.push(current);
  return parts;
}

function word(tokens: readonly Token[], i: number): string | undefined {
  const t = tokens[i];
  return t?.type === 'word' ? t.value : undefined;
}

function startsCompound(tokens: Token[], i: number): boolean {
  const first = word(tokens, i);
  if (first === undefined) {
    // `label: BEGIN …`
    return (tokens[i]?.type === 'quoted' || false) && tokens[i + 1]?.value === ':';
  }
  if (COMPOUND_STARTS.has(first)) return true;
  if (first === 'BEGIN') return word(tokens, i + 1) === 'NOT';
  if (tokens[i + 1]?.value === ':' && tokens[i + 1]?.type === 'op') return true;
  if (first === 'CREATE' || first === 'ALTER') {
    for (let k = i + 1; k < Math.min(tokens.length, i + 12); k++) {
      const w = word(tokens, k);
      if (w && PROGRAM_OBJECTS.has(w)) return true;
      if (
        w &&
        [
          'TABLE',
          'VIEW',
          'INDEX',
          'DATABASE',
          'SCHEMA',
          'USER',
          'ROLE',
          'SEQUENCE',
          'SERVER',
        ].includes(w)
      )
        return false;
    }
  }
  return false;
}

function base(text: string, tokens: readonly Token[]): MysqlStatement {
  const first = tokens[0]!;
  const last = tokens[tokens.length - 1]!;
  return {
    text: text.slice(first.start, last.end).trim(),
    kinds: [],
    tables: [],
    functions: [],
    fingerprint: createHash('sha256').update(render(tokens)).digest('hex').slice(0, 32),
    lineage: null,
    unknown: [],
    settings: [],
  };
}

function addKinds(statement: MysqlStatement, ...kinds: StatementKind[]): void {
  for (const kind of kinds) if (!statement.kinds.includes(kind)) statement.kinds.push(kind);
}

function dynamic(statement: MysqlStatement, reason: string, message: string): void {
  addKinds(statement, 'dynamic');
  statement.unknown.push({ reason, message });
}

/** Tables, functions and lineage from the parser; a statement it cannot parse is refused (unparsed). */
function withParsed(
  statement: MysqlStatement,
  tokens: readonly Token[],
  what = render(tokens),
): void {
  const facts = parsedFacts(what);
  if (facts instanceof Error) {
    throw new StatementError(
      `the gateway's MySQL parser cannot read this statement (${firstLine(facts.message)})`,
      tokens[0]!.start,
    );
  }
  for (const table of facts.tables)
    if (!statement.tables.includes(table)) statement.tables.push(table);
  for (const f of facts.functions)
    if (!statement.functions.includes(f)) statement.functions.push(f);
  statement.lineage ??= facts.lineage;
  // The parser must have seen every table the tokens name after FROM, JOIN, INTO, UPDATE or TABLE.
  for (const table of tablesByTokens(tokens)) {
    if (!statement.tables.includes(table)) {
      throw new StatementError(
        `the gateway's parser and lexer disagree on the tables of this statement (${table})`,
        tokens[0]!.start,
      );
    }
  }
}

function firstLine(message: string): string {
  const line = message.split('\n')[0]!;
  return line.length > 120 ? `${line.slice(0, 120)}…` : line;
}

const TABLE_KEYWORDS = new Set(['FROM', 'JOIN', 'INTO', 'UPDATE', 'TABLE', 'STRAIGHT_JOIN']);

/** `name` or `db.name` at `i`: an identifier, possibly qualified. */
function qualifiedName(tokens: readonly Token[], i: number): [string, number] | undefined {
  const ident = (t: Token | undefined) =>
    t && (t.type === 'quoted' || (t.type === 'word' && !RESERVED.has(t.value))) ? t : undefined;
  const first = ident(tokens[i]);
  if (!first) return undefined;
  const raw = (t: Token) => (t.type === 'quoted' ? t.value : t.value.toLowerCase());
  if (tokens[i + 1]?.value === '.' && ident(tokens[i + 2])) {
    return [tableName(raw(first), raw(tokens[i + 2]!)), i + 3];
  }
  return [tableName(undefined, raw(first)), i + 1];
}

const RESERVED = new Set([
  'SELECT',
  'DUAL',
  'LATERAL',
  'IF',
  'NOT',
  'EXISTS',
  'TEMPORARY',
  'IGNORE',
  'LOW_PRIORITY',
  'QUICK',
  'OUTFILE',
  'DUMPFILE',
  'LOCAL',
  'WHERE',
  'SET',
  'VALUES',
  'VALUE',
  'ON',
  'USING',
  'AS',
  'PARTITION',
  'WITH',
  'TABLE',
  'TABLES',
  'ONLY',
  'DELAYED',
  'HIGH_PRIORITY',
  'STATUS',
]);

/** Names right after a table keyword: a cross-check on the parser's table list. */
function tablesByTokens(tokens: readonly Token[]): string[] {
  const names: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.type !== 'word' || !TABLE_KEYWORDS.has(t.value)) continue;
    // ON DUPLICATE KEY UPDATE col = …, FOR UPDATE: no table follows.
    if (t.value === 'UPDATE' && i > 0 && ['KEY', 'FOR'].includes(word(tokens, i - 1) ?? ''))
      continue;
    // `INTO @v`, `INTO OUTFILE`, `FROM (subquery)`, `FROM DUAL` name no table.
    const name = qualifiedName(tokens, i + 1);
    if (name) names.push(name[0]);
  }
  return names;
}

/** The comma-separated names from `i` (DROP TABLE a, b; TRUNCATE t; LOCK TABLES a READ, b WRITE …). */
function nameList(tokens: readonly Token[], i: number, skipWords: string[] = []): string[] {
  const names: string[] = [];
  let k = i;
  while (k < tokens.length) {
    const name = qualifiedName(tokens, k);
    if (!name) break;
    names.push(name[0]);
    k = name[1];
    // Skip what follows a name up to the next comma (an alias, READ/WRITE, TO new_name …).
    while (k < tokens.length && tokens[k]!.value !== ',') {
      const w = word(tokens, k);
      if (w && skipWords.includes(w)) {
        const other = qualifiedName(tokens, k + 1);
        if (other) {
          names.push(other[0]);
          k = other[1];
          continue;
        }
      }
      k++;
    }
    if (tokens[k]?.value !== ',') break;
    k++;
  }
  return names;
}

/** The index of the first word among `words` at or after `from`, or -1. */
function findWord(tokens: readonly Token[], words: string[], from = 0): number {
  for (let i = from; i < tokens.length; i++) {
    const w = word(tokens, i);
    if (w && words.includes(w)) return i;
  }
  return -1;
}

function hasWord(tokens: readonly Token[], w: string): boolean {
  return findWord(tokens, [w]) !== -1;
}

function classifyStatement(
  tokens: Token[],
  text: string,
  settings: LexSettings,
  limits: MysqlClassifierLimits,
): MysqlStatement {
  const s = base(text, tokens);
  const first = word(tokens, 0) ?? (tokens[0]!.value === '(' ? 'SELECT' : undefined);
  const second = word(tokens, 1);
  const unknownStatement = () =>
    new StatementError(
      'the gateway does not know this statement, so it cannot decide it',
      tokens[0]!.start,
    );
  if (startsCompound(tokens, 0)) {
    addKinds(s, first === 'CREATE' || first === 'ALTER' ? 'ddl' : 'utility');
    dynamic(
      s,
      'language',
      'defines or runs a stored program or compound statement, whose body the gateway does not analyse',
    );
    return s;
  }
  switch (first) {
    case 'SELECT':
    case 'WITH':
    case 'VALUES':
    case 'TABLE':
      query(s, tokens);
      return s;
    case 'INSERT':
    case 'REPLACE':
      addKinds(s, 'insert');
      if (first === 'REPLACE') addKinds(s, 'delete');
      if (hasWord(tokens, 'SELECT') || hasWord(tokens, 'TABLE')) {
        addKinds(s, 'select');
        s.nonProjection = 'writes the rows it reads into a table';
      }
      if (findWord(tokens, ['DUPLICATE']) !== -1) addKinds(s, 'update');
      withParsed(s, tokens);
      s.lineage = null;
      return s;
    case 'UPDATE':
      addKinds(s, 'update');
      if (hasWord(tokens, 'SELECT')) {
        addKinds(s, 'select');
        s.nonProjection = 'writes values it reads into a table';
      }
      withParsed(s, tokens);
      s.lineage = null;
      if (s.tables.length > 1) s.nonProjection ??= 'writes values it reads into a table';
      return s;
    case 'DELETE':
      addKinds(s, 'delete');
      if (hasWord(tokens, 'SELECT')) addKinds(s, 'select');
      withParsed(s, tokens);
      s.lineage = null;
      return s;
    case 'TRUNCATE':
      addKinds(s, 'truncate');
      s.tables.push(...nameList(tokens, second === 'TABLE' ? 2 : 1));
      return s;
    case 'DROP':
      return drop(s, tokens);
    case 'CREATE':
      return create(s, tokens);
    case 'ALTER':
      if (second === 'USER' || second === 'ROLE') addKinds(s, 'grant');
      else addKinds(s, 'ddl');
      if (findWord(tokens, ['TABLE']) !== -1) {
        const t = findWord(tokens, ['TABLE']);
        const name = qualifiedName(tokens, t + 1 + (word(tokens, t + 1) === 'IF' ? 2 : 0));
        if (name) s.tables.push(name[0]);
        if (hasWord(tokens, 'RENAME')) {
          const to = findWord(tokens, ['TO', 'AS'], t + 2);
          const target = to === -1 ? undefined : qualifiedName(tokens, to + 1);
          if (target) s.tables.push(target[0]);
        }
      }
      return s;
    case 'RENAME':
      if (second === 'USER') addKinds(s, 'grant');
      else {
        addKinds(s, 'ddl');
        s.tables.push(...nameList(tokens, 2, ['TO']));
      }
      return s;
    case 'GRANT':
    case 'REVOKE':
      addKinds(s, 'grant');
      return s;
    case 'SET':
      return set(s, tokens, text, settings, limits);
    case 'SHOW':
    case 'HELP':
      addKinds(s, 'show');
      for (const k of ['FROM', 'IN']) {
        const at = findWord(tokens, [k]);
        const name = at === -1 ? undefined : qualifiedName(tokens, at + 1);
        if (
          name &&
          ['COLUMNS', 'FIELDS', 'INDEX', 'INDEXES', 'KEYS'].some((w) => hasWord(tokens, w))
        )
          s.tables.push(name[0]);
      }
      if (second === 'CREATE') {
        const name = qualifiedName(tokens, 3);
        if (name && word(tokens, 2) === 'TABLE') s.tables.push(name[0]);
      }
      return s;
    case 'DESC':
    case 'DESCRIBE':
    case 'EXPLAIN':
      return explain(s, tokens, text, settings, limits);
    case 'ANALYZE':
      if (second === 'TABLE' || second === 'NO_WRITE_TO_BINLOG' || second === 'LOCAL') {
        addKinds(s, 'vacuum');
        s.tables.push(...nameList(tokens, findWord(tokens, ['TABLE']) + 1));
        return s;
      }
      // MariaDB's ANALYZE <statement> runs the statement.
      return runsInner(s, tokens.slice(1), 'explain', text, settings, limits);
    case 'OPTIMIZE':
    case 'REPAIR':
    case 'CHECK':
    case 'CHECKSUM':
      addKinds(s, 'vacuum');
      s.tables.push(...nameList(tokens, findWord(tokens, ['TABLE']) + 1));
      return s;
    case 'USE': {
      addKinds(s, 'set');
      const t = tokens[1];
      if (t && (t.type === 'word' || t.type === 'quoted'))
        s.database = t.type === 'word' ? t.value.toLowerCase() : t.value;
      return s;
    }
    case 'BEGIN':
    case 'START':
    case 'COMMIT':
    case 'ROLLBACK':
    case 'SAVEPOINT':
    case 'RELEASE':
    case 'XA':
      if (first === 'START' && second !== 'TRANSACTION') {
        addKinds(s, 'utility');
        return s;
      }
      addKinds(s, 'transaction');
      return s;
    case 'LOCK':
      addKinds(s, 'lock');
      s.tables.push(...nameList(tokens, findWord(tokens, ['TABLE', 'TABLES']) + 1));
      return s;
    case 'UNLOCK':
      addKinds(s, 'lock');
      return s;
    case 'PREPARE':
      return prepare(s, tokens, text, settings, limits);
    case 'EXECUTE':
      addKinds(s, 'execute');
      if (second === 'IMMEDIATE') {
        const literal = tokens[2];
        if (literal?.type === 'string' && tokens.length === 3) {
          const inner = classifyMysql(literal.value, settings, limits);
          if (inner.ok && inner.statements.length === 1) {
            merge(s, inner.statements[0]!);
            return s;
          }
        }
        dynamic(
          s,
          'dynamic-sql',
          'runs SQL built at run time (EXECUTE IMMEDIATE of an expression)',
        );
        return s;
      }
      if (tokens[1]?.type === 'word' || tokens[1]?.type === 'quoted') {
        s.prepared = tokens[1].value.toLowerCase();
      } else throw unknownStatement();
      return s;
    case 'DEALLOCATE':
      addKinds(s, 'prepare');
      if (tokens[2]) s.deallocates = tokens[2].value.toLowerCase();
      return s;
    case 'CALL':
      addKinds(s, 'call');
      dynamic(s, 'language', 'calls a stored procedure, whose body the gateway does not analyse');
      return s;
    case 'DO':
      addKinds(s, 'select');
      withParsed(s, tokens, `SELECT ${render(tokens.slice(1))}`);
      s.lineage = null;
      return s;
    case 'HANDLER': {
      addKinds(s, 'select');
      const name = qualifiedName(tokens, 1);
      if (name) s.tables.push(name[0]);
      return s;
    }
    case 'LOAD': {
      if (second === 'INDEX') {
        addKinds(s, 'utility');
        return s;
      }
      const local = hasWord(tokens.slice(0, 4), 'LOCAL');
      addKinds(s, 'insert', 'copy', local ? 'copy_from_stdin' : 'copy_from_file');
      if (!local) s.functions.push('copy file');
      const into = findWord(tokens, ['TABLE']);
      const name = into === -1 ? undefined : qualifiedName(tokens, into + 1);
      if (name) s.tables.push(name[0]);
      return s;
    }
    case 'KILL':
      addKinds(s, 'utility');
      s.functions.push('kill');
      return s;
    case 'INSTALL':
    case 'UNINSTALL':
    case 'BINLOG':
      addKinds(s, 'utility');
      dynamic(
        s,
        'language',
        first === 'BINLOG'
          ? 'replays binary log events'
          : 'loads or unloads server code (a plugin)',
      );
      return s;
    case 'FLUSH':
    case 'RESET':
    case 'PURGE':
    case 'SHUTDOWN':
    case 'CHANGE':
    case 'STOP':
    case 'CACHE':
    case 'SIGNAL':
    case 'RESIGNAL':
    case 'GET':
    case 'RESTART':
      addKinds(s, 'utility');
      return s;
    default:
      throw unknownStatement();
  }
}

/** A SELECT (or WITH, VALUES, TABLE): what it reads, locks, and where its rows go. */
function query(s: MysqlStatement, tokens: Token[]): void {
  addKinds(s, 'select');
  const into = findWord(tokens, ['INTO']);
  if (into !== -1) {
    const target = tokens[into + 1];
    if (word(tokens, into + 1) === 'OUTFILE' || word(tokens, into + 1) === 'DUMPFILE') {
      addKinds(s, 'copy', 'copy_to_file');
      s.functions.push('copy file');
      s.nonProjection = 'writes the rows it reads into a file on the database server';
    } else if (target?.type === 'variable') {
      s.nonProjection = 'stores the values it reads in user variables';
    } else {
      // SELECT … INTO a local variable exists only in stored programs.
      s.nonProjection = 'stores the values it reads elsewhere';
    }
  }
  if (
    tokens.some((t, i) => t.type === 'op' && t.value === ':=' && tokens[i - 1]?.type === 'variable')
  ) {
    s.nonProjection = 'stores the values it reads in user variables';
  }
  const forAt = findWord(tokens, ['FOR']);
  if (
    (forAt !== -1 && ['UPDATE', 'SHARE'].includes(word(tokens, forAt + 1) ?? '')) ||
    findWord(tokens, ['LOCK']) !== -1
  ) {
    addKinds(s, 'lock');
  }
  withParsed(s, tokens);
  if (s.nonProjection) s.lineage = null;
}

function drop(s: MysqlStatement, tokens: Token[]): MysqlStatement {
  const what = findWord(tokens, [
    'TABLE',
    'TABLES',
    'VIEW',
    'DATABASE',
    'SCHEMA',
    'USER',
    'ROLE',
    'PREPARE',
    'INDEX',
    'PROCEDURE',
    'FUNCTION',
    'TRIGGER',
    'EVENT',
    'SEQUENCE',
    'SERVER',
    'PACKAGE',
    'TABLESPACE',
  ]);
  const object = what === -1 ? undefined : word(tokens, what);
  if (object === 'PREPARE') {
    addKinds(s, 'prepare');
    if (tokens[what + 1]) s.deallocates = tokens[what + 1]!.value.toLowerCase();
    return s;
  }
  addKinds(s, 'drop');
  if (object === 'USER' || object === 'ROLE') addKinds(s, 'grant');
  let at = what + 1;
  if (word(tokens, at) === 'IF' && word(tokens, at + 1) === 'EXISTS') at += 2;
  if (object === 'TABLE' || object === 'TABLES' || object === 'VIEW' || object === 'SEQUENCE') {
    s.tables.push(...nameList(tokens, at));
  } else if (object === 'INDEX') {
    const on = findWord(tokens, ['ON'], at);
    const name = on === -1 ? undefined : qualifiedName(tokens, on + 1);
    if (name) s.tables.push(name[0]);
  }
  return s;
}

function create(s: MysqlStatement, tokens: Token[]): MysqlStatement {
  const what = findWord(tokens, [
    'TABLE',
    'VIEW',
    'INDEX',
    'DATABASE',
    'SCHEMA',
    'USER',
    'ROLE',
    'SEQUENCE',
    'SERVER',
    'TABLESPACE',
    'LOGFILE',
  ]);
  const object = what === -1 ? undefined : word(tokens, what);
  if (object === 'USER' || object === 'ROLE') {
    addKinds(s, 'grant');
    return s;
  }
  addKinds(s, 'ddl');
  if (object === 'SERVER') {
    dynamic(s, 'language', 'defines a federated server the database will connect to');
    return s;
  }
  let at = what + 1;
  if (word(tokens, at) === 'IF' && word(tokens, at + 1) === 'NOT') at += 3;
  if (object === 'TABLE' || object === 'VIEW' || object === 'SEQUENCE') {
    const name = qualifiedName(tokens, at);
    if (name) s.tables.push(name[0]);
    const select = findWord(tokens, ['SELECT', 'WITH', 'VALUES'], at);
    if (select !== -1 || object === 'VIEW') {
      if (select !== -1) {
        addKinds(s, 'select');
        withParsed(s, tokens.slice(select));
      }
      s.lineage = null;
      s.nonProjection =
        object === 'VIEW'
          ? 'defines a view over the rows it reads'
          : 'writes the rows it reads into a table';
    }
    const like = findWord(tokens, ['LIKE'], at);
    const source = like === -1 ? undefined : qualifiedName(tokens, like + 1);
    if (source) s.tables.push(source[0]);
  } else if (object === 'INDEX') {
    const on = findWord(tokens, ['ON'], at);
    const name = on === -1 ? undefined : qualifiedName(tokens, on + 1);
    if (name) s.tables.push(name[0]);
  }
  return s;
}

function set(
  s: MysqlStatement,
  tokens: Token[],
  text: string,
  settings: LexSettings,
  limits: MysqlClassifierLimits,
): MysqlStatement {
  const second = word(tokens, 1);
  if (second === 'PASSWORD' || (second === 'DEFAULT' && word(tokens, 2) === 'ROLE')) {
    addKinds(s, 'grant');
    return s;
  }
  if (
    second === 'TRANSACTION' ||
    ((second === 'SESSION' || second === 'GLOBAL') && word(tokens, 2) === 'TRANSACTION')
  ) {
    addKinds(s, 'transaction');
    return s;
  }
  addKinds(s, 'set');
  if (second === 'ROLE') return s;
  if (
    second === 'NAMES' ||
    second === 'CHARSET' ||
    (second === 'CHARACTER' && word(tokens, 2) === 'SET')
  ) {
    const value = tokens[second === 'CHARACTER' ? 3 : 2];
    s.settings.push({
      name: 'names',
      ...(value && value.type !== 'op' ? { value: value.value.toLowerCase() } : {}),
      lexer: !value || !isUtf8mb4(value.value),
    });
    return s;
  }
  let body = tokens.slice(1);
  if (second === 'STATEMENT') {
    // MariaDB: SET STATEMENT var = value [, …] FOR statement.
    const forAt = findWord(tokens, ['FOR']);
    if (forAt === -1) throw new StatementError('SET STATEMENT without FOR', tokens[0]!.start);
    body = tokens.slice(2, forAt);
    assignments(s, body, settings);
    runsInner(s, tokens.slice(forAt + 1), undefined, text, settings, limits);
    return s;
  }
  assignments(s, body, settings);
  if (hasWord(tokens, 'SELECT')) {
    addKinds(s, 'select');
    s.nonProjection = 'stores the values it reads in variables';
  }
  const values = assignmentValues(body);
  if (values.length > 0) {
    const facts = parsedFacts(`SELECT ${values.map(render).join(', ')}`);
    if (facts instanceof Error) {
      throw new StatementError(
        `the gateway's MySQL parser cannot read this statement (${firstLine(facts.message)})`,
        tokens[0]!.start,
      );
    }
    for (const table of facts.tables) if (!s.tables.includes(table)) s.tables.push(table);
    for (const f of facts.functions) if (!s.functions.includes(f)) s.functions.push(f);
  }
  return s;
}

/** The value expressions of a SET's assignments that are more than one constant or name (they may read tables, call functions). */
function assignmentValues(tokens: Token[]): Token[][] {
  return splitAssignments(tokens)
    .map((part) =>
      part.slice(
        part.findIndex((t) => t.type === 'op' && (t.value === '=' || t.value === ':=')) + 1,
      ),
    )
    .filter((value) => value.length > 1);
}

function splitAssignments(tokens: Token[]): Token[][] {
  let depth = 0;
  let start = 0;
  const parts: Token[][] = [];
  tokens.forEach((t, i) => {
    if (t.value === '(') depth++;
    if (t.value === ')') depth--;
    if (depth === 0 && t.type === 'op' && t.value === ',') {
      parts.push(tokens.slice(start, i));
      start = i + 1;
    }
  });
  parts.push(tokens.slice(start));
  return parts;
}

/** The assignments of a SET: `[GLOBAL|SESSION|LOCAL] name = value`, `@@scope.name = value`, `@v = expr`, comma-separated. */
function assignments(s: MysqlStatement, tokens: Token[], settings: LexSettings): void {
  for (const part of splitAssignments(tokens)) {
    let k = 0;
    let scope = 'session';
    const w = word(part, 0);
    if (w && ['GLOBAL', 'SESSION', 'LOCAL', 'PERSIST', 'PERSIST_ONLY'].includes(w)) {
      scope = w.toLowerCase();
      k = 1;
    }
    const target = part[k];
    if (!target) continue;
    let name: string;
    if (target.type === 'variable') name = `@${target.value}`;
    else if (target.type === 'system-variable') {
      const dot = target.value.split('.');
      if (dot.length > 1 && ['global', 'persist', 'persist_only'].includes(dot[0]!))
        scope = dot[0]!;
      name = dot[dot.length - 1]!;
    } else name = target.value.toLowerCase();
    const valueTokens = part.slice(k + 2);
    const constant =
      valueTokens.length === 1 &&
      ['string', 'word', 'number', 'quoted'].includes(valueTokens[0]!.type)
        ? valueTokens[0]!.value
        : undefined;
    let lexer = LEXER_SETTINGS.has(name);
    if (lexer && constant !== undefined) {
      if (name === 'sql_mode')
        lexer = lexingModes(constant) !== lexingModes(currentModes(settings));
      else lexer = !isUtf8mb4(constant);
    }
    if (scope !== 'session' && scope !== 'local' && LEXER_SETTINGS.has(name)) lexer = true;
    s.settings.push({ name, ...(constant === undefined ? {} : { value: constant }), lexer });
  }
}

function currentModes(settings: LexSettings): string {
  return [
    settings.ansiQuotes ? 'ANSI_QUOTES' : '',
    settings.noBackslashEscapes ? 'NO_BACKSLASH_ESCAPES' : '',
  ].join(',');
}

/** The lexing-relevant flags of a sql_mode value, normalised for comparison. */
export function lexingModes(value: string): string {
  const modes = value
    .toUpperCase()
    .split(',')
    .map((m) => m.trim());
  const ansiQuotes = modes.includes('ANSI_QUOTES') || modes.includes('ANSI');
  return `${ansiQuotes ? 'Q' : ''}${modes.includes('NO_BACKSLASH_ESCAPES') ? 'B' : ''}`;
}

function isUtf8mb4(value: string): boolean {
  return /^utf8mb4(_[a-z0-9_]+)?$/i.test(value);
}

function explain(
  s: MysqlStatement,
  tokens: Token[],
  text: string,
  settings: LexSettings,
  limits: MysqlClassifierLimits,
): MysqlStatement {
  let k = 1;
  let analyze = false;
  while (k < tokens.length) {
    const w = word(tokens, k);
    if (w === 'ANALYZE') analyze = true;
    if (w === 'EXTENDED' || w === 'PARTITIONS' || w === 'ANALYZE') k++;
    else if (w === 'FORMAT') k += 3;
    else break;
  }
  const inner = word(tokens, k);
  if (
    !inner ||
    !['SELECT', 'WITH', 'INSERT', 'REPLACE', 'UPDATE', 'DELETE', 'TABLE', 'VALUES'].includes(inner)
  ) {
    addKinds(s, 'show');
    const name = qualifiedName(tokens, k);
    if (name && word(tokens, k) !== 'FOR') s.tables.push(name[0]);
    return s;
  }
  if (analyze) return runsInner(s, tokens.slice(k), 'explain', text, settings, limits);
  addKinds(s, 'explain');
  const planned = classifyStatement(tokens.slice(k), text, settings, limits);
  s.tables.push(...planned.tables);
  s.functions.push(...planned.functions);
  return s;
}

/** A statement that runs another (ANALYZE stmt, EXPLAIN ANALYZE, SET STATEMENT … FOR): the inner one's kinds are its own. */
function runsInner(
  s: MysqlStatement,
  tokens: Token[],
  kind: StatementKind | undefined,
  text: string,
  settings: LexSettings,
  limits: MysqlClassifierLimits,
): MysqlStatement {
  if (tokens.length === 0) throw new StatementError('a statement is missing', 0);
  if (kind) addKinds(s, kind);
  merge(s, classifyStatement(tokens, text, settings, limits));
  return s;
}

function merge(s: MysqlStatement, inner: MysqlStatement): void {
  addKinds(s, ...inner.kinds);
  for (const t of inner.tables) if (!s.tables.includes(t)) s.tables.push(t);
  for (const f of inner.functions) if (!s.functions.includes(f)) s.functions.push(f);
  s.unknown.push(...inner.unknown);
  s.settings.push(...inner.settings);
  s.lineage = inner.lineage;
  if (inner.nonProjection) s.nonProjection = inner.nonProjection;
  if (inner.prepared) s.prepared = inner.prepared;
}

function prepare(
  s: MysqlStatement,
  tokens: Token[],
  text: string,
  settings: LexSettings,
  limits: MysqlClassifierLimits,
): MysqlStatement {
  addKinds(s, 'prepare');
  const name = tokens[1];
  const from = tokens[2];
  const source = tokens[3];
  if (!name || word(tokens, 2) !== 'FROM' || !source || !from) {
    throw new StatementError('PREPARE without a name and FROM', tokens[0]!.start);
  }
  if (source.type !== 'string' || tokens.length !== 4) {
    dynamic(
      s,
      'dynamic-sql',
      'prepares SQL built at run time (PREPARE … FROM a variable or an expression)',
    );
    return s;
  }
  const inner = classifyMysql(source.value, settings, limits);
  if (!inner.ok) {
    throw new StatementError(
      `the statement it prepares cannot be read: ${inner.error.message}`,
      source.start,
    );
  }
  if (inner.statements.length !== 1) {
    throw new StatementError('PREPARE of more than one statement', source.start);
  }
  const statement = inner.statements[0]!;
  s.prepares = { name: name.value.toLowerCase(), statement };
  addKinds(s, ...statement.kinds);
  s.tables.push(...statement.tables);
  s.functions.push(...statement.functions);
  s.unknown.push(...statement.unknown);
  s.settings.push(...statement.settings);
  if (statement.nonProjection) s.nonProjection = statement.nonProjection;
  return s;
}

/** The parts of a server's sql_mode the lexer follows. */
export function lexFlags(sqlMode: string): { ansiQuotes: boolean; noBackslashEscapes: boolean } {
  const modes = lexingModes(sqlMode);
  return { ansiQuotes: modes.includes('Q'), noBackslashEscapes: modes.includes('B') };
}
