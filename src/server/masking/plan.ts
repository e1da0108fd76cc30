import { resolveDetectors } from './detectors.js';
import { redactHash, redactUtf8Text } from './redact.js';
import { parseSelector, selectorMatches, type ColumnSelector, type ColumnSource } from './rules.js';
import { maskUtf8 } from './scan.js';
import type { Detector } from './types.js';

/** The `mask` part of one policy rule that matched the request. Masks accumulate. */
export interface MaskRule {
  /** The policy rule's name, carried into the plan for audit. */
  name?: string;
  /** Column selectors (see `rules.ts`): `customers.email`, `*.ssn`, `*email*`. */
  columns?: readonly string[];
  /** Detector names: `email`, `credit_card`, `phone`, `national_id`, `iban`, `ip`, `secrets`. */
  detectors?: readonly string[];
  /**
   * A deterministic keyed hash may replace this rule's masked columns instead
   * of a redaction, so joins and counts still work. A column masked by several
   * rules is hashed only if every one of them allows it.
   */
  hashAllowed?: boolean;
}

/** A result column as the protocol describes it (PostgreSQL RowDescription, MySQL column definition…). */
export interface ResultColumn {
  name: string;
  /** The base table column, when the protocol and catalog can tell. */
  source?: ColumnSource;
  /**
   * Whether the type holds free text (text, varchar, char, json as text…).
   * Default true. A masked or detected value of any other type is sent as
   * NULL: `***` is not a valid integer or date.
   */
  text?: boolean;
}

export type ColumnAction = 'mask' | 'detect' | 'pass';

export interface ColumnPlan {
  /** `mask`: the whole value is redacted (or NULL); `detect`: detectors run; `pass`: untouched. */
  action: ColumnAction;
  /** For `mask`: a keyed hash may stand in for the redaction. */
  hash: boolean;
  text: boolean;
  /** The rules that mask this column, for audit. */
  rules: string[];
}

export interface MaskPlan {
  columns: ColumnPlan[];
  /** The detectors that `detect` columns run, in priority order. */
  detectors: Detector[];
  /** False when every column passes: rows can be forwarded without decoding any field. */
  active: boolean;
}

/** Mask rules with selectors parsed and detectors resolved: build once per policy version. */
export interface CompiledMaskRules {
  rules: Array<{ name: string; selectors: ColumnSelector[]; hashAllowed: boolean }>;
  detectors: Detector[];
}

/** Parses and checks mask rules; throws HOOP_CONFIG_INVALID on a bad selector or detector name. */
export function compileMaskRules(rules: readonly MaskRule[]): CompiledMaskRules {
  return {
    rules: rules.map((rule, i) => ({
      name: rule.name ?? `mask#${i + 1}`,
      selectors: (rule.columns ?? []).map(parseSelector),
      hashAllowed: rule.hashAllowed === true,
    })),
    detectors: resolveDetectors(rules.flatMap((rule) => rule.detectors ?? [])),
  };
}

/** Decides, once per result set, what happens to each column. */
export function buildMaskPlan(
  rules: CompiledMaskRules | readonly MaskRule[],
  columns: readonly ResultColumn[],
): MaskPlan {
  const compiled = isCompiled(rules) ? rules : compileMaskRules(rules);
  const detect = compiled.detectors.length > 0;
  let active = false;
  const plans = columns.map((column): ColumnPlan => {
    const matching = compiled.rules.filter((rule) =>
      rule.selectors.some((s) => selectorMatches(s, column.source, column.name)),
    );
    const text = column.text ?? true;
    if (matching.length > 0) {
      active = true;
      return {
        action: 'mask',
        hash: matching.every((rule) => rule.hashAllowed),
        text,
        rules: matching.map((rule) => rule.name),
      };
    }
    if (detect) active = true;
    return { action: detect ? 'detect' : 'pass', hash: false, text, rules: [] };
  });
  return { columns: plans, detectors: compiled.detectors, active };
}

function isCompiled(rules: CompiledMaskRules | readonly MaskRule[]): rules is CompiledMaskRules {
  return !Array.isArray(rules);
}

export interface MaskCellOptions {
  /** Gateway secret for `hashAllowed` columns; without it they are redacted like any other. */
  hashKey?: string | Uint8Array;
}

/**
 * Masks one non-NULL field of column `index`. Returns `undefined` to forward
 * the original bytes, `null` to send SQL NULL, or the replacement bytes.
 */
export function maskCell(
  plan: MaskPlan,
  index: number,
  bytes: Uint8Array,
  options: MaskCellOptions = {},
): Buffer | null | undefined {
  const column = plan.columns[index];
  if (column === undefined || column.action === 'pass') return undefined;
  if (column.action === 'detect') {
    const masked = maskUtf8(bytes, plan.detectors);
    return masked === undefined || column.text ? masked : null;
  }
  if (!column.text) return null;
  if (column.hash && options.hashKey !== undefined) {
    return Buffer.from(redactHash(bytes, options.hashKey), 'utf8');
  }
  return redactUtf8Text(bytes);
}
