import { FUNCTION_GROUPS, type FunctionGroup } from '../sql/function-groups.js';
import { KIND_FAMILIES, type StatementKind } from '../sql/types.js';

/**
 * The words a policy may use: statement kinds as the SQL classifier reports
 * them, the function groups it knows, and the content detectors the masking
 * stage runs: one list each, owned by those modules (their data-only
 * modules, so policy does not load the parser). A rule naming a word that is
 * not here is a typo, reported with a suggestion.
 */
export { STATEMENT_KINDS, type StatementKind } from '../sql/types.js';
export { FUNCTION_GROUP_NAMES, type FunctionGroup } from '../sql/function-groups.js';
export { DETECTOR_NAMES as DETECTORS, type DetectorName as Detector } from '../masking/types.js';

/** The kind that means "effect known only at run time"; an allow rule covers it only by naming it. */
export const DYNAMIC_KIND: StatementKind = 'dynamic';

/** `@server-files` and the like: a selector naming a function group rather than a function. */
export function isGroupSelector(selector: string): boolean {
  return selector.startsWith('@');
}

export function isFunctionGroup(selector: string): selector is FunctionGroup {
  return Object.hasOwn(FUNCTION_GROUPS, selector);
}

/**
 * Function selectors with each group replaced by its members (globs and
 * pseudo-entries such as `copy program` included), as rules match them.
 */
export function expandFunctionSelectors(selectors: readonly string[]): string[] {
  return [
    ...new Set(
      selectors.flatMap((selector) =>
        isFunctionGroup(selector) ? (FUNCTION_GROUPS[selector] as readonly string[]) : [selector],
      ),
    ),
  ];
}

/**
 * Statement kinds as a rule matches them: each family with its members
 * (`copy` → every COPY direction). For an allow rule (`every`), naming a
 * member also covers the family's own kind, which every statement of the
 * family has besides its member: `statements: [copy_from_stdin, insert]`
 * allows `COPY t FROM STDIN` (kinds copy, copy_from_stdin, insert) and no
 * other direction. A deny rule naming a member still matches that member
 * only.
 */
export function expandStatementKinds(
  kinds: readonly StatementKind[],
  every = false,
): StatementKind[] {
  const expanded = new Set(kinds.flatMap((kind) => [kind, ...(KIND_FAMILIES[kind] ?? [])]));
  if (every) {
    for (const [family, members] of Object.entries(KIND_FAMILIES) as [
      StatementKind,
      readonly StatementKind[],
    ][]) {
      if (members.some((member) => expanded.has(member))) expanded.add(family);
    }
  }
  return [...expanded];
}
