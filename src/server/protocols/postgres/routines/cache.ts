import type { ClassifiedStatement, RoutineRef } from '../../../sql/index.js';
import type { ReachedEffects } from './effects.js';

export interface RoutineCacheOptions {
  /**
   * How long what the catalog said is trusted: a function replaced or a
   * trigger added other than through the gateway (which calls
   * `invalidate()`) is seen after this. Default 30 s.
   */
  ttlMs?: number;
  /** Most facts kept, over every database; the oldest go first. Default 20,000. */
  maxEntries?: number;
  /**
   * Most whole results kept per database, one per distinct statement (the
   * classification cache holds 2,000 strings per session). Default 5,000.
   */
  maxResults?: number;
}

/** A fact and when it was read. */
export interface CacheEntry {
  at: number;
  value: unknown;
}

interface Memo {
  tables: readonly string[];
  kinds: readonly string[];
  effects: ReachedEffects;
  /** When the oldest catalog fact it was built from expires. */
  until: number;
}

/**
 * What the catalogs of the gateway's targets hold, shared by every session
 * and kept per database (host, port, database name): function, operator and
 * relation names to what they stand for, and each object's classified code.
 * Per database rather than per role, since a body or a trigger is the same
 * whoever reads it (the catalogs read here are readable by every role).
 *
 * Misses are cached too (a name with no user-defined function, the common
 * case: `now`, `count`). A statement's whole result is also kept, keyed by
 * its `routines` list and checked against its `tables` and `kinds` lists:
 * the classification cache hands back the same lists for the same text and
 * for texts differing only in numeric constants, so a repeated statement
 * costs one lookup.
 */
export class RoutineCache {
  readonly ttlMs: number;
  readonly maxEntries: number;
  readonly maxResults: number;
  private readonly buckets = new Map<string, CacheBucket>();
  /** Facts held over every bucket. */
  size = 0;

  constructor(options: RoutineCacheOptions = {}) {
    this.ttlMs = options.ttlMs ?? 30_000;
    this.maxEntries = options.maxEntries ?? 20_000;
    this.maxResults = options.maxResults ?? 5_000;
    const whole = (n: number) => Number.isInteger(n) && n > 0;
    if (!(this.ttlMs >= 0) || !whole(this.maxEntries) || !whole(this.maxResults)) {
      throw new RangeError(
        'RoutineCache: ttlMs must be ≥ 0, maxEntries and maxResults positive whole numbers',
      );
    }
  }

  /** What is known of one database. */
  bucket(database: string): CacheBucket {
    let bucket = this.buckets.get(database);
    if (bucket === undefined) this.buckets.set(database, (bucket = new CacheBucket(this)));
    return bucket;
  }

  /** Forgets what is known of `database` (DDL ran there), or of every database. */
  invalidate(database?: string): void {
    if (database !== undefined) this.buckets.get(database)?.invalidate();
    else for (const bucket of this.buckets.values()) bucket.invalidate();
  }

  /** @internal Makes room for one more fact, taking the oldest of `from` first. */
  evict(from: CacheBucket): void {
    while (this.size > this.maxEntries) {
      const bucket = from.size > 0 ? from : [...this.buckets.values()].find((b) => b.size > 0);
      if (bucket === undefined || !bucket.dropOldest()) return;
    }
  }
}

/** The facts and results of one database (see {@link RoutineCache}). */
export class CacheBucket {
  private readonly entries = new Map<string, CacheEntry>();
  /*
   * A Map, bounded, rather than a WeakMap: a WeakMap with many short-lived
   * keys makes every minor collection slow (ephemeron tables), which cost
   * tens of microseconds per new statement where this costs none.
   */
  private readonly memos = new Map<readonly RoutineRef[], Memo>();
  /** Changes at every `invalidate()`: what was read before it is not stored. */
  generation = 0;

  constructor(private readonly cache: RoutineCache) {}

  get size(): number {
    return this.entries.size;
  }

  /** A fact, or undefined when absent or expired. */
  get(key: string, now: number): CacheEntry | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (now - entry.at > this.cache.ttlMs) {
      this.entries.delete(key);
      this.cache.size--;
      return undefined;
    }
    return entry;
  }

  set(key: string, value: unknown, at: number): void {
    if (this.entries.delete(key)) this.cache.size--;
    this.entries.set(key, { at, value });
    this.cache.size++;
    this.cache.evict(this);
  }

  /** @internal */
  dropOldest(): boolean {
    const oldest = this.entries.keys().next().value;
    if (oldest === undefined) return false;
    this.entries.delete(oldest);
    this.cache.size--;
    return true;
  }

  /** The whole result for a statement with these lists, while none of its facts has expired. */
  memo(statement: ClassifiedStatement, now: number): ReachedEffects | undefined {
    const memo = this.memos.get(statement.routines);
    if (memo === undefined || now >= memo.until) return undefined;
    return memo.tables === statement.tables && memo.kinds === statement.kinds
      ? memo.effects
      : undefined;
  }

  remember(statement: ClassifiedStatement, effects: ReachedEffects, until: number): void {
    this.memos.delete(statement.routines);
    this.memos.set(statement.routines, {
      tables: statement.tables,
      kinds: statement.kinds,
      effects,
      until,
    });
    if (this.memos.size > this.cache.maxResults) {
      this.memos.delete(this.memos.keys().next().value!);
    }
  }

  invalidate(): void {
    this.cache.size -= this.entries.size;
    this.entries.clear();
    this.memos.clear();
    this.generation++;
  }
}
