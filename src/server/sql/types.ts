import type { OutputLineage } from '../enforcement/index.js';

/**
 * What a statement does, as policy rules name it (`match.statements`).
 *
 * One statement can perform several kinds: `WITH d AS (DELETE …) SELECT …` is
 * both `select` and `delete`. The mapping from parse-tree node to kinds is in
 * `statement-kinds.ts`; anything the table does not know is `utility`, never
 * `select`.
 */
export const STATEMENT_KINDS = [
  'select',
  'insert',
  'update',
  'delete',
  'merge',
  'ddl',
  'drop',
  'truncate',
  /** GRANT and REVOKE of privileges and role membership, role and ownership management. */
  'grant',
  'copy',
  'call',
  'do',
  'explain',
  'transaction',
  'set',
  'show',
  'prepare',
  'execute',
  /** LOCK TABLE, and SELECT … FOR UPDATE/SHARE (row locks). */
  'lock',
  /** Maintenance: VACUUM, ANALYZE, CLUSTER, REINDEX, CHECKPOINT. */
  'vacuum',
  'listen',
  'notify',
  'cursor',
  'utility',
] as const;

export type StatementKind = (typeof STATEMENT_KINDS)[number];

/** How a COPY moves data. */
export interface CopyInfo {
  /** `in` is COPY … FROM (rows into the database), `out` is COPY … TO. */
  direction: 'in' | 'out';
  /** COPY … PROGRAM: runs a shell command on the database server. */
  program: boolean;
  /** COPY … FROM/TO 'file': reads or writes a file on the database server. */
  serverFile: boolean;
  /** COPY … TO STDOUT: how its rows are written and what they hold. */
  out?: CopyOut;
}

/** The format of a COPY … TO STDOUT and the query that describes its columns. */
export interface CopyOut {
  format: 'text' | 'csv' | 'binary';
  /** Given options only; unset ones take PostgreSQL's defaults for the format. */
  delimiter?: string;
  null?: string;
  quote?: string;
  escape?: string;
  header: boolean;
  /**
   * A SELECT with the COPY's columns in its order: `select "a", "b" from
   * "t"` for a table, the inner query's own text for `COPY (query)`.
   */
  describe?: string;
  /** Set when an option or the source cannot be followed here (e.g. ENCODING): what it is. */
  unsupported?: string;
}

/** One statement of a query string, classified from its parse tree. */
export interface ClassifiedStatement {
  /** This statement's own text, trimmed, without the separating semicolon. */
  text: string;
  /** Every kind the statement performs, its own kind first, without repeats. */
  kinds: StatementKind[];
  /**
   * Every relation named (tables, views, sequences, indexes…), as written:
   * `schema.name` when qualified, bare `name` when not (the search path is
   * the server's, unknown here). Unquoted identifiers arrive lower-cased by
   * the parser, quoted ones keep their case (`"Customers"` → `Customers`). A
   * part holding `.` or `"` is double-quoted so the dots stay unambiguous.
   * CTE names are not relations and are left out.
   */
  tables: string[];
  /** Every function called, named as written (lower-cased unless quoted, schema when given). */
  functions: string[];
  /**
   * Calls and operations from the default dangerous list (`dangerous.ts`):
   * function names as in `functions`, plus the pseudo-entries `copy program`,
   * `copy file`, `load` and `alter system` (they contain a space, so no
   * unquoted function name can collide with them).
   */
  dangerousFunctions: string[];
  /** Present on COPY. */
  copy?: CopyInfo;
  /**
   * True when the statement changes data, schema, privileges or server state,
   * or runs code this module cannot see (DO, CALL, EXECUTE, function bodies).
   * Side effects of functions called from a SELECT are not visible here:
   * policy looks at `functions` for those.
   */
  writes: boolean;
  /**
   * The statement carries code that is not parsed here: a DO block or a
   * function body in PL/pgSQL or any other language given as a string.
   * Policy should deny or hold such statements rather than trust `kinds`.
   */
  opaque: boolean;
  /** SET ROLE, SET SESSION AUTHORIZATION, RESET ALL or DISCARD ALL: changes who the session acts as. */
  roleChange: boolean;
  /**
   * EXECUTE (also under EXPLAIN or CREATE TABLE AS): the prepared statement's
   * name. Its kinds are those of the PREPARE that created it; the protocol
   * layer must remember them per session and decide on those.
   */
  prepared?: string;
  /** EXPLAIN without ANALYZE: kinds of the statement that is planned but not run. */
  planned?: StatementKind[];
  /**
   * SHA-256 (first 16 bytes, hex) of the parse tree with positions removed
   * and every constant replaced by a placeholder: equal for statements that
   * differ only in constants, whitespace, comments or keyword case.
   */
  fingerprint: string;
  /**
   * For a statement that returns rows (SELECT, VALUES, set operations, DML …
   * RETURNING): where each output column derives from, in output order (see
   * `lineage.ts`). `null` when it returns no rows or its outputs cannot be
   * traced (EXPLAIN, SHOW, EXECUTE, FETCH, `*` over USING joins…).
   */
  lineage: OutputLineage[] | null;
}

export type Classification =
  | { ok: true; statements: ClassifiedStatement[] }
  | {
      ok: false;
      /**
       * `position` is 1-based and counts characters, like the `P` field of a
       * PostgreSQL ErrorResponse, so it can be passed on unchanged.
       */
      error: { message: string; position?: number };
      text: string;
    };
