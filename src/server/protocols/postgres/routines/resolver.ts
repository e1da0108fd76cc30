import type { ClassifiedStatement, RoutineRef } from '../../../sql/index.js';
import type { CatalogRows, CatalogStatement } from '../catalog.js';
import type { CacheBucket, RoutineCache } from './cache.js';
import type { ReachedEffects } from './effects.js';
import { functionFacts, relationFacts } from './facts.js';
import { resolveRoutineLimits, type RoutineLimits } from './limits.js';
import { BUILT_IN_SCHEMAS, namePattern, schemaMatches } from './names.js';
import {
  EVENT_TRIGGERS_SQL,
  FUNCTIONS_SQL,
  OPERATORS_SQL,
  PIN_SEARCH_PATH,
  RELATIONS_SQL,
  textArray,
} from './queries.js';
import { emptyNeeds, Walk, type Fact, type FactSource, type Needs } from './walk.js';

/** Runs the resolver's own statements on a catalog connection (`CatalogLookup.query`). */
export interface CatalogQueries {
  query(statements: readonly CatalogStatement[]): Promise<CatalogRows[]>;
}

export interface RoutineResolverOptions {
  /** The catalog connection of this database (any role that can read the catalogs). */
  catalog: CatalogQueries;
  /** Shared by every resolver of the gateway; see {@link RoutineCache}. */
  cache: RoutineCache;
  /** Names the database in the cache: host, port and database name. */
  database: string;
  /** Each one left out has its default ({@link DEFAULT_ROUTINE_LIMITS}). */
  limits?: Partial<RoutineLimits>;
  /** See `FactOptions.trustExtensionCode`. Default true. */
  trustExtensionCode?: boolean;
}

/**
 * Finds what the objects a statement reaches would run, from the target's
 * catalog, so that a statement is decided by everything it can make the
 * server execute: `select f()` by f's body, an INSERT by the table's
 * triggers, rules, defaults, checks and policies, a SELECT from a view by
 * the view's query, recursively (what is followed and what is trusted:
 * `index.ts`; what it returns: {@link ReachedEffects}).
 *
 * Names resolve over-approximately, without the session's search path:
 * a bare name means that name in every schema, every overload. Built-in
 * functions (`pg_catalog`, `information_schema`) are trusted, not read; so
 * are extensions' compiled functions unless `trustExtensionCode` is false.
 *
 * One per database (sessions may share it, or each build one over the
 * shared cache). `resolve` answers synchronously when everything is cached
 * (a statement reaching only built-ins costs a map lookup), else with one
 * catalog round trip per level of objects not cached, the lookups of all
 * the statements batched. When the catalog cannot be read, what was not
 * read is `unknown` (fail closed), never nothing.
 */
export class RoutineResolver {
  readonly limits: RoutineLimits;
  readonly catalog: CatalogQueries;
  readonly cache: RoutineCache;
  readonly database: string;
  readonly trustExtensionCode: boolean;
  /** @internal this database's part of the cache */
  readonly bucket: CacheBucket;

  constructor(options: RoutineResolverOptions) {
    this.limits = resolveRoutineLimits(options.limits);
    this.catalog = options.catalog;
    this.cache = options.cache;
    this.database = options.database;
    this.trustExtensionCode = options.trustExtensionCode ?? true;
    this.bucket = options.cache.bucket(options.database);
  }

  /**
   * What each statement reaches, in order: synchronously when the cache
   * holds everything needed, else a promise (which never rejects: a catalog
   * failure is `unknown` in the result).
   */
  resolve(
    statements: readonly ClassifiedStatement[],
  ): ReachedEffects[] | Promise<ReachedEffects[]> {
    const { bucket } = this;
    const now = Date.now();
    const results: ReachedEffects[] = [];
    let walks: Walk[] | undefined;
    for (const [index, statement] of statements.entries()) {
      const known = bucket.memo(statement, now);
      if (known !== undefined) {
        results[index] = known;
        continue;
      }
      (walks ??= []).push(new Walk(statement, index));
    }
    if (walks === undefined) return results;
    const session = new Resolution(this, now);
    const all = walks;
    const waiting = all.filter((walk) => !walk.advance(session));
    if (waiting.length === 0) return session.finish(all, results);
    return session.continue(waiting).then(() => session.finish(all, results));
  }

  /**
   * The routine is known, from what earlier resolutions read, to be a
   * built-in: no user-defined function (or operator) has its name. False
   * when that is not known.
   */
  isBuiltIn(routine: RoutineRef): boolean {
    const key = `${routine.how === 'operator' ? 'o' : 'f'}:${routine.name}`;
    const entry = this.bucket.get(key, Date.now());
    return Array.isArray(entry?.value) && entry.value.length === 0;
  }

  /** Forgets what is known of this database: DDL ran through the gateway on it. */
  invalidate(): void {
    this.bucket.invalidate();
  }
}

/** One call of `resolve`: what it fetched (kept here too, so eviction cannot starve it). */
class Resolution implements FactSource {
  private fetched: Map<string, Fact<unknown>> | undefined;
  private readonly generation: number;
  /** Round trips made, for tests and measurement. */
  roundTrips = 0;

  constructor(
    private readonly resolver: RoutineResolver,
    readonly now: number,
  ) {
    this.generation = resolver.bucket.generation;
  }

  get limits(): RoutineLimits {
    return this.resolver.limits;
  }

  lookup<T>(key: string): Fact<T> | undefined {
    const local = this.fetched?.get(key);
    if (local !== undefined) return local as Fact<T>;
    const entry = this.resolver.bucket.get(key, this.now);
    return entry === undefined ? undefined : { value: entry.value as T, at: entry.at };
  }

  async continue(waiting: Walk[]): Promise<void> {
    let pending = waiting;
    while (pending.length > 0) {
      // Each round trip settles a level of objects, and levels end at maxDepth: a backstop.
      if (this.roundTrips > this.limits.maxDepth + 4) {
        for (const walk of pending) walk.failed('the resolution did not converge');
        return;
      }
      const needs = emptyNeeds();
      for (const walk of pending) walk.needs(needs);
      try {
        await this.fetch(needs);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        for (const walk of pending) walk.failed(message);
        return;
      }
      pending = pending.filter((walk) => !walk.advance(this));
    }
  }

  finish(walks: readonly Walk[], results: ReachedEffects[]): ReachedEffects[] {
    const { bucket, cache } = this.resolver;
    const current = bucket.generation === this.generation;
    for (const walk of walks) {
      const effects = walk.effects.build();
      results[walk.index] = effects;
      if (current && !walk.broken) {
        bucket.remember(walk.statement, effects, walk.oldest + cache.ttlMs);
      }
    }
    return results;
  }

  /** One round trip: every statement needed, after the search path is pinned for deparsing. */
  private async fetch(needs: Needs): Promise<void> {
    const { catalog, limits, trustExtensionCode } = this.resolver;
    const cut = String(limits.maxBodyLength + 1);
    const functionNames = [...needs.functionNames].map((n) => namePattern(n).name);
    const operatorNames = [...needs.operatorNames].map((n) => namePattern(n).name);
    const relationNames = [...needs.relationNames].map((n) => namePattern(n).name);
    const relations = relationNames.length > 0 || needs.relationOids.size > 0;
    const statements: CatalogStatement[] = [
      PIN_SEARCH_PATH,
      {
        name: 'hoop_routines_functions',
        sql: FUNCTIONS_SQL,
        params: [
          textArray(functionNames),
          textArray([...needs.functionOids].map(String)),
          cut,
          textArray(operatorNames),
          textArray(relationNames),
          textArray([...needs.relationOids].map(String)),
          needs.eventTriggers ? 'true' : 'false',
        ],
      },
    ];
    if (operatorNames.length > 0) {
      statements.push({
        name: 'hoop_routines_operators',
        sql: OPERATORS_SQL,
        params: [textArray(operatorNames)],
      });
    }
    if (relations) {
      statements.push({
        name: 'hoop_routines_relations',
        sql: RELATIONS_SQL,
        params: [textArray(relationNames), textArray([...needs.relationOids].map(String)), cut],
      });
    }
    if (needs.eventTriggers) {
      statements.push({ name: 'hoop_routines_event_triggers', sql: EVENT_TRIGGERS_SQL });
    }
    this.roundTrips++;
    const answers = await catalog.query(statements);
    const at = Date.now();
    const options = { maxBodyLength: limits.maxBodyLength, trustExtensionCode };
    let next = 1;
    const functions = functionFacts(answers[next++] ?? [], options);
    for (const facts of functions) this.store(`F:${facts.oid}`, facts, at);
    for (const oid of needs.functionOids) {
      if (!functions.some((f) => f.oid === oid)) this.store(`F:${oid}`, null, at);
    }
    for (const name of needs.functionNames) {
      const pattern = namePattern(name);
      const oids = functions
        .filter((f) => f.proname === pattern.name && schemaMatches(pattern, f.schema))
        .filter((f) => !BUILT_IN_SCHEMAS.includes(f.schema))
        .map((f) => f.oid);
      this.store(`f:${name}`, oids, at);
    }
    if (operatorNames.length > 0) {
      const rows = answers[next++] ?? [];
      for (const name of needs.operatorNames) {
        const pattern = namePattern(name);
        const oids = rows
          .filter(
            ([oprname, schema]) => oprname === pattern.name && schemaMatches(pattern, schema ?? ''),
          )
          .flatMap(([, , list]) => (JSON.parse(list ?? '[]') as unknown[]).map(Number))
          .filter((oid) => oid > 0);
        this.store(`o:${name}`, [...new Set(oids)], at);
      }
    }
    if (relations) {
      const found = relationFacts(answers[next++] ?? [], options);
      for (const facts of found) this.store(`R:${facts.oid}`, facts, at);
      for (const oid of needs.relationOids) {
        if (!found.some((r) => r.oid === oid)) this.store(`R:${oid}`, null, at);
      }
      for (const name of needs.relationNames) {
        const pattern = namePattern(name);
        const oids = found
          .filter((r) => r.relname === pattern.name && schemaMatches(pattern, r.schema))
          .map((r) => r.oid);
        this.store(`r:${name}`, oids, at);
      }
    }
    if (needs.eventTriggers) {
      const rows = answers[next++] ?? [];
      this.store(
        'E',
        rows.map(([, oid]) => Number(oid)),
        at,
      );
    }
  }

  private store(key: string, value: unknown, at: number): void {
    (this.fetched ??= new Map()).set(key, { value, at });
    const { bucket } = this.resolver;
    if (bucket.generation === this.generation) bucket.set(key, value, at);
  }
}
