import type { ConnectionType } from '../../lib/connection-types.js';
import { parsePrincipal } from '../../lib/principal.js';
import { covers, disjoint, needsAction, unknownKeys } from './coverage.js';
import { compileNames, matchesName } from './glob.js';
import type { Rule, RuleMatch } from './types.js';

/*
 * Policy drift (`hoop policy check`): rules that can never match, rules that
 * never change a decision because another rule takes every request they
 * match, allows that a deny takes from, and names the gateway config does not
 * know. Pure: rules and what is known of the config in, findings out.
 */

export type LintCode =
  /** No request can match the rule. */
  | 'never-matches'
  /** Another rule whose effect wins (or equals it, earlier) matches every request this one does. */
  | 'shadowed'
  /** An allow rule every request of which a deny rule refuses. */
  | 'dead-allow'
  /** A deny rule refuses some of the requests an allow rule matches (a note, not a warning). */
  | 'deny-overlap'
  /** A connection selector that names no configured connection. */
  | 'unknown-connection'
  /** A group neither a connection nor an API key of the config names. */
  | 'unknown-group'
  /** An API key name the config does not configure. */
  | 'unknown-api-key'
  /**
   * A bare `users` entry that is a configured API key's name: `users` matches
   * people and provider identities only, so it names no key (and whoever else
   * bears that name).
   */
  | 'user-is-api-key';

export interface LintFinding {
  code: LintCode;
  /** `note`: worth knowing, not drift (a deny carving requests out of an allow is usual). */
  severity: 'warning' | 'note';
  /** The rule the finding is about, and its index in the policy. */
  rule: string;
  index: number;
  message: string;
  /** The other rule involved (shadowing, denying), if any. */
  related?: { rule: string; index: number };
}

/** What the gateway config says, when `--config` is given; every field optional. */
export interface LintContext {
  connections?: readonly { name: string; type: ConnectionType }[];
  /** Groups the config names: connections' `groups` and API keys' `groups`. */
  groups?: readonly string[];
  apiKeys?: readonly string[];
  /**
   * The config names an identity provider, whose groups it does not list. Without
   * one, API keys are the only callers and a group none of them has never matches.
   */
  identityProvider?: boolean;
  /** The line of each rule in the policy file, for messages naming other rules. */
  lines?: readonly (number | undefined)[];
}

/** The connection types whose requests carry SQL statements. */
const SQL_TYPES: ReadonlySet<ConnectionType> = new Set(['postgres', 'mysql']);

/** Lints a validated policy; findings are ordered by rule, then by kind. */
export function lintPolicy(rules: readonly Rule[], context: LintContext = {}): LintFinding[] {
  const findings: LintFinding[] = [];
  const named = (index: number): string => {
    const line = context.lines?.[index];
    return `${rules[index]!.name}${line === undefined ? '' : ` (line ${line})`}`;
  };
  const never = new Set<number>();
  rules.forEach((rule, index) => {
    const own = namesFindings(rule, index, context);
    findings.push(...own.findings);
    const why = own.never ?? neverMatches(rule, context);
    if (why !== undefined) {
      never.add(index);
      findings.push({
        code: 'never-matches',
        severity: 'warning',
        rule: rule.name,
        index,
        message: `rule ${rule.name} can never match: ${why}`,
      });
    }
  });
  const shadows = rules.map((_, index) =>
    never.has(index) ? [] : takenBy(rules, index, never, named),
  );
  // A deny that never decides (itself shadowed) takes nothing from an allow worth a note.
  const idle = new Set(never);
  shadows.forEach((found, index) => {
    if (found.length > 0) idle.add(index);
  });
  rules.forEach((rule, index) => {
    if (never.has(index)) return;
    findings.push(
      ...(shadows[index]!.length > 0 ? shadows[index]! : overlaps(rules, index, idle, named)),
    );
  });
  return findings.sort((a, b) => a.index - b.index);
}

/** Why no request can match the rule, from its keys alone (or undefined). */
function neverMatches(rule: Rule, context: LintContext): string | undefined {
  const m = rule.match;
  if (m.agents === false && m.apiKeys !== undefined) {
    return '`agents: false` only matches people, and `apiKeys` only agents';
  }
  if (m.delegated === false && m.actors !== undefined) {
    return '`delegated: false` only matches callers acting for themselves, and `actors` only delegated ones';
  }
  if (needsAction(m) && m.types !== undefined && !m.types.some((type) => SQL_TYPES.has(type))) {
    return `\`statements\`, \`tables\` and \`functions\` match SQL only, and \`types\` lists ${m.types.join(', ')}`;
  }
  const configured = context.connections;
  if (configured !== undefined) {
    const reachable = configured.filter(
      (c) =>
        (m.connections === undefined || matchesName(compileNames(m.connections), c.name)) &&
        (m.types === undefined || m.types.includes(c.type)),
    );
    if (reachable.length === 0) {
      return m.connections === undefined
        ? `no configured connection has type ${m.types!.join(' or ')}`
        : `no configured connection matches ${describe(m, ['connections', 'types'])}`;
    }
    if (needsAction(m) && !reachable.some((c) => SQL_TYPES.has(c.type))) {
      return `\`statements\`, \`tables\` and \`functions\` match SQL only, and its connections are ${[
        ...new Set(reachable.map((c) => c.type)),
      ].join(', ')}`;
    }
  }
  return undefined;
}

/** Connection, group and API key names the config does not know. */
function namesFindings(
  rule: Rule,
  index: number,
  context: LintContext,
): { findings: LintFinding[]; never?: string } {
  const findings: LintFinding[] = [];
  const m = rule.match;
  const finding = (code: LintCode, message: string): void => {
    findings.push({ code, severity: 'warning', rule: rule.name, index, message });
  };
  let never: string | undefined;
  if (context.connections !== undefined && m.connections !== undefined) {
    for (const selector of m.connections) {
      const matcher = compileNames([selector]);
      if (!context.connections.some((c) => matchesName(matcher, c.name))) {
        finding(
          'unknown-connection',
          `rule ${rule.name}: connection ${selector} is not a configured connection`,
        );
      }
    }
  }
  if (context.groups !== undefined && m.groups !== undefined) {
    const known = new Set(context.groups);
    const unknown = m.groups.filter((group) => !known.has(group));
    for (const group of unknown) {
      finding(
        'unknown-group',
        context.identityProvider === false
          ? `rule ${rule.name}: group ${group} is held by no API key, and no identity provider is configured`
          : `rule ${rule.name}: group ${group} is not named in the config (fine if the identity provider issues it)`,
      );
    }
    if (context.identityProvider === false && unknown.length === m.groups.length) {
      never = `no caller can hold its groups (${m.groups.join(', ')})`;
    }
  }
  if (context.apiKeys !== undefined && m.apiKeys !== undefined) {
    const known = new Set(context.apiKeys.map((name) => name.toLowerCase()));
    const unknown = m.apiKeys.filter((name) => !known.has(name.toLowerCase()));
    for (const name of unknown) {
      finding('unknown-api-key', `rule ${rule.name}: API key ${name} is not configured`);
    }
    if (unknown.length === m.apiKeys.length) {
      never = `none of its API keys (${m.apiKeys.join(', ')}) is configured`;
    }
  }
  if (context.apiKeys !== undefined) {
    findings.push(...usersNamingApiKeys([rule], context.apiKeys, index));
  }
  return never === undefined ? { findings } : { findings, never };
}

/**
 * `user-is-api-key` findings: bare `users` entries that are a configured API
 * key's name. `users` never matches an API key by name, so such a rule
 * (likely written for the key before identities were namespaced) applies
 * only to provider identities of that name. Cheap: the gateway runs it at
 * every policy load.
 */
export function usersNamingApiKeys(
  rules: readonly Rule[],
  apiKeys: readonly string[],
  firstIndex = 0,
): LintFinding[] {
  const keys = new Set(apiKeys.map((name) => name.toLowerCase()));
  const findings: LintFinding[] = [];
  rules.forEach((rule, offset) => {
    for (const user of rule.match.users ?? []) {
      if (parsePrincipal(user) !== undefined || !keys.has(user.toLowerCase())) continue;
      findings.push({
        code: 'user-is-api-key',
        severity: 'warning',
        rule: rule.name,
        index: firstIndex + offset,
        message: `rule ${rule.name}: users entry ${user} is the name of API key ${user}, but \`users\` never matches an API key by name (only a person or provider identity named so): write \`apiKeys: [${user}]\` or \`users: [apikey:${user}]\` for the key`,
      });
    }
  });
  return findings;
}

const RANK = { deny: 3, review: 2, allow: 1 } as const;

/**
 * Whether rule `a` takes every request of `b` so that `b` never changes a
 * decision: a deny over anything; a review over an allow; the same effect
 * earlier in the file (the first matching rule of an effect decides).
 */
function takes(a: Rule, ai: number, b: Rule, bi: number): boolean {
  if (a.effect === 'mask') return false;
  if (b.effect === 'mask') return a.effect === 'deny';
  const [ra, rb] = [RANK[a.effect], RANK[b.effect]];
  return ra > rb || (ra === rb && ai < bi);
}

/** The other rules, with their index, but those in `skip`. */
function othersThan(rules: readonly Rule[], index: number, skip: ReadonlySet<number>) {
  return rules.map((rule, i) => ({ rule, i })).filter(({ i }) => i !== index && !skip.has(i));
}

/** The rule that takes every request of rule `index`, as a finding (or none). */
function takenBy(
  rules: readonly Rule[],
  index: number,
  never: ReadonlySet<number>,
  named: (index: number) => string,
): LintFinding[] {
  const b = rules[index]!;
  const others = othersThan(rules, index, never);
  // The strongest rule that takes every request of `b`: deny first, then review, then allow.
  const taker = others
    .filter(({ rule, i }) => takes(rule, i, b, index) && covers(rule, b))
    .sort((x, y) => rank(y.rule) - rank(x.rule) || x.i - y.i)[0];
  if (taker !== undefined) {
    const a = taker.rule;
    const related = { rule: a.name, index: taker.i };
    if (b.effect === 'allow' && a.effect === 'deny') {
      return [
        {
          code: 'dead-allow',
          severity: 'warning',
          rule: b.name,
          index,
          related,
          message: `allow rule ${b.name} is dead: deny rule ${named(taker.i)} refuses every request it matches`,
        },
      ];
    }
    return [
      {
        code: 'shadowed',
        severity: 'warning',
        rule: b.name,
        index,
        related,
        message: `rule ${b.name} never changes a decision: ${a.effect} rule ${named(taker.i)}${
          a.effect === b.effect ? ', earlier,' : ''
        } matches every request it does${b.effect === 'mask' ? ' and refuses them' : ''}`,
      },
    ];
  }
  return [];
}

/** Deny rules that take part of an allow rule's requests (notes). */
function overlaps(
  rules: readonly Rule[],
  index: number,
  idle: ReadonlySet<number>,
  named: (index: number) => string,
): LintFinding[] {
  const b = rules[index]!;
  if (b.effect !== 'allow') return [];
  return othersThan(rules, index, idle)
    .filter(({ rule }) => rule.effect === 'deny' && !disjoint(rule, b))
    .map(({ rule, i }) => ({
      code: 'deny-overlap' as const,
      severity: 'note' as const,
      rule: b.name,
      index,
      related: { rule: rule.name, index: i },
      message: `deny rule ${named(i)} takes the requests of allow rule ${b.name} ${overlap(rule, b)}`,
    }));
}

function rank(rule: Rule): number {
  return rule.effect === 'mask' ? 0 : RANK[rule.effect];
}

/** The requests a deny takes from an allow, in words: the deny's keys the allow does not already imply. */
function overlap(deny: Rule, allow: Rule): string {
  const keys = (Object.keys(deny.match) as (keyof RuleMatch)[]).filter(
    (key) => JSON.stringify(deny.match[key]) !== JSON.stringify(allow.match[key]),
  );
  const extra = unknownKeys(deny);
  const parts = [
    keys.length === 0 ? '' : `with ${describe(deny.match, keys)}`,
    extra.length === 0 ? '' : `when its ${extra.join(', ')} holds`,
  ].filter((part) => part !== '');
  return parts.length === 0 ? 'that it matches' : parts.join(' ');
}

const LABELS: Record<string, string> = {
  connections: 'connection',
  types: 'type',
  groups: 'group',
  users: 'user',
  apiKeys: 'API key',
  statements: 'statement',
  tables: 'table',
  functions: 'function',
};

/** `connection pg-prod, statement drop or truncate`. */
function describe(match: RuleMatch, keys: readonly string[]): string {
  const record = match as Record<string, unknown>;
  return keys
    .filter((key) => record[key] !== undefined)
    .map((key) => {
      const value = record[key];
      if (key === 'agents') return value === true ? 'agents only' : 'people only';
      if (Array.isArray(value)) return `${LABELS[key] ?? key} ${value.join(' or ')}`;
      return `${key} ${JSON.stringify(value)}`;
    })
    .join(', ');
}
