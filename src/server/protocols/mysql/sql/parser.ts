import { createRequire } from 'node:module';

/**
 * node-sql-parser's MariaDB grammar (a PEG parser), loaded alone rather
 * than with its every dialect. Why this parser: see docs/DESIGN.md, "MySQL
 * classification". It never sees the client's text: only the gateway's
 * own rendering of the tokens its lexer read (comments gone, executable
 * comments inlined, every literal a placeholder), so it cannot split or
 * quote anything differently from the server.
 */

export interface ParsedSql {
  tableList: string[];
  columnList: string[];
  ast: AstNode | AstNode[];
}

/** The parser's AST: plain JSON objects, read by walking their fields. */
export interface AstNode {
  type?: string;
  [key: string]: AstValue;
}
export type AstValue = string | number | boolean | null | undefined | AstNode | AstValue[];

interface ParserModule {
  Parser: new () => { parse(sql: string, options: { database: string }): ParsedSql };
}

const require = createRequire(import.meta.url);
const module = require('node-sql-parser/build/mariadb.js') as ParserModule;
const parser = new module.Parser();

/** Parses one rendered statement; throws the parser's error when its grammar refuses it. */
export function parseRendered(sql: string): ParsedSql {
  return parser.parse(sql, { database: 'MariaDB' });
}
