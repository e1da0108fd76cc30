import type {
  CellMasker,
  ColumnName,
  LineageSource,
  MaskPlan as ActionMasks,
  ResultColumn,
  ResultMasker,
} from '../enforcement/index.js';
import { alignLineage, sourceMatches } from './lineage-match.js';
import { buildMaskPlan, compileMaskRules, maskCell, type MaskPlan } from './plan.js';
import { redactWholeUtf8 } from './redact-whole.js';
import { parseSelector, selectorMatches, type ColumnSelector } from './rules.js';
import { maskText, maskUtf8 } from './scan.js';
import { isSystemCatalog } from './system-catalogs.js';

/**
 * The masker for the mask plan of one allowed action (the enforcement
 * contract's {@link ResultMasker}). Per result column:
 *
 * - a table column (origin from the catalog, by table OID and attribute
 *   number) is masked when a rule's selector names it under its current
 *   name or any name the gateway saw it have (`formerly`: a rename does
 *   not unmask it), whatever its alias; a view's column when a selector
 *   names it or a base column the view reads (`derivedFrom`), or whenever
 *   a rule has selectors if the view runs user code (`opaque`); other
 *   columns run the rules' detectors;
 * - a table column whose origin could not be looked up is masked whole
 *   whenever a rule has selectors (fail closed);
 * - an expression (no table OID) follows its parse-tree lineage
 *   (`sql/lineage.ts`): masked when a selector names a column it derives
 *   from, could name a column of a table whose whole row it derives from,
 *   or when it derives from anything (`any`: SQL run from a string, a
 *   cursor read); otherwise it runs the detectors. A lone column reference
 *   PostgreSQL did not report as a table column counts as its whole row
 *   (attribute notation `c.f` is a function call). When the lineage is
 *   unknown for that expression or does not line up with the result's
 *   columns, it is masked whenever a selector could name a column of a
 *   table the statement reads or reaches (fail closed), whatever its type.
 *
 * A value derived from a masked column (an expression, a view's column) is
 * masked whatever its type: NULL for a non-text type, `***` for text, which
 * keeps none of its characters. The column itself keeps its format.
 *
 * Redactions keep the column type valid: a whole-masked text value keeps its
 * format when it is one detectable value (`j***@example.com`,
 * `**** **** **** 4242`), else becomes `j***`; a masked value of any other
 * type, or in the binary format, becomes NULL. Detectors run on text-format
 * values and on binary values of text types (their binary form is the text);
 * binary values of other types are not scanned.
 */
export function createResultMasker(maskPlan: ActionMasks): ResultMasker {
  const { masks } = maskPlan;
  const compiled = compileMaskRules(
    masks.map((mask) => ({
      name: mask.rule,
      columns: mask.columns,
      detectors: mask.detectors,
      ...(mask.hashAllowed === undefined ? {} : { hashAllowed: mask.hashAllowed }),
    })),
  );
  const hasSelectors = compiled.rules.some((rule) => rule.selectors.length > 0);
  const tracesExpressions = masks.some((mask) => {
    const selectors = mask.columns.map(parseSelector);
    return mask.tablesUnknown || mask.tables.some((table) => namesTable(selectors, table));
  });
  const reachesMasked =
    hasSelectors &&
    masks.some((mask) => {
      const selectors = mask.columns.map(parseSelector);
      return (
        mask.tablesUnknown ||
        mask.tables.some((table) => !isSystemCatalog(table) && namesTable(selectors, table))
      );
    });
  const { lineage } = maskPlan;

  /** The rules whose selectors pick a value derived from these sources; undefined when one is unknown. */
  const rulesFor = (sources: readonly LineageSource[], name: string) => {
    if (sources.some((source) => source.kind === 'any')) return withSelectors;
    if (sources.some((source) => source.kind === 'unknown')) return undefined;
    return compiled.rules.filter((rule) =>
      rule.selectors.some((selector) =>
        sources.some(
          (source) =>
            source.kind !== 'unknown' &&
            source.kind !== 'any' &&
            sourceMatches(selector, source, name),
        ),
      ),
    );
  };
  const withSelectors = compiled.rules.filter((rule) => rule.selectors.length > 0);

  /** The rules naming any of these columns (a column's former names, a view's base columns). */
  const rulesNaming = (names: readonly ColumnName[], name: string) =>
    compiled.rules.filter((rule) =>
      rule.selectors.some((selector) => names.some((n) => selectorMatches(selector, n, name))),
    );

  return {
    reachesMasked,
    scanText(text: string): string | undefined {
      return maskText(text, compiled.detectors);
    },
    plan(columns: readonly ResultColumn[], statement = 0): CellMasker | undefined {
      const base: MaskPlan = buildMaskPlan(
        compiled,
        columns.map((column) => ({
          name: column.name,
          ...(column.lineage === 'column' && column.origin ? { source: column.origin } : {}),
          text: column.category === 'text' && !column.binary,
        })),
      );
      const outputs = lineage?.[statement];
      const traced = outputs ? alignLineage(outputs, columns) : undefined;
      const plan: MaskPlan = { ...base, columns: [...base.columns] };
      const planned: number[] = [];
      /** Masked as a value derived from a masked column, not as the column itself. */
      const derived: boolean[] = columns.map(
        (column) => column.lineage !== 'column' || column.origin?.derivedFrom !== undefined,
      );
      const actions = columns.map((column, i): 'mask' | 'detect' | 'pass' => {
        let action = base.columns[i]!.action;
        if (action !== 'mask' && hasSelectors) {
          let rules: typeof compiled.rules | undefined;
          const origin = column.lineage === 'column' ? column.origin : undefined;
          if (column.lineage === 'unresolved' || origin?.opaque) rules = withSelectors;
          else if (origin) {
            // The same column under a name it had before, or a view column over masked ones.
            rules = rulesNaming(origin.formerly ?? [], column.name);
            if (rules.length === 0 && origin.derivedFrom) {
              rules = rulesNaming(origin.derivedFrom, column.name);
            }
          } else if (column.lineage === 'expression') {
            const sources = traced?.[i];
            rules = sources ? rulesFor(plainAsRow(sources, column.name), column.name) : undefined;
            // Untraced (a function the gateway does not know): derived from what the statement reads.
            if (rules === undefined && tracesExpressions) rules = withSelectors;
          }
          if (rules && rules.length > 0) {
            action = 'mask';
            plan.columns[i] = {
              ...base.columns[i]!,
              action,
              hash: rules.every((rule) => rule.hashAllowed),
              rules: rules.map((rule) => rule.name),
            };
          }
        }
        // Binary values of non-text types are not text: detectors cannot read them.
        if (action === 'detect' && column.binary && column.category !== 'text') action = 'pass';
        if (action !== 'pass') planned.push(i);
        return action;
      });
      if (planned.length === 0) return undefined;
      const maskField = (
        index: number,
        buffer: Buffer,
        start: number,
        end: number,
      ): Buffer | null | undefined => {
        const column = columns[index]!;
        const action = actions[index]!;
        if (action === 'mask') {
          if (column.binary || column.category !== 'text') return null;
          if (plan.columns[index]?.hash) return maskCell(plan, index, buffer.subarray(start, end));
          // A derived value keeps nothing of itself: no character of it is known not to come from the secret.
          if (derived[index]) return start === end ? undefined : DERIVED;
          return redactWholeUtf8(buffer, start, end);
        }
        if (action === 'detect') {
          const masked = maskUtf8(buffer, base.detectors, start, end);
          if (masked === undefined) return undefined;
          return column.category === 'text' ? masked : null;
        }
        return undefined;
      };
      return {
        columns: planned,
        maskField,
        maskCell: (index, value) => maskField(index, value, 0, value.length),
      };
    },
  };
}

/** What a derived text value becomes. */
const DERIVED = Buffer.from('***');

/**
 * A value the trace reads as a plain column reference (`c.x`, one source,
 * named as the column) that PostgreSQL did not report as a table column is
 * not the column: `c.x` may be a function of the whole row in attribute
 * notation (`x(c)`), so it counts as derived from every column of the row.
 */
function plainAsRow(sources: readonly LineageSource[], name: string): readonly LineageSource[] {
  const only = sources.length === 1 ? sources[0] : undefined;
  if (only?.kind !== 'column' || only.column !== name) return sources;
  return [only, { kind: 'row', table: only.table }];
}

/** Whether a selector with a table part could name a column of `table` (`schema.table` or bare). */
function namesTable(selectors: readonly ColumnSelector[], table: string): boolean {
  const parts = table.split('.');
  const name = parts[parts.length - 1]!;
  const schema = parts.length > 1 ? parts[parts.length - 2] : undefined;
  return selectors.some(
    (s) =>
      s.table !== undefined &&
      s.table.test(name) &&
      (s.schema === undefined || schema === undefined || s.schema.test(schema)),
  );
}
