import { parsePrincipal } from '../../lib/principal.js';
import { compileNames, compileObjects, matchesName } from './glob.js';
import type { Rule, RuleMatch } from './types.js';
import {
  expandFunctionSelectors,
  expandStatementKinds,
  STATEMENT_KINDS,
  type StatementKind,
} from './vocabulary.js';

/*
 * Which requests one rule matches compared with another's, from the rules'
 * text alone: "every request B matches, A matches too" (`covers`) and "no
 * request can match both" (`disjoint`). Both answer true only when that is
 * provable; anything this module does not understand (a key it does not
 * know, such as a condition or a time window) makes it answer false, so the
 * lint built on it may miss a shadowed rule but never reports a wrong one.
 */

/** The match keys whose meaning this module knows. */
const KNOWN_MATCH_KEYS: ReadonlySet<string> = new Set([
  'connections',
  'types',
  'groups',
  'users',
  'apiKeys',
  'agents',
  'actors',
  'delegated',
  'statements',
  'tables',
  'functions',
]);

/** Rule keys that say what a rule does once matched; any other key may narrow what it matches. */
const KNOWN_RULE_KEYS: ReadonlySet<string> = new Set([
  'name',
  'match',
  'effect',
  'message',
  'review',
  'mask',
]);

/** Match keys (or rule keys) that may narrow a rule beyond what this module can compare. */
export function unknownKeys(rule: Rule): string[] {
  return [
    ...Object.keys(rule.match).filter((key) => !KNOWN_MATCH_KEYS.has(key)),
    ...Object.keys(rule).filter((key) => !KNOWN_RULE_KEYS.has(key)),
  ];
}

/** True when the rule looks at what a statement does, so it never matches opening a session. */
export function needsAction(match: RuleMatch): boolean {
  return (
    match.statements !== undefined || match.tables !== undefined || match.functions !== undefined
  );
}

/** Allow rules must cover every kind, table and function of a statement; the others, any one. */
function every(rule: Rule): boolean {
  return rule.effect === 'allow';
}

/** `a`'s list admits every value `b`'s admits; an absent list admits everything. */
function listCovers(
  a: readonly string[] | undefined,
  b: readonly string[] | undefined,
  same: (x: string, y: string) => boolean = (x, y) => x === y,
): boolean {
  if (a === undefined) return true;
  if (b === undefined) return false;
  return b.every((value) => a.some((other) => same(other, value)));
}

function sameIgnoringCase(x: string, y: string): boolean {
  return x.toLowerCase() === y.toLowerCase();
}

/** Users compare as written, emails without case (as the engine does). */
function sameUser(x: string, y: string): boolean {
  const [px, py] = [parsePrincipal(x), parsePrincipal(y)];
  if (px !== undefined || py !== undefined) {
    // Principals name one identity each: API keys without case, provider subjects exactly.
    if (px === undefined || py === undefined || px.method !== py.method) return false;
    return px.method === 'apikey'
      ? sameIgnoringCase(px.subject, py.subject)
      : px.subject === py.subject;
  }
  return x === y || (x.includes('@') && sameIgnoringCase(x, y));
}

/**
 * Each of `b`'s connection selectors names only connections `a`'s admit. A
 * glob's `*` can only be absorbed by a `*` of the other side (names hold no
 * `*`), so matching `a` against `b`'s selector as text is sound.
 */
function connectionsCover(a: readonly string[] | undefined, b: readonly string[] | undefined) {
  if (a === undefined) return true;
  if (b === undefined) return false;
  const matcher = compileNames(a);
  return b.every((selector) => matchesName(matcher, selector));
}

const ALL_KINDS = STATEMENT_KINDS.length;

/** A rule's statement kinds as it matches them: families (`copy`) with their members. */
function kinds(match: RuleMatch): StatementKind[] | undefined {
  return match.statements === undefined ? undefined : expandStatementKinds(match.statements);
}

/** A rule's function selectors as it matches them: groups (`@server-files`) as their members. */
function functions(match: RuleMatch): string[] | undefined {
  return match.functions === undefined ? undefined : expandFunctionSelectors(match.functions);
}

function statementsCover(a: Rule, b: Rule): boolean {
  const as = kinds(a.match);
  if (as === undefined || new Set(as).size === ALL_KINDS) return true;
  // An allow rule needs every kind of a statement in its list; a rule that matches any one kind
  // also matches statements with other kinds, which only a list of every kind would cover.
  if (every(a) && !every(b)) return false;
  return listCovers(as, kinds(b.match));
}

/**
 * Each of `b`'s object selectors names only objects `a`'s admit. A bare name
 * in a statement matches a qualified selector of a lenient (non-allow) rule,
 * not of an allow rule, so a lenient `b` with qualifiers is not covered by a
 * strict `a`.
 */
function objectsCover(
  a: Rule,
  b: Rule,
  pick: (match: RuleMatch) => readonly string[] | undefined,
): boolean {
  const as = pick(a.match);
  if (as === undefined) return true;
  const bs = pick(b.match);
  if (bs === undefined) return false;
  if (every(a) && !every(b)) return false;
  const regex = compileObjects(as, !every(a));
  // `b`'s selector also names the objects with more qualifiers in front: try one that no
  // selector can spell (a control character), which only `a`'s own leading wildcard absorbs.
  return bs.every(
    (selector) =>
      regex.test(selector) &&
      regex.test(`\u0001.${selector}`) &&
      (!every(a) || every(b) || !selector.includes('.')),
  );
}

/**
 * True when every request `b` matches, `a` matches too, as far as the rules'
 * keys show. False whenever `a` has a key this module cannot compare.
 */
export function covers(a: Rule, b: Rule): boolean {
  if (unknownKeys(a).length > 0) return false;
  const am = a.match;
  const bm = b.match;
  if (needsAction(am) && !needsAction(bm)) return false;
  if (am.agents !== undefined && am.agents !== bm.agents) {
    // API keys authenticate agents only.
    if (!(am.agents && bm.apiKeys !== undefined)) return false;
  }
  // A rule naming actors matches delegated requests only.
  const bDelegated = bm.delegated ?? (bm.actors === undefined ? undefined : true);
  if (am.delegated !== undefined && am.delegated !== bDelegated) return false;
  return (
    connectionsCover(am.connections, bm.connections) &&
    listCovers(am.actors, bm.actors) &&
    listCovers(am.types, bm.types) &&
    listCovers(am.groups, bm.groups) &&
    listCovers(am.users, bm.users, sameUser) &&
    listCovers(am.apiKeys, bm.apiKeys, sameIgnoringCase) &&
    statementsCover(a, b) &&
    objectsCover(a, b, (m) => m.tables) &&
    objectsCover(a, b, functions)
  );
}

function intersects(
  a: readonly string[] | undefined,
  b: readonly string[] | undefined,
  same: (x: string, y: string) => boolean = (x, y) => x === y,
): boolean {
  if (a === undefined || b === undefined) return true;
  return a.some((x) => b.some((y) => same(x, y)));
}

/** Two connection selector lists can both admit some name (two globs are assumed to). */
function connectionsIntersect(a: readonly string[] | undefined, b: readonly string[] | undefined) {
  if (a === undefined || b === undefined) return true;
  return a.some((x) =>
    b.some((y) => {
      if (x.includes('*') && y.includes('*')) return true;
      if (x.includes('*')) return matchesName(compileNames([x]), y);
      if (y.includes('*')) return matchesName(compileNames([y]), x);
      return sameIgnoringCase(x, y);
    }),
  );
}

/**
 * True when no request can match both rules, as far as their keys show:
 * different connections, types, API keys, agents against people, or
 * statement kinds an allow rule's statements never share with the other's.
 */
export function disjoint(a: Rule, b: Rule): boolean {
  const am = a.match;
  const bm = b.match;
  if (am.agents !== undefined && bm.agents !== undefined && am.agents !== bm.agents) return true;
  if ((am.agents === false && bm.apiKeys) || (bm.agents === false && am.apiKeys)) return true;
  const delegated = (m: RuleMatch) => m.delegated ?? (m.actors === undefined ? undefined : true);
  const [ad, bd] = [delegated(am), delegated(bm)];
  if (ad !== undefined && bd !== undefined && ad !== bd) return true;
  if (!connectionsIntersect(am.connections, bm.connections)) return true;
  if (!intersects(am.types, bm.types)) return true;
  if (!intersects(am.apiKeys, bm.apiKeys, sameIgnoringCase)) return true;
  // A statement an allow rule matches has only kinds from its list; the other rule needs one of its own.
  const [as, bs] = [kinds(am), kinds(bm)];
  if (as !== undefined && bs !== undefined && (every(a) || every(b)) && !intersects(as, bs)) {
    return true;
  }
  return false;
}
