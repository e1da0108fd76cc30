import { groupsOf } from '../../../sql/function-groups.js';
import { WRITE_KINDS } from '../../../sql/statement-kinds.js';
import {
  FUNCTION_GROUP_NAMES,
  type ClassifiedStatement,
  type SettingChange,
  type StatementKind,
  type UnknownCode,
} from '../../../sql/index.js';
import type { ColumnUse } from '../../../enforcement/index.js';
import { splitName } from './names.js';

/** Why something a statement reaches cannot be known (`catalog`, `limit` among the reasons). */
export type ReachedUnknown = UnknownCode;

/**
 * What the objects a statement reaches would run (user-defined functions
 * and procedures it calls, operators' functions, triggers, rules,
 * defaults, checks, row-security policies and views of the tables it names,
 * recursively), to add to the statement's own findings. Names are as the
 * code that reaches them writes them, or `schema.name` where the catalog
 * named the object. Non-empty `unknown` comes with kind `dynamic`.
 */
export interface ReachedEffects {
  readonly kinds: readonly StatementKind[];
  readonly tables: readonly string[];
  readonly functions: readonly string[];
  readonly unknown: readonly ReachedUnknown[];
  /**
   * Settings the reached code changes for the session (a function body's
   * SET or `set_config`): the relay watches them as it watches the
   * statement's own (`lexer`: text parsed afterwards may be read otherwise).
   */
  readonly settings: readonly SettingChange[];
  /** The reached code changes who the session acts as (SET ROLE in a body). */
  readonly roleChange: boolean;
  /** What the reached functions' bodies read, as `code` uses (policy refuses those of masked columns). */
  readonly uses?: readonly ColumnUse[];
}

/** Nothing reached: shared, so the common case allocates nothing. */
export const NOTHING_REACHED: ReachedEffects = Object.freeze({
  kinds: Object.freeze([]) as readonly StatementKind[],
  tables: Object.freeze([]) as readonly string[],
  functions: Object.freeze([]) as readonly string[],
  unknown: Object.freeze([]) as readonly ReachedUnknown[],
  settings: Object.freeze([]) as readonly SettingChange[],
  roleChange: false,
});

/** Collects effects without repeats, then freezes them into a {@link ReachedEffects}. */
export class EffectsBuilder {
  readonly kinds = new Set<StatementKind>();
  readonly tables = new Set<string>();
  readonly functions = new Set<string>();
  readonly unknown: ReachedUnknown[] = [];
  readonly settings: SettingChange[] = [];
  roleChange = false;
  readonly uses: ColumnUse[] = [];
  private readonly unknownKeys = new Set<string>();

  add(effects: ReachedEffects): void {
    for (const kind of effects.kinds) this.kinds.add(kind);
    for (const table of effects.tables) this.tables.add(table);
    for (const name of effects.functions) this.functions.add(name);
    for (const unknown of effects.unknown) this.addUnknown(unknown);
    this.settings.push(...effects.settings);
    if (effects.roleChange) this.roleChange = true;
    this.uses.push(...(effects.uses ?? []));
  }

  addUnknown(unknown: ReachedUnknown): void {
    const key = `${unknown.reason}\0${unknown.message}`;
    if (this.unknownKeys.has(key)) return;
    this.unknownKeys.add(key);
    this.unknown.push(unknown);
    this.kinds.add('dynamic');
  }

  get empty(): boolean {
    return (
      this.kinds.size === 0 &&
      this.tables.size === 0 &&
      this.functions.size === 0 &&
      this.unknown.length === 0 &&
      this.settings.length === 0 &&
      this.uses.length === 0 &&
      !this.roleChange
    );
  }

  build(): ReachedEffects {
    if (this.empty) return NOTHING_REACHED;
    return {
      kinds: [...this.kinds],
      tables: [...this.tables],
      functions: [...this.functions],
      unknown: [...this.unknown],
      settings: [...this.settings],
      roleChange: this.roleChange,
      ...(this.uses.length > 0 ? { uses: [...this.uses] } : {}),
    };
  }
}

/**
 * The statement as the enforcer should see it: its kinds, tables and
 * functions with those of what it reaches added (its own kind stays first),
 * its function groups recomputed over every name, and whatever cannot be
 * known of what it reaches in `unknown` (with kind `dynamic`), the
 * settings and role changes of reached code with its own. Lineage, COPY
 * details, fingerprint and text stay the statement's own. Returns the
 * statement itself when nothing is reached.
 */
export function withReached(
  statement: ClassifiedStatement,
  reached: ReachedEffects,
): ClassifiedStatement {
  if (reached === NOTHING_REACHED) return statement;
  const kinds = new Set(statement.kinds);
  for (const kind of reached.kinds) kinds.add(kind);
  const functions = new Set(statement.functions);
  for (const name of reached.functions) functions.add(name);
  const unknown: UnknownCode[] = [...statement.unknown, ...reached.unknown];
  if (unknown.length > 0) kinds.add('dynamic');
  const dangerous: string[] = [];
  const groups = new Set<string>();
  for (const name of functions) {
    const found = groupsOf(splitName(name).at(-1) ?? '');
    if (found.length === 0) continue;
    dangerous.push(name);
    for (const group of found) groups.add(group);
  }
  const merged: ClassifiedStatement = {
    ...statement,
    kinds: [...kinds],
    tables: [...new Set([...statement.tables, ...reached.tables])],
    functions: [...functions],
    dangerousFunctions: dangerous,
    functionGroups: FUNCTION_GROUP_NAMES.filter((group) => groups.has(group)),
    unknown,
    opaque: unknown.length > 0,
    settings: [...statement.settings, ...reached.settings],
    roleChange: statement.roleChange || reached.roleChange,
    writes: statement.writes || reached.kinds.some((kind) => WRITE_KINDS.has(kind)),
    uses: reached.uses?.length ? [...statement.uses, ...reached.uses] : statement.uses,
  };
  return merged;
}
