import type { ClassifiedStatement } from '../../../sql/index.js';
import type { CatalogRows, CatalogStatement } from '../catalog.js';
import type { CacheBucket, RoutineCache } from './cache.js';
import { EffectsBuilder, type ReachedEffects } from './effects.js';
import { functionFacts, relationFacts, type FunctionFacts, type RelationFacts } from './facts.js';
import { resolveRoutineLimits, thousands, type RoutineLimits } from './limits.js';
import { BUILT_IN_SCHEMAS, namePattern, namesBuiltIn, schemaMatches } from './names.js';
import {
  EVENT_TRIGGERS_SQL,
  FUNCTIONS_SQL,
  OPERATORS_SQL,
  PIN_SEARCH_PATH,
  RELATIONS_SQL,
  textArray,
} from './queries.js';
import { DML, Touch, touchOf, type Reach } from './reach.js';

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

/** Kinds that fire event triggers. */
const DDL_KINDS = new Set(['ddl', 'drop', 'grant']);

/** What the catalog was asked and answered in one round trip. */
interface Needs {
  functionNames: Set<string>;
  functionOids: Set<number>;
  operatorNames: Set<string>;
  relationNames: Set<string>;
  relationOids: Set<number>;
  eventTriggers: boolean;
}

type Item =
  | { type: 'function-name'; name: string; depth: number }
  | { type: 'operator'; name: string; depth: number }
  /** `named`: the statement or code names it (by itself or through an operator): a built-in is not added. */
  | { type: 'function'; oid: number; depth: number; named: boolean }
  | { type: 'relation-name'; name: string; touch: number; depth: number }
  | { type: 'relation'; oid: number; touch: number; depth: number; named: boolean }
  | { type: 'event-triggers'; depth: number };

/** A fact and when it was read. */
interface Fact<T> {
  value: T;
  at: number;
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

  /** Forgets what is known of this database: DDL ran through the gateway on it. */
  invalidate(): void {
    this.bucket.invalidate();
  }
}

/** One call of `resolve`: what it fetched (kept here too, so eviction cannot starve it). */
class Resolution {
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

function emptyNeeds(): Needs {
  return {
    functionNames: new Set(),
    functionOids: new Set(),
    operatorNames: new Set(),
    relationNames: new Set(),
    relationOids: new Set(),
    eventTriggers: false,
  };
}

/**
 * The reach of one statement, walked breadth-first: items are names or
 * objects, each object's code adding its effects and the items it reaches
 * one level deeper. Cycles end at objects already expanded (a relation is
 * expanded again only for what is done to it that was not before).
 */
class Walk {
  readonly effects = new EffectsBuilder();
  /** When the oldest fact used was read: the result is good until it expires. */
  oldest = Infinity;
  /** Stopped short (catalog failure): not to be remembered. */
  broken = false;
  private queue: Item[] = [];
  private blocked: Item[] = [];
  private readonly seen = new Set<string>();
  private readonly touched = new Map<number, number>();
  private objects = 0;
  private stopped = false;

  constructor(
    readonly statement: ClassifiedStatement,
    readonly index: number,
  ) {
    for (const routine of statement.routines) {
      // A function bound (a trigger's, an operator's…) counts as run by the statement binding it:
      // what the binding will fire may be invisible to the catalog connection until the
      // statement's transaction commits (a table created in the same transaction).
      if (routine.how === 'operator') this.name('operator', routine.name, 1);
      else this.name('function-name', routine.name, 1);
    }
    const touch = touchOf(statement.kinds);
    if (touch !== 0) for (const table of statement.tables) this.relationName(table, touch, 1);
    if (statement.kinds.some((kind) => DDL_KINDS.has(kind))) {
      this.queue.push({ type: 'event-triggers', depth: 1 });
    }
  }

  /**
   * Expands every item whose facts are known; true when the walk is done,
   * false when it waits for facts (`needs`).
   */
  advance(session: Resolution): boolean {
    // Breadth first: what an item reaches is appended to the array being read.
    const queue = this.blocked.length === 0 ? this.queue : [...this.blocked, ...this.queue];
    this.queue = queue;
    this.blocked = [];
    for (let i = 0; i < queue.length && !this.stopped; i++) {
      if (!this.expand(session, queue[i]!)) this.blocked.push(queue[i]!);
    }
    this.queue = [];
    return this.blocked.length === 0 || this.stopped;
  }

  needs(needs: Needs): void {
    for (const item of this.blocked) {
      if (item.type === 'function-name') needs.functionNames.add(item.name);
      else if (item.type === 'operator') needs.operatorNames.add(item.name);
      else if (item.type === 'function') needs.functionOids.add(item.oid);
      else if (item.type === 'relation-name') needs.relationNames.add(item.name);
      else if (item.type === 'relation') needs.relationOids.add(item.oid);
      else needs.eventTriggers = true;
    }
  }

  failed(message: string): void {
    this.broken = true;
    this.effects.addUnknown({
      reason: 'catalog',
      message: `runs code the gateway could not read from the catalog (${message})`,
    });
  }

  /** False when the item's facts are not known yet. */
  private expand(session: Resolution, item: Item): boolean {
    switch (item.type) {
      case 'function-name':
      case 'operator': {
        const key = `${item.type === 'operator' ? 'o' : 'f'}:${item.name}`;
        const oids = this.fact<number[]>(session, key);
        if (oids === undefined) return false;
        for (const oid of oids) {
          this.queue.push({
            type: 'function',
            oid,
            depth: item.depth,
            named: true,
          });
        }
        return true;
      }
      case 'relation-name': {
        const oids = this.fact<number[]>(session, `r:${item.name}`);
        if (oids === undefined) return false;
        for (const oid of oids) {
          this.queue.push({
            type: 'relation',
            oid,
            touch: item.touch,
            depth: item.depth,
            named: true,
          });
        }
        return true;
      }
      case 'event-triggers': {
        const oids = this.fact<number[]>(session, 'E');
        if (oids === undefined) return false;
        for (const oid of oids)
          this.queue.push({ type: 'function', oid, depth: item.depth, named: false });
        return true;
      }
      case 'function': {
        const key = `F:${item.oid}`;
        if (this.seen.has(key)) return true;
        const facts = this.fact<FunctionFacts | null>(session, key);
        if (facts === undefined) return false;
        this.seen.add(key);
        if (facts !== null) this.function(facts, item, session.limits);
        return true;
      }
      case 'relation': {
        const before = this.touched.get(item.oid) ?? 0;
        const touch = item.touch & ~before;
        if (touch === 0) return true;
        const facts = this.fact<RelationFacts | null>(session, `R:${item.oid}`);
        if (facts === undefined) return false;
        this.touched.set(item.oid, before | item.touch);
        if (facts !== null) this.relation(facts, touch, item, session.limits, before === 0);
        return true;
      }
    }
  }

  private fact<T>(session: Resolution, key: string): T | undefined {
    const fact = session.lookup<T>(key);
    if (fact === undefined) return undefined;
    if (fact.at < this.oldest) this.oldest = fact.at;
    return fact.value;
  }

  private function(
    facts: FunctionFacts,
    item: Extract<Item, { type: 'function' }>,
    limits: RoutineLimits,
  ) {
    if (facts.trusted) {
      // A built-in a trigger or an event trigger runs, which no statement names: named for the rules.
      if (!item.named) this.effects.functions.add(facts.name);
      return;
    }
    if (!this.enter(`function ${facts.name}`, item.depth, limits)) return;
    this.effects.functions.add(facts.name);
    this.reach(facts.reach, item.depth);
    for (const oid of facts.support) {
      this.queue.push({ type: 'function', oid, depth: item.depth + 1, named: false });
    }
  }

  private relation(
    facts: RelationFacts,
    touch: number,
    item: Extract<Item, { type: 'relation' }>,
    limits: RoutineLimits,
    first: boolean,
  ) {
    if (facts.inert) {
      if (!item.named) this.effects.tables.add(facts.name);
      return;
    }
    const what = facts.kind === 'v' ? 'view' : facts.kind === 'm' ? 'materialized view' : 'table';
    if (first && !this.enter(`${what} ${facts.name}`, item.depth, limits)) return;
    if (!item.named) this.effects.tables.add(facts.name);
    const depth = item.depth;
    const writes = touch & (DML | Touch.rewrite);
    if (touch & Touch.read || (facts.kind === 'v' && writes)) {
      // A view written through writes its base tables (an automatically updatable view).
      this.reach(facts.view, depth, facts.kind === 'v' ? writes : 0);
    }
    for (const trigger of facts.triggers) {
      if ((trigger.events & touch) === 0) continue;
      this.queue.push({ type: 'function', oid: trigger.function, depth: depth + 1, named: false });
      this.reach(trigger.when, depth);
    }
    for (const rule of facts.rules) if (rule.events & touch) this.reach(rule.reach, depth);
    if (touch & Touch.rewrite) this.reach(facts.computed, depth);
    const rowWrites = touch & (Touch.insert | Touch.update | Touch.delete);
    for (const policy of facts.policies) {
      if (rowWrites || (touch & Touch.read && (policy.command === 'r' || policy.command === '*'))) {
        this.reach(policy.reach, depth);
      }
    }
    for (const child of facts.referencedBy) {
      const cascade = cascaded(child, touch);
      if (cascade === 0) continue;
      if (cascade & Touch.delete) this.effects.kinds.add('delete');
      if (cascade & Touch.update) this.effects.kinds.add('update');
      if (cascade & Touch.truncate) this.effects.kinds.add('truncate');
      this.effects.tables.add(child.name);
      this.queue.push({
        type: 'relation',
        oid: child.oid,
        touch: cascade,
        depth: depth + 1,
        named: true,
      });
    }
    for (const descendant of facts.descendants) {
      this.effects.tables.add(descendant.name);
      if (!writes) continue;
      this.queue.push({
        type: 'relation',
        oid: descendant.oid,
        touch,
        depth: depth + 1,
        named: true,
      });
    }
  }

  /** Counts an object against the limits; false (and `unknown`) past one. */
  private enter(what: string, depth: number, limits: RoutineLimits): boolean {
    if (depth > limits.maxDepth) {
      this.effects.addUnknown({
        reason: 'limit',
        message: `reaches ${what} nested deeper than the gateway's limit of ${thousands(limits.maxDepth)} levels of objects`,
      });
      return false;
    }
    if (++this.objects > limits.maxObjects) {
      this.effects.addUnknown({
        reason: 'limit',
        message: `reaches more objects than the gateway's limit of ${thousands(limits.maxObjects)} per statement`,
      });
      this.stopped = true;
      return false;
    }
    return true;
  }

  /** Adds what a piece of code does, and queues what it reaches one level deeper. */
  private reach(reach: Reach, depth: number, writes = 0): void {
    this.effects.add(reach.effects);
    for (const name of reach.calls) this.name('function-name', name, depth + 1);
    for (const name of reach.operators) this.name('operator', name, depth + 1);
    for (const { name, touch } of reach.relations)
      this.relationName(name, touch | writes, depth + 1);
    if (reach.ddl) this.queue.push({ type: 'event-triggers', depth: depth + 1 });
  }

  private name(type: 'function-name' | 'operator', name: string, depth: number): void {
    const key = `${type}:${name}`;
    if (this.seen.has(key) || builtIn(name)) return;
    this.seen.add(key);
    this.queue.push({ type, name, depth });
  }

  private relationName(name: string, touch: number, depth: number): void {
    if (builtIn(name)) return;
    const key = `r:${name}:${touch}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.queue.push({ type: 'relation-name', name, touch, depth });
  }
}

/** A name qualified with a built-in schema (a bare name has no dot: the common case, checked first). */
function builtIn(name: string): boolean {
  return name.includes('.') && namesBuiltIn(namePattern(name));
}

/**
 * What a write to a referenced table does to a referencing one through its
 * foreign key's actions (`pg_constraint.confdeltype`/`confupdtype`: `c`
 * cascade, `n` set null, `d` set default; `a` no action and `r` restrict
 * only check). TRUNCATE … CASCADE truncates every referencing table.
 */
function cascaded(child: RelationFacts['referencedBy'][number], touch: number): number {
  let result = 0;
  if (touch & Touch.delete) {
    if (child.onDelete === 'c') result |= Touch.delete | Touch.read;
    else if (child.onDelete === 'n' || child.onDelete === 'd')
      result |= Touch.update | Touch.rewrite;
  }
  if (touch & Touch.update && ['c', 'n', 'd'].includes(child.onUpdate)) {
    result |= Touch.update | Touch.rewrite;
  }
  if (touch & Touch.truncate) result |= Touch.truncate;
  return result;
}
