import type { Classification } from './types.js';

export interface ClassificationCacheOptions {
  /** Distinct SQL strings remembered; the oldest is forgotten first. */
  maxEntries?: number;
  /** Longer strings are classified every time (they rarely repeat and would hold memory). */
  maxSqlLength?: number;
}

/**
 * Remembers classifications by exact SQL text. Drivers and ORMs send the same
 * strings over and over (prepared statements, pgbench, health checks), and a
 * classification depends on the text alone, so a repeat costs a map lookup
 * instead of a parse. Policy is still decided every time: it depends on who
 * asks.
 */
export function cachedClassifier(
  classify: (sql: string) => Classification,
  options: ClassificationCacheOptions = {},
): (sql: string) => Classification {
  const maxEntries = options.maxEntries ?? 2_000;
  const maxSqlLength = options.maxSqlLength ?? 8_192;
  const cache = new Map<string, Classification>();
  return (sql) => {
    if (sql.length > maxSqlLength) return classify(sql);
    const known = cache.get(sql);
    if (known) return known;
    const classification = classify(sql);
    if (cache.size >= maxEntries) cache.delete(cache.keys().next().value as string);
    cache.set(sql, classification);
    return classification;
  };
}
