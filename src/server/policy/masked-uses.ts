import type { ColumnUse, ColumnUseKind, SqlStatement, UseSource } from '../enforcement/index.js';
import { sourceMatches } from '../masking/lineage-match.js';
import { parseSelector, type ColumnSelector } from '../masking/rules.js';
import type { MaskDirective } from './types.js';

/** Why a statement is refused for a use of a masked column: the rule, and what to tell the caller. */
export interface MaskedUse {
  rule: string;
  message: string;
}

/**
 * The first use of a masked column in `statement` that the mask rules
 * applying to it do not allow (`mask.allow`), or undefined when every use
 * is allowed. For an identity a mask rule applies to, a masked column's
 * value may reach it only as masked output: copying it elsewhere (`write`),
 * testing it other than by equality with a constant (`predicate`),
 * ordering or grouping by it (`order`), renaming or altering it or its
 * table (`alter`) and reading it from procedural code (`code`) would each
 * let it out unmasked, so each needs the rule's leave. A statement running
 * code the gateway cannot read (kind `dynamic`) could do any of these, and
 * is refused unless the rule allows `code` (fail closed).
 *
 * Only rules that name columns count: detectors scan output and have no
 * column to protect.
 */
export function maskedUse(
  statement: SqlStatement,
  masks: readonly MaskDirective[],
): MaskedUse | undefined {
  for (const mask of masks) {
    if (mask.columns.length === 0) continue;
    const allowed = new Set<ColumnUseKind>(mask.allow ?? []);
    const unknown = statement.unknown?.[0];
    if ((unknown || statement.kinds.includes('dynamic')) && !allowed.has('code')) {
      return {
        rule: mask.rule,
        message:
          `the statement ${unknown?.message ?? 'runs code whose effect is known only at run time'}, ` +
          `which could read the columns rule ${mask.rule} masks where no mask applies; ` +
          `hint: a mask rule allows it with allow: [code]`,
      };
    }
    const selectors = selectorsOf(mask);
    for (const use of statement.uses ?? []) {
      if (allowed.has(use.use)) continue;
      const source = use.sources.find((s) => selectors.some((selector) => matches(selector, s)));
      if (source) return { rule: mask.rule, message: describeUse(use, source, mask.rule) };
    }
  }
  return undefined;
}

/** Whether a use's source is (or may hold) a column the selector masks. */
function matches(selector: ColumnSelector, source: UseSource): boolean {
  switch (source.kind) {
    case 'column':
      return sourceMatches(selector, source, source.column);
    case 'row':
      return sourceMatches(selector, source, '');
    case 'named':
      return selector.column.test(source.column);
    case 'any':
      return true;
    case 'unknown':
      // Something not traced: the functions and code that produce it are judged on their own.
      return false;
  }
}

const SELECTORS = new WeakMap<MaskDirective, readonly ColumnSelector[]>();

function selectorsOf(mask: MaskDirective): readonly ColumnSelector[] {
  let selectors = SELECTORS.get(mask);
  if (!selectors) {
    selectors = mask.columns.map(parseSelector);
    SELECTORS.set(mask, selectors);
  }
  return selectors;
}

const VERBS: Record<ColumnUseKind, (column: string, what: string) => string> = {
  write: (column, what) =>
    `the statement copies ${column} where no mask applies when it is read back (${what})`,
  predicate: (column, what) =>
    `the statement tests ${column} in ${what}: its answers would tell the value`,
  order: (column, what) =>
    `the statement orders or compares by ${column} (${what}): the order would tell the value`,
  alter: (column, what) =>
    `the statement alters ${column} (${what}), so that it could be read where no mask rule names it`,
  code: (column, what) =>
    `${what} in the statement reads ${column}, and the gateway cannot follow where the value goes`,
};

function describeUse(use: ColumnUse, source: UseSource, rule: string): string {
  const column =
    source.kind === 'column'
      ? `${source.table}.${source.column} (masked by rule ${rule})`
      : source.kind === 'row'
        ? `table ${source.table} (rule ${rule} may mask its columns)`
        : source.kind === 'named'
          ? `a column named ${source.column} (masked by rule ${rule})`
          : `the columns rule ${rule} masks`;
  return `${VERBS[use.use](column, use.what)}; hint: a mask rule allows it with allow: [${use.use}]`;
}
