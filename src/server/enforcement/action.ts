import type { ColumnUse } from './column-uses.js';
import type { OutputLineage } from './lineage.js';

/**
 * What a protocol asks the enforcer to decide: one request in the protocol's
 * own terms, already parsed by the protocol (its codec and its language:
 * a SQL dialect, a shell line, an HTTP request). Policy, reviews, masking
 * and audit read only this; they never see protocol messages.
 */
export type Action = OpenSession | RunSql | RunCommand | HttpRequest | KubernetesRequest;

/** Opening a session on a connection (decided at the tunnel, before any protocol byte). */
export interface OpenSession {
  type: 'session';
}

/** One SQL string as a client sent it (a simple Query, a Parse, a COM_QUERY …). */
export interface RunSql {
  type: 'sql';
  /** The text exactly as the client sent it. */
  text: string;
  /** What the protocol's SQL parser found in `text`. */
  analysis: SqlAnalysis;
}

/**
 * A SQL string parsed statement by statement, or why it was not: the
 * dialect's grammar refuses it (`syntax`), or it exceeds one of the
 * analyser's explicit limits on untrusted input (`limit`, `error.code` says
 * which). Nothing is ever guessed: a string not analysed is `parsed: false`.
 */
export type SqlAnalysis =
  | { parsed: true; statements: readonly SqlStatement[] }
  | {
      parsed: false;
      reason: 'syntax' | 'limit';
      /** `position` is 1-based and counts characters, as PostgreSQL's `P` field. */
      error: { message: string; position?: number; code?: string };
    };

/** One statement of a SQL string, as policy and masking read it. */
export interface SqlStatement {
  /** The statement's own text, trimmed, without the separating semicolon. */
  text: string;
  /** Every kind the statement performs (see the policy reference), its own first. */
  kinds: readonly string[];
  /** Every relation it names, as written (`schema.name` or bare `name`). */
  tables: readonly string[];
  /** Every function it calls, as written. */
  functions: readonly string[];
  /** Equal for statements that differ only in constants, whitespace, comments or case. */
  fingerprint: string;
  /** Where each output column derives from; `null` when it returns no rows or was not traced. */
  lineage: readonly OutputLineage[] | null;
  /**
   * How it uses columns other than by returning them (writes, predicates,
   * ordering, renames, code), for mask rules to decide; absent when the
   * analyser does not tell.
   */
  uses?: readonly ColumnUse[];
  /**
   * What it runs that cannot be known from its text (SQL built at run time,
   * code in a language the analyser does not read): non-empty when `kinds`
   * holds `dynamic`. `message` completes "the statement …".
   */
  unknown?: readonly { reason: string; message: string }[];
}

/**
 * A command line run on a host (an SSH exec request), or a channel opened
 * on it: a shell, a subsystem, a forwarding (`commands` is then one
 * `@name` word: `@shell`, `@sftp`, `@forward`, `@agent`).
 */
export interface RunCommand {
  type: 'command';
  /** The line exactly as the client sent it (for a channel, what it asked for: `shell`, `sftp`, `direct-tcpip host:port`). */
  line: string;
  /** Each simple command the line runs, as its words after parsing, the program without its directory. */
  commands: readonly (readonly string[])[];
  /** An interactive shell rather than one command line. */
  shell: boolean;
  /** The line could not be parsed: what it runs is unknown. */
  unparsed: boolean;
  /** What the line runs that only the target's shell can know; `message` completes "the command line …". */
  unknown?: readonly { reason: string; message: string }[];
  /** Allowed only by a rule that names it (forwarding): a broad allow rule does not. */
  explicit?: boolean;
}

/** One HTTP request to an internal API. */
export interface HttpRequest {
  type: 'http';
  /** Upper-case method, as the target will read it. */
  method: string;
  /** The path as decided: percent-decoded once, dot segments removed. */
  path: string;
}

/** One Kubernetes API request, read as the API server reads it (its request-info rules). */
export interface KubernetesRequest {
  type: 'kubernetes';
  /** get, list, watch, create, update, patch, delete, deletecollection, exec, portforward … */
  verb: string;
  /** The API group (`''` for the core group). */
  apiGroup: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  /** The request path as decided. */
  path: string;
}
