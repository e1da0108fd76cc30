/*
 * Globs are compiled to regular expressions once, when the policy is loaded,
 * so that a decision only runs `RegExp#test` (no allocation).
 */

/** `*` matches any run of characters; everything else literally. */
function pattern(glob: string, star: string): string {
  return glob
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join(star);
}

/** Case-insensitive name matching with `*` wildcards (`pg-*`). */
export interface NameMatcher {
  /** Matches every name (`*`). */
  any: boolean;
  /** Lowercased names without wildcards. */
  exact: ReadonlySet<string>;
  globs: RegExp | undefined;
}

export function compileNames(selectors: readonly string[]): NameMatcher {
  const exact = new Set<string>();
  const globs: string[] = [];
  for (const selector of selectors) {
    if (!selector.includes('*')) exact.add(selector.toLowerCase());
    else globs.push(pattern(selector, '.*'));
  }
  return {
    any: selectors.includes('*'),
    exact,
    globs: globs.length === 0 ? undefined : new RegExp(`^(?:${globs.join('|')})$`, 'i'),
  };
}

export function matchesName(matcher: NameMatcher, name: string): boolean {
  return (
    matcher.any ||
    matcher.exact.has(name.toLowerCase()) ||
    (matcher.globs !== undefined && matcher.globs.test(name))
  );
}

/**
 * Matches dotted object names (`schema.table`, `schema.function`) against
 * selectors, without case. `*` stands for any run of characters within one
 * part. A selector matches names that carry more qualifiers in front
 * (`customers` matches `public.customers`, `public.customers` matches
 * `app.public.customers`).
 *
 * `lenient` decides what a name with fewer qualifiers than the selector
 * means: `customers` in a statement may resolve to `public.customers` through
 * the search path, or may not. Rules that restrict (deny, review, mask) treat
 * it as a match, so that leaving out the schema cannot escape them; allow
 * rules do not, so that it cannot reach a schema they do not name.
 */
export function compileObjects(selectors: readonly string[], lenient: boolean): RegExp {
  const alternatives = selectors.map((selector) => {
    const parts = selector.split('.').map((part) => pattern(part, '[^.]*'));
    const last = parts.pop() as string;
    // Leading qualifiers the selector does not name (a catalog, a database).
    let prefix = '(?:.*\\.)?';
    for (const part of parts) prefix = lenient ? `(?:${prefix}${part}\\.)?` : `${prefix}${part}\\.`;
    return `${prefix}${last}`;
  });
  return new RegExp(`^(?:${alternatives.join('|')})$`, 'i');
}

/**
 * Command globs (`rm *`, `systemctl restart *`) and channels (`@shell`),
 * with case: `*` is any run of characters, `?` one. `rm *` also matches a
 * bare `rm`. A glob never matches a channel (a word starting with `@`):
 * only a selector that names the channel does.
 */
export function compileCommands(selectors: readonly string[]): RegExp {
  const alternatives = selectors.map((selector) => {
    if (selector.startsWith('@')) return pattern(selector, '.*');
    const glob = pattern(selector, '.*').replace(/\\\?/g, '.');
    const bare = selector.endsWith(' *') ? `${glob.slice(0, -' .*'.length)}|` : '';
    return `(?!@)(?:${bare}${glob})`;
  });
  return new RegExp(`^(?:${alternatives.join('|')})$`, 's');
}
