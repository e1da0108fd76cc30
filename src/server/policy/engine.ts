import {
  compileCondition,
  conditionContext,
  conditionError,
  type CompiledCondition,
  type ConditionContext,
} from './condition.js';
import {
  compileCommands,
  compileNames,
  compileObjects,
  matchesName,
  type NameMatcher,
} from './glob.js';
import { MESSAGES } from './messages.js';
import { compileWindows, type TimeMatcher } from './time-window.js';
import { DYNAMIC_KIND, expandFunctionSelectors, expandStatementKinds } from './vocabulary.js';
import { parseDuration } from '../../lib/duration.js';
import { apiKeySubject, parsePrincipal } from '../../lib/principal.js';
import {
  DEFAULT_REVIEW_TIMEOUT_MS,
  type Decision,
  type MaskDirective,
  type PolicyRequest,
  type ReviewRequirement,
  type Rule,
  type CommandAction,
  type SqlAction,
} from './types.js';

/**
 * A rule with its selectors compiled to sets and regular expressions, so that
 * deciding allocates nothing but the result.
 */
interface CompiledRule {
  name: string;
  effect: Rule['effect'];
  connections: NameMatcher | undefined;
  types: ReadonlySet<string> | undefined;
  groups: ReadonlySet<string> | undefined;
  /** Who `users` names, each kind of identity apart (see {@link compileUsers}). */
  users: CompiledUsers | undefined;
  /** `apikey:<name>`, lowercased (API key names are unique without case). */
  apiKeys: ReadonlySet<string> | undefined;
  agents: boolean | undefined;
  /** Actors' provider subjects, one of which must be in the delegation chain. */
  actors: ReadonlySet<string> | undefined;
  delegated: boolean | undefined;
  time: TimeMatcher | undefined;
  condition: CompiledCondition | undefined;
  /** True when the rule looks at what is asked (statements, tables, functions). */
  needsAction: boolean;
  /**
   * The rule names `dynamic` in its statements: it decides statements whose
   * effect is known only at run time by their kinds like any other, instead
   * of refusing them for want of knowing what they do.
   */
  namesDynamic: boolean;
  /** The kinds named, with families expanded (`copy` → every COPY kind). */
  statements: ReadonlySet<string> | undefined;
  tables: RegExp | undefined;
  /** The functions named, with each `@group` expanded to its members. */
  functions: RegExp | undefined;
  /** The command globs and channels named: the rule applies to command lines only. */
  commands: RegExp | undefined;
  /** Allow rules require every kind, table and function to be covered; the others, any. */
  every: boolean;
  /** For deny and review rules: what the caller is told. */
  message: string | undefined;
  mask: MaskDirective | undefined;
  review: ReviewRequirement | undefined;
}

function compileRule(rule: Rule): CompiledRule {
  const m = rule.match;
  const lenient = rule.effect !== 'allow';
  return {
    name: rule.name,
    effect: rule.effect,
    connections: m.connections === undefined ? undefined : compileNames(m.connections),
    types: m.types === undefined ? undefined : new Set(m.types),
    groups: m.groups === undefined ? undefined : new Set(m.groups),
    users: m.users === undefined ? undefined : compileUsers(m.users),
    apiKeys:
      m.apiKeys === undefined
        ? undefined
        : new Set(m.apiKeys.map((name) => apiKeySubject(name.toLowerCase()))),
    agents: m.agents,
    actors:
      m.actors === undefined
        ? undefined
        : new Set(m.actors.map((actor) => parsePrincipal(actor)?.subject ?? actor)),
    delegated: m.delegated,
    time:
      m.time === undefined ? undefined : compileWindows(Array.isArray(m.time) ? m.time : [m.time]),
    condition: rule.when === undefined ? undefined : condition(rule),
    needsAction: m.statements !== undefined || m.tables !== undefined || m.functions !== undefined,
    namesDynamic: m.statements?.includes(DYNAMIC_KIND) === true,
    statements:
      m.statements === undefined
        ? undefined
        : new Set(expandStatementKinds(m.statements, rule.effect === 'allow')),
    tables: m.tables === undefined ? undefined : compileObjects(m.tables, lenient),
    functions:
      m.functions === undefined
        ? undefined
        : compileObjects(expandFunctionSelectors(m.functions), lenient),
    commands: m.commands === undefined ? undefined : compileCommands(m.commands),
    every: rule.effect === 'allow',
    message:
      rule.effect === 'deny'
        ? (rule.message ?? MESSAGES.denied(rule.name))
        : rule.effect === 'review' && rule.review !== undefined
          ? MESSAGES.review(rule.name, rule.review.approvers, rule.message)
          : undefined,
    mask:
      rule.mask === undefined
        ? undefined
        : Object.freeze({
            rule: rule.name,
            columns: Object.freeze([...rule.mask.columns]),
            detectors: Object.freeze([...rule.mask.detectors]),
            ...(rule.mask.hashAllowed !== undefined && { hashAllowed: rule.mask.hashAllowed }),
            ...(rule.mask.allow !== undefined && {
              allow: Object.freeze([...new Set(rule.mask.allow)]),
            }),
          }),
    review:
      rule.effect === 'review' && rule.review !== undefined
        ? Object.freeze({
            rule: rule.name,
            approvers: Object.freeze([...rule.review.approvers]),
            approvals: rule.review.approvals,
            timeoutMs:
              rule.review.timeout === undefined
                ? DEFAULT_REVIEW_TIMEOUT_MS
                : parseDuration(rule.review.timeout),
          })
        : undefined,
  };
}

/** Conditions were compiled when the policy was validated; this cannot fail for a validated rule. */
function condition(rule: Rule): CompiledCondition {
  const compiled = compileCondition(rule.when as string);
  if (!compiled.ok) throw new Error(`policy rule ${rule.name}: ${compiled.message}`);
  return compiled.condition;
}

/**
 * A `users` list, split by the kind of identity each entry can name, so that
 * no entry meant for one kind can match another: `apikey:<name>` entries
 * match API keys only, everything else provider identities only.
 */
interface CompiledUsers {
  /** `apikey:<name>` entries, lowercased. */
  apiKeys: ReadonlySet<string>;
  /** `oidc:<sub>` entries' subjects. */
  subjects: ReadonlySet<string>;
  /** Other entries as written: a provider subject or name. */
  bare: ReadonlySet<string>;
  /** Other entries that look like emails, lowercased: emails compare without case. */
  emails: ReadonlySet<string>;
}

function compileUsers(users: readonly string[]): CompiledUsers {
  const apiKeys = new Set<string>();
  const subjects = new Set<string>();
  const bare = new Set<string>();
  const emails = new Set<string>();
  for (const user of users) {
    const principal = parsePrincipal(user);
    if (principal?.method === 'apikey') apiKeys.add(principal.subject.toLowerCase());
    else if (principal?.method === 'oidc') subjects.add(principal.subject);
    else {
      bare.add(user);
      if (user.includes('@')) emails.add(user.toLowerCase());
    }
  }
  return { apiKeys, subjects, bare, emails };
}

function usersMatch(users: CompiledUsers, identity: PolicyRequest['identity']): boolean {
  const { method, subject, name, email } = identity;
  if (method === 'apikey') return users.apiKeys.has(subject.toLowerCase());
  if (method !== 'oidc') return false;
  return (
    users.subjects.has(subject) ||
    users.bare.has(subject) ||
    users.bare.has(name) ||
    (email !== undefined && users.emails.has(email.toLowerCase()))
  );
}

function identityMatches(rule: CompiledRule, identity: PolicyRequest['identity']): boolean {
  if (rule.agents !== undefined && rule.agents !== (identity.kind === 'agent')) return false;
  if (rule.delegated !== undefined) {
    const delegated = identity.actors !== undefined && identity.actors.length > 0;
    if (rule.delegated !== delegated) return false;
  }
  if (rule.actors !== undefined) {
    if (identity.actors === undefined) return false;
    let named = false;
    for (const actor of identity.actors) {
      if (rule.actors.has(actor)) {
        named = true;
        break;
      }
    }
    if (!named) return false;
  }
  if (rule.apiKeys !== undefined) {
    if (identity.method !== 'apikey') return false;
    if (!rule.apiKeys.has(identity.subject.toLowerCase())) return false;
  }
  if (rule.users !== undefined && !usersMatch(rule.users, identity)) return false;
  if (rule.groups !== undefined) {
    let shared = false;
    for (const group of identity.groups) {
      if (rule.groups.has(group)) {
        shared = true;
        break;
      }
    }
    if (!shared) return false;
  }
  return true;
}

/** Any (or, for `every`, each and at least one) of `values` is in `set`. */
function setCovers(set: ReadonlySet<string>, values: readonly string[], every: boolean): boolean {
  if (values.length === 0) return false;
  for (const value of values) {
    if (set.has(value) !== every) return !every;
  }
  return every;
}

function regexCovers(regex: RegExp, values: readonly string[], every: boolean): boolean {
  if (values.length === 0) return false;
  for (const value of values) {
    if (regex.test(value) !== every) return !every;
  }
  return every;
}

/** Deny, review and mask rules: any simple command matches; allow rules: every one (and at least one). */
function commandsMatch(rule: CompiledRule, action: CommandAction): boolean {
  const commands = rule.commands as RegExp;
  if (action.commands.length === 0) return false;
  for (const words of action.commands) {
    if (commands.test(words.join(' ')) !== rule.every) return !rule.every;
  }
  return rule.every;
}

function actionMatches(rule: CompiledRule, action: SqlAction): boolean {
  if (rule.statements !== undefined && !setCovers(rule.statements, action.kinds, rule.every)) {
    return false;
  }
  if (rule.tables !== undefined && !regexCovers(rule.tables, action.tables, rule.every)) {
    return false;
  }
  if (rule.functions !== undefined && !regexCovers(rule.functions, action.functions, rule.every)) {
    return false;
  }
  return true;
}

/** Connections are few and named by the config, but a cache keyed by input is bounded all the same. */
const MAX_CACHED_CONNECTIONS = 1024;

/** Callers on a connection: one entry per identity (subject, groups, delegation) that decides there. */
const MAX_CACHED_CALLERS = 4096;

/**
 * What {@link identityMatches} reads of an identity, as a key: rules that
 * look only at who asks give the same answer for the same key.
 */
function callerKey(
  connection: PolicyRequest['connection'],
  identity: PolicyRequest['identity'],
): string {
  const actors = identity.actors === undefined ? '' : identity.actors.join('\u0001');
  return `${connection.type}\u0000${connection.name}\u0000${identity.kind}\u0000${identity.method}\u0000${identity.subject}\u0000${identity.name}\u0000${identity.email ?? ''}\u0000${identity.groups.join('\u0001')}\u0000${actors}`;
}

/**
 * Decides requests against compiled rules (see `Policy.decide`). The
 * rules that can apply to a connection (by its name and type) are worked out
 * once per connection and cached, and those that can apply to a caller there
 * (by the keys that look at who asks) once per caller, so a decision only
 * looks at the rules that depend on what is asked and when.
 */
export class PolicyEngine {
  private readonly compiled: readonly CompiledRule[];
  private readonly byConnection = new Map<string, Map<string, readonly CompiledRule[]>>();
  private cached = 0;
  private readonly byCaller = new Map<string, readonly CompiledRule[]>();

  constructor(rules: readonly Rule[]) {
    this.compiled = rules.map(compileRule);
  }

  decide(request: PolicyRequest): Decision {
    const clock = { timed: false };
    const decision = this.decideWith(request, clock);
    return clock.timed ? { ...decision, timed: true } : decision;
  }

  /** `clock.timed` is set when a rule's time window or a condition reading `time` is consulted. */
  private decideWith(request: PolicyRequest, clock: { timed: boolean }): Decision {
    const { identity, action } = request;
    const matched: string[] = [];
    const masks: MaskDirective[] = [];
    let deny: CompiledRule | undefined;
    let review: CompiledRule | undefined;
    let allow: CompiledRule | undefined;
    let unclassified: CompiledRule | undefined;
    let unknowable: CompiledRule | undefined;
    let failed: { rule: CompiledRule; error: unknown } | undefined;
    const command = action?.type === 'command' ? action : undefined;
    const sql = action?.type === 'sql' ? action : undefined;
    // A command line with a part only the target's shell knows.
    const commandUnknown = command !== undefined && (command.unknown?.length ?? 0) > 0;
    // Parsed, but running code whose effect only the run will tell (kind `dynamic`).
    const dynamic =
      sql !== undefined &&
      sql.unparsed !== true &&
      (sql.kinds.includes(DYNAMIC_KIND) || (sql.unknown?.length ?? 0) > 0);
    // Read once, when a rule first needs it: one decision sees one instant.
    let at = request.at;
    let context: ConditionContext | undefined;

    for (const rule of this.callerCandidates(request.connection, identity)) {
      if (rule.commands !== undefined) {
        // Command rules decide command lines and channels, nothing else.
        if (command === undefined) continue;
        if (commandUnknown) {
          unclassified ??= rule;
          continue;
        }
        if (!commandsMatch(rule, command)) continue;
      } else if (command?.explicit === true && rule.effect === 'allow') {
        // Forwarding is allowed only by a rule that names it.
        continue;
      }
      if (rule.needsAction) {
        if (sql === undefined) continue;
        const action = sql;
        if (action.unparsed === true) {
          // The rule might apply, but what it looks at is unknown: fail closed below.
          unclassified ??= rule;
          continue;
        }
        if (dynamic) {
          if (!rule.namesDynamic) {
            // What the statement will do is known only when it runs: this rule cannot be checked.
            unknowable ??= rule;
            continue;
          }
          // A rule naming `dynamic`: an allow judges what it can see; any other rule cannot check
          // its tables and functions against code not known, so takes them to match (fail closed).
          if (rule.every && !actionMatches(rule, action)) continue;
        } else if (!actionMatches(rule, action)) continue;
      }
      if (rule.time !== undefined) {
        clock.timed = true;
        if (!rule.time((at ??= new Date()))) continue;
      }
      if (rule.condition !== undefined) {
        if (rule.condition.usesAction && (sql?.unparsed === true || commandUnknown)) {
          unclassified ??= rule;
          continue;
        }
        if (rule.condition.usesAction && dynamic && !rule.namesDynamic) {
          unknowable ??= rule;
          continue;
        }
        if (rule.condition.usesTime) clock.timed = true;
        context ??= conditionContext(request, (at ??= new Date()));
        let holds: boolean;
        try {
          holds = rule.condition.evaluate(context);
        } catch (error) {
          failed ??= { rule, error };
          continue;
        }
        if (!holds) continue;
      }
      matched.push(rule.name);
      if (rule.effect === 'deny') deny ??= rule;
      else if (rule.effect === 'review') review ??= rule;
      else if (rule.effect === 'allow') allow ??= rule;
      else if (rule.mask !== undefined) masks.push(rule.mask);
    }

    if (deny !== undefined) {
      return { effect: 'deny', rule: deny.name, message: deny.message, masks, matched };
    }
    if (failed !== undefined) {
      return {
        effect: 'deny',
        rule: failed.rule.name,
        message: MESSAGES.conditionFailed(failed.rule.name, conditionError(failed.error)),
        masks,
        matched,
      };
    }
    if (unclassified !== undefined) {
      return {
        effect: 'deny',
        rule: unclassified.name,
        message: command
          ? MESSAGES.commandUnknown(unclassified.name, command.unknown?.[0]?.message)
          : MESSAGES.unclassified,
        masks,
        matched,
      };
    }
    if (unknowable !== undefined) {
      return {
        effect: 'deny',
        rule: unknowable.name,
        message: MESSAGES.unknowable(unknowable.name, sql?.unknown?.[0]?.message),
        masks,
        matched,
      };
    }
    if (review !== undefined) {
      return {
        effect: 'review',
        rule: review.name,
        message: review.message,
        masks,
        matched,
        ...(review.review === undefined ? {} : { review: review.review }),
      };
    }
    if (allow !== undefined) return { effect: 'allow', rule: allow.name, masks, matched };
    return { effect: 'deny', message: MESSAGES.defaultDeny, masks, matched };
  }

  /** The rules whose connection and identity keys admit the caller on the connection, in policy order. */
  private callerCandidates(
    connection: PolicyRequest['connection'],
    identity: PolicyRequest['identity'],
  ): readonly CompiledRule[] {
    const key = callerKey(connection, identity);
    let rules = this.byCaller.get(key);
    if (rules === undefined) {
      rules = this.candidates(connection).filter((rule) => identityMatches(rule, identity));
      if (this.byCaller.size >= MAX_CACHED_CALLERS) this.byCaller.clear();
      this.byCaller.set(key, rules);
    }
    return rules;
  }

  /** The rules whose `connections` and `types` admit the connection, in policy order. */
  private candidates(connection: PolicyRequest['connection']): readonly CompiledRule[] {
    let byName = this.byConnection.get(connection.type);
    if (byName === undefined) {
      byName = new Map();
      this.byConnection.set(connection.type, byName);
    }
    let rules = byName.get(connection.name);
    if (rules === undefined) {
      rules = this.compiled.filter(
        (rule) =>
          (rule.types === undefined || rule.types.has(connection.type)) &&
          (rule.connections === undefined || matchesName(rule.connections, connection.name)),
      );
      if (this.cached >= MAX_CACHED_CONNECTIONS) {
        for (const map of this.byConnection.values()) map.clear();
        this.cached = 0;
      }
      byName.set(connection.name, rules);
      this.cached++;
    }
    return rules;
  }
}
