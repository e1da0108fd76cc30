import { parseSql } from './parser.js';
import type { CopyOut } from './types.js';
import { type AstObject, asArray } from './ast.js';

/*
 * What a COPY … TO STDOUT sends, read from its parse tree: the format
 * options (sql-copy.html, "Parameters") and where the columns come from,
 * so that the columns can be described and the rows masked. Options that
 * only apply to COPY FROM are rejected by PostgreSQL itself for COPY TO.
 */

const BOOLEAN_WORDS: Record<string, boolean> = {
  true: true,
  on: true,
  '1': true,
  false: false,
  off: false,
  '0': false,
};

/** The COPY TO STDOUT's options and source, or why they cannot be followed (`unsupported`). */
export function copyOut(node: AstObject, text: string): CopyOut {
  const out: CopyOut = { format: 'text', header: false };
  for (const item of asArray(node.options)) {
    const def = (item as AstObject).DefElem as AstObject | undefined;
    const name = typeof def?.defname === 'string' ? def.defname : '';
    const arg = def?.arg as AstObject | undefined;
    const value = argText(arg);
    switch (name) {
      case 'format':
        if (value === 'text' || value === 'csv' || value === 'binary') out.format = value;
        else return { ...out, unsupported: `format ${value ?? '?'}` };
        break;
      case 'header': {
        const flag = arg === undefined ? true : BOOLEAN_WORDS[(value ?? '').toLowerCase()];
        if (flag === undefined) return { ...out, unsupported: `header ${value ?? '?'}` };
        out.header = flag;
        break;
      }
      case 'delimiter':
      case 'null':
      case 'quote':
      case 'escape':
        if (value === undefined) return { ...out, unsupported: name };
        out[name] = value;
        break;
      case 'force_quote':
        // Quotes more values; the reader takes quoted and unquoted values alike.
        break;
      default:
        // ENCODING changes the bytes the codec reads; anything else is unknown here.
        return { ...out, unsupported: name };
    }
  }
  // PostgreSQL requires one-byte DELIMITER, QUOTE and ESCAPE; a multibyte one would be an error there.
  for (const key of ['delimiter', 'quote', 'escape'] as const) {
    const value = out[key];
    if (value !== undefined && Buffer.byteLength(value) !== 1) {
      return { ...out, unsupported: key };
    }
  }
  const relation = node.relation as AstObject | undefined;
  if (relation) {
    const columns = asArray(node.attlist).map((item) => argText(item as AstObject) ?? '');
    return {
      ...out,
      describe:
        `select ${columns.length > 0 ? columns.map(quoteIdent).join(', ') : '*'} from ` +
        (typeof relation.schemaname === 'string' ? `${quoteIdent(relation.schemaname)}.` : '') +
        quoteIdent(String(relation.relname)),
    };
  }
  const query = node.query as AstObject | undefined;
  const inner = query ? innerQuery(text, query) : undefined;
  return inner === undefined
    ? { ...out, unsupported: 'the copied query could not be located in the text' }
    : { ...out, describe: inner };
}

/** A DefElem argument or a String node as text (`Integer` 0 arrives without `ival`). */
function argText(arg: AstObject | undefined): string | undefined {
  if (!arg) return undefined;
  const string = arg.String as AstObject | undefined;
  if (string) return typeof string.sval === 'string' ? string.sval : '';
  const integer = arg.Integer as AstObject | undefined;
  if (integer) return String(integer.ival ?? 0);
  const boolean = arg.Boolean as AstObject | undefined;
  if (boolean) return boolean.boolval === true ? 'true' : 'false';
  return undefined;
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * The text of `COPY ( query ) TO …`'s query: the span between the first
 * parenthesis after COPY and its match, found by a scan that skips comments,
 * string literals and quoted identifiers. The span is accepted only when it
 * parses to the very tree the COPY holds, so a scan that went wrong cannot
 * describe some other query.
 */
function innerQuery(text: string, query: AstObject): string | undefined {
  const open = nextParen(text, 0, 0);
  if (open === -1) return undefined;
  const close = nextParen(text, open + 1, 1);
  if (close === -1) return undefined;
  const inner = text.slice(open + 1, close);
  const parsed = parseSql(inner);
  if (!parsed.ok || parsed.statements.length !== 1) return undefined;
  const [statement] = parsed.statements;
  return statement && sameTree(statement.stmt, query) ? inner : undefined;
}

/**
 * From `from` at parenthesis depth `depth`: with depth 0 the index of the
 * first `(`, else of the `)` that brings depth to 0; -1 when there is none.
 */
function nextParen(text: string, from: number, depth: number): number {
  let i = from;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '-' && text[i + 1] === '-') {
      const end = text.indexOf('\n', i);
      i = end === -1 ? text.length : end + 1;
    } else if (c === '/' && text[i + 1] === '*') {
      // Block comments nest in PostgreSQL.
      let level = 1;
      i += 2;
      while (i < text.length && level > 0) {
        if (text.startsWith('/*', i)) level++;
        else if (text.startsWith('*/', i)) level--;
        else {
          i++;
          continue;
        }
        i += 2;
      }
    } else if (c === "'" || c === '"') {
      // E'…' strings may escape a quote with a backslash.
      const backslashes = c === "'" && /[eE]$/.test(text.slice(Math.max(0, i - 1), i));
      i++;
      while (i < text.length) {
        if (backslashes && text[i] === '\\') i += 2;
        else if (text[i] === c && text[i + 1] === c) i += 2;
        else if (text[i] === c) break;
        else i++;
      }
      i++;
    } else if (c === '$') {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(text.slice(i));
      if (tag && !/[A-Za-z0-9_]$/.test(text.slice(0, i))) {
        const end = text.indexOf(tag[0], i + tag[0].length);
        i = end === -1 ? text.length : end + tag[0].length;
      } else i++;
    } else {
      if (c === '(') {
        if (depth === 0) return i;
        depth++;
      } else if (c === ')' && depth > 0) {
        depth--;
        if (depth === 0) return i;
      }
      i++;
    }
  }
  return -1;
}

/** Deep equality of parse trees, positions aside (`location` fields differ with the offset). */
function sameTree(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keysA = Object.keys(a).filter((k) => k !== 'location');
  const keysB = Object.keys(b).filter((k) => k !== 'location');
  if (keysA.length !== keysB.length) return false;
  return keysA.every((k) =>
    sameTree((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  );
}
