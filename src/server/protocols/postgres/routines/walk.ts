import type { ClassifiedStatement } from '../../../sql/index.js';
import { EffectsBuilder } from './effects.js';
import type { FunctionFacts, RelationFacts } from './facts.js';
import { thousands, type RoutineLimits } from './limits.js';
import { namePattern, namesBuiltIn } from './names.js';
import { DML, Touch, touchOf, type Reach } from './reach.js';

/** Kinds that fire event triggers. */
const DDL_KINDS = new Set(['ddl', 'drop', 'grant']);

/** What the catalog is asked in one round trip. */
export interface Needs {
  functionNames: Set<string>;
  functionOids: Set<number>;
  operatorNames: Set<string>;
  relationNames: Set<string>;
  relationOids: Set<number>;
  eventTriggers: boolean;
}

export function emptyNeeds(): Needs {
  return {
    functionNames: new Set(),
    functionOids: new Set(),
    operatorNames: new Set(),
    relationNames: new Set(),
    relationOids: new Set(),
    eventTriggers: false,
  };
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
export interface Fact<T> {
  value: T;
  at: number;
}

/** Where a walk reads facts: the cache, and what the current resolution fetched. */
export interface FactSource {
  readonly limits: RoutineLimits;
  lookup<T>(key: string): Fact<T> | undefined;
}

/**
 * The reach of one statement, walked breadth-first: items are names or
 * objects, each object's code adding its effects and the items it reaches
 * one level deeper. Cycles end at objects already expanded (a relation is
 * expanded again only for what is done to it that was not before).
 */
export class Walk {
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
  advance(session: FactSource): boolean {
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
  private expand(session: FactSource, item: Item): boolean {
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

  private fact<T>(session: FactSource, key: string): T | undefined {
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
