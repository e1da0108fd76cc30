/**
 * Limits on what the resolver follows for one statement (STYLE.md, habit 6:
 * every limit is an option with a default). The objects come from the
 * target's catalog, which a client can fill (CREATE FUNCTION, CREATE VIEW …),
 * so they are as untrusted as the statement's own text. Past a limit the
 * statement is not refused by the resolver: what was not followed becomes
 * `unknown` (kind `dynamic`) with the limit's stable reason, and policy
 * decides it like any statement whose effect cannot be known.
 */
export interface RoutineLimits {
  /**
   * Objects in a chain from the statement: a view read by the statement is
   * at depth 1, a function its query calls at 2, what that function's body
   * reaches at 3. Each level not cached costs a round trip. Default 16
   * (views on views a dozen deep occur in reporting schemas).
   */
  maxDepth: number;
  /**
   * Distinct catalog objects (functions, tables and views with what they
   * fire) followed for one statement; a partitioned table counts each
   * partition it writes. Default 5,000.
   */
  maxObjects: number;
  /**
   * Characters of one body or definition read and classified (a function's
   * source, a view's query, a rule, an expression); a longer one is not
   * fetched whole. Default 262,144 (256 Ki), a quarter of the classifier's
   * limit on a client's string.
   */
  maxBodyLength: number;
}

export const DEFAULT_ROUTINE_LIMITS: Readonly<RoutineLimits> = Object.freeze({
  maxDepth: 16,
  maxObjects: 5_000,
  maxBodyLength: 262_144,
});

/** `1048576` → `1,048,576`. */
export function thousands(value: number): string {
  return String(value).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * Limits as given, each missing one at its default.
 *
 * @throws RangeError for a limit that is not a positive whole number.
 */
export function resolveRoutineLimits(limits: Partial<RoutineLimits> | undefined): RoutineLimits {
  const resolved = { ...DEFAULT_ROUTINE_LIMITS };
  for (const key of Object.keys(DEFAULT_ROUTINE_LIMITS) as (keyof RoutineLimits)[]) {
    const value = limits?.[key];
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value <= 0) {
      throw new RangeError(`routine limit ${key} must be a positive whole number, got ${value}`);
    }
    resolved[key] = value;
  }
  return resolved;
}
