import type { CatalogRows } from '../catalog.js';
import {
  addAtomicFunction,
  addExpression,
  addPlpgsqlFunction,
  addRule,
  addSql,
  addTriggerCondition,
} from './body.js';
import { thousands } from './limits.js';
import { BUILT_IN_SCHEMAS, qualified } from './names.js';
import { NO_REACH, ReachBuilder, Touch, type Reach } from './reach.js';

/**
 * What the catalog says of one function or relation, its code already
 * classified: the unit the cache keeps and the resolver walks. Decoded
 * from the rows of `queries.ts`.
 */

/** One function or procedure. */
export interface FunctionFacts {
  oid: number;
  /** `schema.name`. */
  name: string;
  /** The function's own name and schema, to match names against. */
  proname: string;
  schema: string;
  /** Built in, or compiled code of an extension: not followed (see {@link FactOptions}). */
  trusted: boolean;
  /** What its body does and calls; for an aggregate, nothing (its support functions run). */
  reach: Reach;
  /** An aggregate's support functions (transition, final, combine…). */
  support: readonly number[];
}

/** One table, view, materialized view or foreign table. */
export interface RelationFacts {
  oid: number;
  name: string;
  relname: string;
  schema: string;
  /** `pg_class.relkind`: `r`, `p`, `v`, `m`, `f`. */
  kind: string;
  /** A view's or materialized view's query. */
  view: Reach;
  triggers: readonly { events: number; function: number; when: Reach }[];
  /** Events are Touch bits. */
  rules: readonly { events: number; reach: Reach }[];
  /** Defaults, generated columns, checks, domains, index expressions: computed on writes. */
  computed: Reach;
  /** `command` is `pg_policy.polcmd`: `r`, `a`, `w`, `d` or `*`. */
  policies: readonly { command: string; reach: Reach }[];
  referencedBy: readonly { oid: number; name: string; onDelete: string; onUpdate: string }[];
  descendants: readonly { oid: number; name: string }[];
  /** Nothing runs when it is read or written (the common table): it counts against no limit. */
  inert: boolean;
}

export interface FactOptions {
  maxBodyLength: number;
  /**
   * Trust functions in C or `internal` that belong to an extension. Only a
   * superuser (or a trusted extension's own script) can create a function
   * in those languages, and an extension's library was put on the server's
   * disk by its administrator, so such a function is the extension's
   * shipped code, like a built-in. An extension's SQL and PL/pgSQL functions
   * are read like any other: their bodies can be, and `ALTER EXTENSION …
   * ADD FUNCTION` lets an extension's owner (any role with CREATE on the
   * database, for a trusted extension) make its own function a member.
   */
  trustExtensionCode: boolean;
}

/** Languages whose bodies are classified. */
const ANALYSED = new Set(['sql', 'plpgsql']);

/** Settings in a function's SET clauses that change how its body is lexed (as `sql/nested-code.ts`). */
function lexerSettings(config: unknown): string[] {
  if (!Array.isArray(config)) return [];
  return config.flatMap((entry) => {
    if (typeof entry !== 'string') return [];
    const [name = '', value = ''] = entry.split(/=(.*)/s);
    const setting = name.trim().toLowerCase();
    const v = value.trim().toLowerCase();
    if (setting === 'standard_conforming_strings' && !['on', 'true'].includes(v)) return [setting];
    if (setting === 'backslash_quote' && v !== 'safe_encoding') return [setting];
    return [];
  });
}

/** Decodes the rows of `FUNCTIONS_SQL`. */
export function functionFacts(rows: CatalogRows, options: FactOptions): FunctionFacts[] {
  return rows.map((row) => {
    const [oid, schema, proname, prokind, language, secdef, extension, config, atomic, body] = row;
    const [defaults, support] = row.slice(10);
    const name = qualified(schema ?? '', proname ?? '');
    const facts: FunctionFacts = {
      oid: Number(oid),
      name,
      proname: proname ?? '',
      schema: schema ?? '',
      trusted: false,
      reach: NO_REACH,
      support: [],
    };
    if (BUILT_IN_SCHEMAS.includes(facts.schema)) return { ...facts, trusted: true };
    if (prokind === 'a') {
      const oids = parseJson(support);
      return {
        ...facts,
        support: Array.isArray(oids) ? oids.map(Number).filter((n) => n > 0) : [],
      };
    }
    const lang = language ?? '';
    if (extension === 't' && options.trustExtensionCode && (lang === 'c' || lang === 'internal')) {
      return { ...facts, trusted: true };
    }
    const kind = prokind === 'p' ? 'procedure' : 'function';
    const definer = secdef === 't' ? ', SECURITY DEFINER: runs with its owner\u2019s rights' : '';
    const into = new ReachBuilder(`${kind} ${name}${definer}`);
    if (!ANALYSED.has(lang)) {
      into.opaque(
        'language',
        `runs ${kind} ${name}${definer ? ` (${definer.slice(2)})` : ''} in language ${lang}, which the gateway cannot analyse`,
      );
      return { ...facts, reach: into.build() };
    }
    const lexer = lexerSettings(parseJson(config));
    if (lexer.length > 0) {
      into.opaque(
        'lexer-settings',
        `runs ${kind} ${name} with ${lexer.join(', ')} changed, so its body may be read otherwise than the gateway reads it`,
      );
      return { ...facts, reach: into.build() };
    }
    if (tooLong(into, body, options) || tooLong(into, defaults, options)) {
      return { ...facts, reach: into.build() };
    }
    if (defaults) addExpression(into, defaults);
    if (lang === 'plpgsql') addPlpgsqlFunction(into, body ?? '');
    else if (atomic === 't') addAtomicFunction(into, body ?? '');
    else addSql(into, body ?? '', false);
    return { ...facts, reach: into.build() };
  });
}

/** Decodes the rows of `RELATIONS_SQL`. */
export function relationFacts(rows: CatalogRows, options: FactOptions): RelationFacts[] {
  return rows.map((row): RelationFacts => {
    const [
      oid,
      schema,
      relname,
      kind,
      view,
      triggers,
      rules,
      computed,
      domains,
      policies,
      referencedBy,
      descendants,
    ] = row;
    const name = qualified(schema ?? '', relname ?? '');
    const what = kind === 'v' ? 'view' : kind === 'm' ? 'materialized view' : 'table';
    const facts: Omit<RelationFacts, 'inert'> = {
      oid: Number(oid),
      name,
      relname: relname ?? '',
      schema: schema ?? '',
      kind: kind ?? 'r',
      view: code(`${what} ${name}`, view, options, (into, text) => addSql(into, text, true)),
      triggers: objects(triggers).map((t) => ({
        events: Number(t.type) & (Touch.insert | Touch.delete | Touch.update | Touch.truncate),
        function: Number(t.function),
        when: code(
          `the condition of trigger ${String(t.name)} on ${name}`,
          str(t.when),
          options,
          addTriggerCondition,
        ),
      })),
      rules: objects(rules).map((r) => ({
        events: RULE_EVENTS[String(r.event)] ?? 0,
        reach: code(`rule ${String(r.name)} on ${name}`, str(r.definition), options, addRule),
      })),
      computed: expressions(
        `the defaults, generated columns, constraints and indexes of ${name}`,
        [...strings(computed), ...strings(domains)],
        options,
      ),
      policies: objects(policies).map((p) => ({
        command: String(p.command),
        reach: expressions(
          `row-security policy ${String(p.name)} on ${name}`,
          [str(p.using), str(p.check)].filter((e): e is string => e !== null),
          options,
        ),
      })),
      referencedBy: objects(referencedBy).map((k) => ({
        oid: Number(k.oid),
        name: qualified(String(k.schema), String(k.name)),
        onDelete: String(k.delete),
        onUpdate: String(k.update),
      })),
      descendants: objects(descendants).map((d) => ({
        oid: Number(d.oid),
        name: qualified(String(d.schema), String(d.name)),
      })),
    };
    const inert =
      facts.view === NO_REACH &&
      facts.computed === NO_REACH &&
      [facts.triggers, facts.rules, facts.policies, facts.referencedBy, facts.descendants].every(
        (list) => list.length === 0,
      );
    return { ...facts, inert };
  });
}

/** `pg_rewrite.ev_type`: 2 UPDATE, 3 INSERT, 4 DELETE (1, SELECT, is a view's own). */
const RULE_EVENTS: Readonly<Record<string, number>> = {
  '2': Touch.update,
  '3': Touch.insert,
  '4': Touch.delete,
};

function code(
  where: string,
  text: string | null | undefined,
  options: FactOptions,
  add: (into: ReachBuilder, text: string) => void,
): Reach {
  if (text === null || text === undefined) return NO_REACH;
  const into = new ReachBuilder(where);
  if (!tooLong(into, text, options)) add(into, text);
  return into.build();
}

function expressions(where: string, texts: readonly string[], options: FactOptions): Reach {
  if (texts.length === 0) return NO_REACH;
  const into = new ReachBuilder(where);
  for (const text of texts) if (!tooLong(into, text, options)) addExpression(into, text);
  return into.build();
}

/** Records a definition cut at the limit (the query sends one character more than it allows). */
function tooLong(
  into: ReachBuilder,
  text: string | null | undefined,
  options: FactOptions,
): boolean {
  if (text === null || text === undefined || text.length <= options.maxBodyLength) return false;
  into.opaque(
    'limit',
    `runs ${into.where}, whose definition is longer than the gateway's limit of ${thousands(options.maxBodyLength)} characters`,
  );
  return true;
}

function parseJson(text: string | null | undefined): unknown {
  if (text === null || text === undefined) return undefined;
  return JSON.parse(text) as unknown;
}

function objects(text: string | null | undefined): Record<string, unknown>[] {
  const value = parseJson(text);
  return Array.isArray(value)
    ? value.filter((v): v is Record<string, unknown> => typeof v === 'object' && v !== null)
    : [];
}

function strings(text: string | null | undefined): string[] {
  const value = parseJson(text);
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
