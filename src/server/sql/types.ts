import type { ColumnUse, OutputLineage } from '../enforcement/index.js';
import type { SqlLimitCode } from './limits.js';

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
  /** Every COPY, whatever its direction; a rule naming `copy` also covers the six kinds below. */
  'copy',
  /** COPY … FROM STDIN: rows from the client (also `insert`). */
  'copy_from_stdin',
  /** COPY … TO STDOUT: rows to the client (also `select`, or the inner statement's kinds). */
  'copy_to_stdout',
  /** COPY … FROM 'file': reads a file on the database server. */
  'copy_from_file',
  /** COPY … TO 'file': writes a file on the database server. */
  'copy_to_file',
  /** COPY … FROM PROGRAM: runs a shell command on the database server and reads its output. */
  'copy_from_program',
  /** COPY … TO PROGRAM: runs a shell command on the database server and writes to it. */
  'copy_to_program',
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
  /**
   * Runs code whose effect is known only at run time: SQL built at run time
   * (EXECUTE of an expression, `query_to_xml(q, …)` of a non-constant `q`,
   * dblink of one…), or a body in a language the gateway cannot analyse
   * (C, internal, plpython3u…). `unknown` on the statement says what. Policy
   * refuses it wherever a rule limits statements, tables or functions, unless
   * an allow rule names `dynamic` (README, "Statements whose effect cannot be
   * known").
   */
  'dynamic',
] as const;

export type StatementKind = (typeof STATEMENT_KINDS)[number];

/** The COPY kinds by direction. */
export const COPY_KINDS = {
  in: { client: 'copy_from_stdin', file: 'copy_from_file', program: 'copy_from_program' },
  out: { client: 'copy_to_stdout', file: 'copy_to_file', program: 'copy_to_program' },
} as const satisfies Record<'in' | 'out', Record<string, StatementKind>>;

/**
 * Kinds that stand for others in a rule: `statements: [copy]` matches, and
 * in an allow rule covers, every COPY direction, as it did before the
 * directions were kinds of their own.
 */
export const KIND_FAMILIES: Readonly<Partial<Record<StatementKind, readonly StatementKind[]>>> = {
  copy: [...Object.values(COPY_KINDS.in), ...Object.values(COPY_KINDS.out)],
};

/**
 * Something a statement runs that cannot be known from its text: the reason
 * its kinds include `dynamic`.
 */
export interface UnknownCode {
  /**
   * `dynamic-sql`: SQL text built at run time; `language`: a body in a
   * language the gateway does not analyse; `unparsed-body`: a body (or a
   * constant SQL string run as SQL) that does not parse or compile;
   * `lexer-settings`: a body run with settings that change how it is lexed;
   * `prepared-in-code`: code that EXECUTEs a prepared statement;
   * `prepared`: an EXECUTE of a prepared statement the protocol layer did
   * not see prepared (or whose name it cannot tell). Two more
   * come from reading the target's catalog for what a statement reaches:
   * `catalog`: the catalog could not be read (fail closed); `limit`: a limit
   * on that reading stopped it.
   */
  reason:
    | 'dynamic-sql'
    | 'language'
    | 'unparsed-body'
    | 'lexer-settings'
    | 'prepared-in-code'
    | 'prepared'
    | 'catalog'
    | 'limit';
  /** For the caller, completing "the statement …": `executes SQL built at run time (EXECUTE of an expression)`. */
  message: string;
}

/**
 * A routine the statement calls or binds by name, for the protocol layer to
 * resolve from the catalog (a user-defined function's body is analysed like
 * a DO block; one in another language makes the statement unknowable).
 */
export interface RoutineRef {
  /** As in `functions`: `schema.name` when qualified, lower-cased unless quoted. */
  name: string;
  /**
   * `call`: called by name (a function call anywhere, CALL); `bind`: bound by
   * a definition that runs it later (a trigger, event trigger, operator, cast,
   * aggregate, type, language, foreign-data wrapper…), see `via`;
   * `operator`: an operator used, which runs the function it is bound to.
   */
  how: 'call' | 'bind' | 'operator';
  /** For `bind`: what binds it (`trigger`, `event trigger`, `operator`, `cast`, `aggregate sfunc`, …). */
  via?: string;
}

/** A run-time setting the statement changes, now or when its code runs. */
export interface SettingChange {
  /** The setting's name, lower-cased; `*` for all of them (RESET ALL, DISCARD ALL) or a name not known here. */
  name: string;
  /**
   * `session` (SET, set_config(…, false)), `transaction` (SET LOCAL,
   * set_config(…, true)), `function` (CREATE/ALTER FUNCTION … SET: while the
   * function runs), `role`, `database` (ALTER ROLE/DATABASE … SET: later
   * sessions), `system` (ALTER SYSTEM).
   */
  scope: 'session' | 'transaction' | 'function' | 'role' | 'database' | 'system';
  /** The new value when the statement spells it as constants; absent for RESET and DEFAULT. */
  value?: string;
  /**
   * The setting changes how the server lexes SQL text (`standard_conforming_strings`,
   * `backslash_quote`, `client_encoding`, or `*`): text the gateway parses
   * with the defaults could then run as something else.
   */
  lexer: boolean;
}

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
  /**
   * Every function called or bound (by an operator, cast, aggregate…), named
   * as written (lower-cased unless quoted, schema when given), including in
   * code the statement carries; plus pseudo-entries for operations that are
   * statements, not calls (`copy program`, `copy file`, `load`, `alter
   * system`, `create extension`, `create language`, `language c`: they
   * contain a space, so no unquoted function name collides with them), so
   * that a rule's `functions` and its function groups see them.
   */
  functions: string[];
  /**
   * The entries of `functions` that belong to a function group
   * (`function-groups.ts`), as written there.
   */
  dangerousFunctions: string[];
  /** The function groups those entries belong to (`@server-files`, …), in the groups' order. */
  functionGroups: string[];
  /** Functions and operators called or bound by name, for the protocol layer to resolve from the catalog. */
  routines: RoutineRef[];
  /**
   * What the statement runs that cannot be known from its text. Non-empty
   * exactly when `kinds` includes `dynamic`: the statement parsed, but its
   * effect is unknowable.
   */
  unknown: UnknownCode[];
  /** Run-time settings it changes (SET, set_config, … SET clauses). */
  settings: SettingChange[];
  /** Present on COPY. */
  copy?: CopyInfo;
  /**
   * True when the statement changes data, schema, privileges or server state,
   * or runs code this module cannot see (DO, CALL, EXECUTE, function bodies).
   * Side effects of functions called from a SELECT are not visible here:
   * policy looks at `functions` for those.
   */
  writes: boolean;
  /** `unknown` is not empty: kept for callers of the earlier, boolean form. */
  opaque: boolean;
  /** SET ROLE, SET SESSION AUTHORIZATION, RESET ALL or DISCARD ALL: changes who the session acts as. */
  roleChange: boolean;
  /**
   * EXECUTE (also under EXPLAIN or CREATE TABLE AS): the prepared statement's
   * name. Its kinds are those of the PREPARE that created it (`prepares`);
   * the protocol layer must remember them per session and decide on those.
   */
  prepared?: string;
  /**
   * PREPARE: the name it defines and the classification of its statement as
   * if sent alone (kinds, tables, lineage…), for the protocol layer to decide
   * a later `EXECUTE name` by. The PREPARE's own kinds include the inner ones.
   */
  prepares?: { name: string; statement: ClassifiedStatement };
  /** DEALLOCATE of one prepared statement, or of all of them (DEALLOCATE ALL, DISCARD ALL). */
  deallocates?: { name: string } | { all: true };
  /** A schema statement that changes what code later statements run (see {@link Redefinition}). */
  redefines?: Redefinition;
  /**
   * Defines, alters or removes objects without running the code it names
   * (CREATE FUNCTION, CREATE TRIGGER, GRANT, DROP …), unlike CREATE TABLE AS
   * or CREATE INDEX, whose expressions run over the rows.
   */
  declarative?: true;
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
  /**
   * How it uses columns other than by returning them: what it writes, the
   * columns its predicates and ordering read, what it renames or alters,
   * and what code it carries reads (`column-uses.ts`). Policy refuses the
   * uses of masked columns a mask rule does not allow.
   */
  uses: ColumnUse[];
}

/**
 * What a schema statement changes about the code later statements run,
 * which a catalog read over another connection cannot see until the
 * statement's transaction commits (`redefinitions.ts`): the code run for
 * these objects (`names`: last name parts, as the catalog spells them), or
 * code whose users cannot be told by name (`any`: a domain, an operator, an
 * extension, schema changes made by code the statement runs).
 */
export type Redefinition = ({ scope: 'objects'; names: string[] } | { scope: 'any' }) & {
  /**
   * Present when the statement redefines code only by the routines it
   * names (a default, a check, an index expression): none, if each of
   * these is a built-in.
   */
  unlessBuiltIn?: RoutineRef[];
};

/**
 * A string that parsed: every statement classified. A statement may still
 * be unknowable (`unknown`, kind `dynamic`); that is decided by policy.
 */
export interface Classified {
  ok: true;
  statements: ClassifiedStatement[];
}

/**
 * A string that was not classified: nothing in it is known, and policy
 * decides it as `unparsed` (refused whenever a rule would have needed its
 * classification).
 */
export interface Unclassified {
  ok: false;
  /**
   * `syntax`: PostgreSQL's grammar refuses the text (`error` is the
   * parser's, which the server would answer too); `limit`: the text exceeds
   * one of the classifier's limits (`error.code` says which), and the relay
   * should refuse it with that code rather than forward it.
   */
  reason: 'syntax' | 'limit';
  error: {
    message: string;
    /**
     * 1-based, counting characters, like the `P` field of a PostgreSQL
     * ErrorResponse, so it can be passed on unchanged.
     */
    position?: number;
    /** For `limit`: the limit's stable error code (`HOOP_SQL_TOO_LONG`, …). */
    code?: SqlLimitCode;
  };
  text: string;
}

export type Classification = Classified | Unclassified;
