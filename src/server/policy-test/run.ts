import type { ConnectionType } from '../../lib/connection-types.js';
import { parseSelector, selectorMatches } from '../masking/rules.js';
import type { MaskDirective, Policy, PolicyRequest } from '../policy/index.js';
import type { PolicyCase, PolicyCases } from './cases.js';
import { evaluate, type Evaluation } from './evaluate.js';

/** One case's outcome: what was expected, what the gateway would do, and how they differ. */
export interface CaseResult {
  name: string;
  line: number;
  passed: boolean;
  /** One entry per difference, worded for the summary line. */
  failures: string[];
  /** Absent when the case could not run (its connection's type is unknown). */
  actual?: Pick<Evaluation, 'effect' | 'rule' | 'message'> & { masks: string[] };
}

export interface RunOptions {
  /** Connection types from the gateway config (`--config`); these win over the cases file's. */
  configured?: ReadonlyMap<string, ConnectionType>;
}

/**
 * Runs every case through the gateway's decision code (see `evaluate`). The
 * SQL parser must be initialised. A case's connection type comes from the
 * case, else the gateway config, else the cases file's `connections`.
 */
export function runCases(
  policy: Policy,
  file: PolicyCases,
  options: RunOptions = {},
): CaseResult[] {
  return file.cases.map((item) => runCase(policy, item, file, options));
}

function runCase(
  policy: Policy,
  item: PolicyCase,
  file: PolicyCases,
  options: RunOptions,
): CaseResult {
  const { name, line } = item;
  const type = connectionType(item, file, options);
  if (typeof type !== 'string') return { name, line, passed: false, failures: [type.problem] };

  const request: PolicyRequest = {
    identity: item.identity,
    connection: { name: item.connection.name, type },
    ...(item.at === undefined ? {} : { at: item.at }),
  };
  const result = evaluate(policy, request, item.sql);
  const failures = compare(item.expect, result);
  return {
    name,
    line,
    passed: failures.length === 0,
    failures,
    actual: {
      effect: result.effect,
      ...(result.rule === undefined ? {} : { rule: result.rule }),
      ...(result.message === undefined ? {} : { message: result.message }),
      masks: result.masks.map((mask) => mask.rule),
    },
  };
}

function connectionType(
  item: PolicyCase,
  file: PolicyCases,
  options: RunOptions,
): ConnectionType | { problem: string } {
  const { name, type } = item.connection;
  if (type !== undefined) return type;
  if (options.configured !== undefined) {
    const configured = options.configured.get(name);
    if (configured !== undefined) return configured;
    return { problem: `connection ${name} is not configured (give the case a \`type\`)` };
  }
  const listed = file.connections[name];
  if (listed !== undefined) return listed;
  return {
    problem:
      `the type of connection ${name} is unknown: give the case a \`type\`, ` +
      'list it under `connections:`, or pass --config',
  };
}

function verdict(effect: string, rule: string | null | undefined): string {
  return rule === undefined ? effect : `${effect} by ${rule ?? 'default (no rule allows it)'}`;
}

function compare(expect: PolicyCase['expect'], actual: Evaluation): string[] {
  const failures: string[] = [];
  const rule = actual.rule ?? null;
  if (expect.effect !== actual.effect || (expect.rule !== undefined && expect.rule !== rule)) {
    failures.push(
      `expected ${verdict(expect.effect, expect.rule)}, got ${verdict(actual.effect, rule)}`,
    );
  }
  const masks = actual.masks.map((mask) => mask.rule);
  if (expect.masks !== undefined && !sameSet(expect.masks, masks)) {
    failures.push(`expected masks ${list(expect.masks)}, got ${list(masks)}`);
  }
  for (const column of expect.masked ?? []) {
    if (!maskedBy(actual.masks, column)) {
      failures.push(`expected ${column} masked, no applying mask names it`);
    }
  }
  for (const column of expect.unmasked ?? []) {
    const by = actual.masks.find((mask) => namesColumn(mask, column));
    if (by !== undefined) failures.push(`expected ${column} unmasked, mask ${by.rule} names it`);
  }
  return failures;
}

function maskedBy(masks: readonly MaskDirective[], column: string): boolean {
  return masks.some((mask) => namesColumn(mask, column));
}

/** The mask's column selectors pick `column` (`schema.table.column`, `table.column` or `column`). */
function namesColumn(mask: MaskDirective, column: string): boolean {
  const parts = column.split('.');
  const name = parts.pop()!;
  const table = parts.pop();
  const schema = parts.pop();
  const source =
    table === undefined
      ? undefined
      : { table, column: name, ...(schema === undefined ? {} : { schema }) };
  return mask.columns.some((selector) => selectorMatches(parseSelector(selector), source, name));
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((value) => right.has(value));
}

function list(values: readonly string[]): string {
  return values.length === 0 ? 'none' : values.join(', ');
}
