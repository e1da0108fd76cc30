import type { ErrorCode } from '../../lib/errors.js';

/**
 * Limits on the untrusted text the classifier reads (STYLE.md, habit 6:
 * every limit is an option with a default and its own error code). A query
 * string beyond one of them is not classified: `classifySql` answers
 * `{ ok: false, reason: 'limit' }` with the limit's code, which policy treats
 * like a string that does not parse (refused whenever a rule would have needed
 * its classification) and which the relay should refuse with that code.
 *
 * They bound what one string can cost the gateway: no recursion deep enough
 * to exhaust the stack (the walker, the fingerprint and the lineage tracer
 * recurse over the tree), and time roughly linear in `maxTokens`. Code nested
 * in the string (function bodies, DO blocks, constant strings run by EXECUTE,
 * …) is parsed too, and spends the same budget of tokens and nodes.
 */
export interface SqlLimits {
  /**
   * Characters in one query string, counted before anything else (UTF-16
   * code units, as JavaScript counts). Default 1 MiB (1,048,576).
   */
  maxLength: number;
  /**
   * Lexical tokens outside comments and string constants, counted by a quick
   * scan before the string is parsed, over the string and every body parsed
   * inside it: parse time grows with them. Default 100,000, which a
   * 5,000-row multi-row INSERT reaches; bulk loads belong in COPY … FROM
   * STDIN, whose rows are not statements.
   */
  maxTokens: number;
  /**
   * Nesting of the parse tree: a level for each node and each list in
   * libpg_query's JSON (an operator in a chain `a + b + …` is one level, a
   * scalar subquery about six). Default 1,000, a fifth of what the
   * classifier's recursion handles on Node's default stack.
   */
  maxDepth: number;
  /** Objects in the parse trees of the string and of every body parsed inside it. Default 500,000. */
  maxNodes: number;
  /** Statements in one string (or in one body inside it). Default 1,000. */
  maxStatements: number;
  /**
   * Code nested in code: a constant string EXECUTEd in a DO block inside a
   * function body is three levels below the statement. Default 8.
   */
  maxCodeDepth: number;
}

export const DEFAULT_SQL_LIMITS: Readonly<SqlLimits> = Object.freeze({
  maxLength: 1_048_576,
  maxTokens: 100_000,
  maxDepth: 1_000,
  maxNodes: 500_000,
  maxStatements: 1_000,
  maxCodeDepth: 8,
});

/**
 * The stable error code of each limit (declared in `src/lib/errors.ts` and
 * listed in the README's "Error codes"). `HOOP_SQL_TOO_DEEP` is also what a
 * statement gets whose nesting exhausts the parser's own stack before the
 * depth can be measured.
 */
export const SQL_LIMIT_CODES = {
  maxLength: 'HOOP_SQL_TOO_LONG',
  maxTokens: 'HOOP_SQL_TOO_MANY_TOKENS',
  maxDepth: 'HOOP_SQL_TOO_DEEP',
  maxNodes: 'HOOP_SQL_TOO_MANY_NODES',
  maxStatements: 'HOOP_SQL_TOO_MANY_STATEMENTS',
  maxCodeDepth: 'HOOP_SQL_CODE_TOO_DEEP',
} as const satisfies Record<keyof SqlLimits, ErrorCode>;

/** The code of a limit on the text, or of the time limit on classifying it off the event loop. */
export type SqlLimitCode = (typeof SQL_LIMIT_CODES)[keyof SqlLimits] | 'HOOP_SQL_TOO_SLOW';

const WHAT: Record<keyof SqlLimits, string> = {
  maxLength: 'characters',
  maxTokens: 'tokens',
  maxDepth: 'levels of nesting',
  maxNodes: 'parse-tree nodes',
  maxStatements: 'statements',
  maxCodeDepth: 'levels of code nested in code',
};

/** Thrown inside the classifier when a limit is crossed; `classify.ts` turns it into a result. */
export class SqlLimitExceeded extends Error {
  readonly code: SqlLimitCode;
  /**
   * @param message when given, replaces "the statement exceeds the gateway's
   *   limit of N …" (the parser's own words for a stack it ran out of).
   */
  constructor(
    readonly limit: keyof SqlLimits,
    max: number,
    message?: string,
  ) {
    super(
      message ?? `the statement exceeds the gateway's limit of ${thousands(max)} ${WHAT[limit]}`,
    );
    this.name = 'SqlLimitExceeded';
    this.code = SQL_LIMIT_CODES[limit];
  }
}

/** `1048576` → `1,048,576`, without loading ICU's locale data (`toLocaleString` costs ~40 ms once). */
function thousands(value: number): string {
  return String(value).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * Limits as given, each missing one at its default.
 *
 * @throws RangeError for a limit that is not a positive whole number.
 */
export function resolveLimits(limits: Partial<SqlLimits> | undefined): SqlLimits {
  const resolved = { ...DEFAULT_SQL_LIMITS };
  if (limits === undefined) return resolved;
  for (const key of Object.keys(DEFAULT_SQL_LIMITS) as (keyof SqlLimits)[]) {
    const value = limits[key];
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value <= 0) {
      throw new RangeError(`SQL limit ${key} must be a positive whole number, got ${value}`);
    }
    resolved[key] = value;
  }
  return resolved;
}

/**
 * What is left of the token and node budgets while one query string is
 * classified, shared by the string and every body parsed inside it, so that
 * code nested in code cannot multiply the work.
 */
export class SqlBudget {
  private tokens: number;
  private nodes: number;

  constructor(readonly limits: SqlLimits) {
    this.tokens = limits.maxTokens;
    this.nodes = limits.maxNodes;
  }

  spendTokens(count: number): void {
    this.tokens -= count;
    if (this.tokens < 0) throw new SqlLimitExceeded('maxTokens', this.limits.maxTokens);
  }

  /** Nodes that may still be visited. */
  get nodesLeft(): number {
    return this.nodes;
  }

  /** Tokens that may still be parsed. */
  get tokensLeft(): number {
    return this.tokens;
  }

  spendNodes(count: number): void {
    this.nodes -= count;
    if (this.nodes < 0) throw new SqlLimitExceeded('maxNodes', this.limits.maxNodes);
  }
}
