import type { LintFinding } from '../policy/lint.js';
import type { Evaluation } from './evaluate.js';
import type { CaseResult } from './run.js';

/*
 * How the policy commands print: compiler-style lines (`file:line: warning:
 * …`) for check, one line per case and a count for test (CI logs), and a
 * short report for explain.
 */

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** `policy.yaml:12: warning: … [shadowed]`, then a one-line count. */
export function formatFindings(
  file: string,
  rules: number,
  findings: readonly LintFinding[],
  lines: readonly (number | undefined)[],
): string {
  const out = findings.map((f) => {
    const line = lines[f.index];
    return `${file}${line === undefined ? '' : `:${line}`}: ${f.severity}: ${f.message} [${f.code}]`;
  });
  const warnings = findings.filter((f) => f.severity === 'warning').length;
  const notes = findings.length - warnings;
  out.push(
    `${file}: ${plural(rules, 'rule')}, ${plural(warnings, 'warning')}` +
      (notes === 0 ? '' : `, ${plural(notes, 'note')}`),
  );
  return out.join('\n');
}

/** `✓ name` / `✗ name (file:line): why`, then `N passed, M failed`. */
export function formatResults(file: string, results: readonly CaseResult[]): string {
  const out = results.map((r) =>
    r.passed ? `✓ ${r.name}` : `✗ ${r.name} (${file}:${r.line}): ${r.failures.join('; ')}`,
  );
  const failed = results.filter((r) => !r.passed).length;
  out.push(`${results.length - failed} passed, ${failed} failed`);
  return out.join('\n');
}

function names(values: readonly string[]): string {
  return values.length === 0 ? '-' : values.join(', ');
}

/** The classification, the decision and the matching rules with their effects. */
export function formatExplanation(
  evaluation: Evaluation,
  effectOf: (rule: string) => string,
): string {
  const out: string[] = [];
  if (evaluation.parseError !== undefined) {
    out.push(`Does not parse: ${evaluation.parseError.message}`);
  }
  evaluation.statements?.forEach((s, i) => {
    out.push(
      `Statement ${i + 1}: ${s.text}`,
      `  kinds: ${names(s.kinds)}; tables: ${names(s.tables)}; functions: ${names(s.functions)}`,
      `  ${s.effect}${s.rule === undefined ? '' : ` by ${s.rule}`}; matched: ${names(s.matched)}`,
    );
  });
  if (evaluation.statements === undefined) out.push('Opening a session');
  out.push(
    `Decision: ${evaluation.effect}${
      evaluation.rule === undefined ? ' (no rule allows it)' : ` by ${evaluation.rule}`
    }`,
  );
  if (evaluation.message !== undefined) out.push(`Message: ${evaluation.message}`);
  if (evaluation.review !== undefined) {
    const { approvers, approvals, timeoutMs } = evaluation.review;
    out.push(
      `Review: ${plural(approvals, 'approval')} from ${approvers.join(', ')}, ` +
        `waits ${Math.round(timeoutMs / 1000)}s`,
    );
  }
  for (const mask of evaluation.masks) {
    out.push(
      `Mask ${mask.rule}: columns ${names(mask.columns)}; detectors ${names(mask.detectors)}`,
    );
  }
  out.push('Matched rules, in policy order:');
  if (evaluation.matched.length === 0) out.push('  (none)');
  for (const rule of evaluation.matched) out.push(`  ${rule}  ${effectOf(rule)}`);
  return out.join('\n');
}
