import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';

import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';

import { HoopError } from '../../lib/errors.js';
import { fileErrorReason } from '../../lib/file-error.js';
import { fallbackMessage, toProblems, unlessReported } from '../config/issues.js';
import {
  formatKeyPath,
  formatLocated,
  Locator,
  valueAt,
  type KeyPath,
  type LocatedProblem,
  type Problem,
} from '../config/locate.js';
import { syntaxProblems, toPlain } from '../config/syntax.js';
import { PolicyEngine } from './engine.js';
import { policyFileSchema, rulesSchema } from './schema.js';
import type { Decision, Policy, PolicyRequest, Rule } from './types.js';

export interface ParsePolicyOptions {
  /** The file the text came from, as the user named it; `'<inline>'` when absent. */
  file?: string;
}

const INLINE = '<inline>';

const TOP_LEVEL = '`rules:` with a list of rules';

/**
 * Parses and validates a policy file (DESIGN.md, "Policy as code").
 *
 * @throws HoopError `HOOP_POLICY_INVALID` listing every problem found, one per
 *   line as `file:line:column: key: what is wrong`, with the first problem's
 *   place and the full list in `details`.
 */
export function parsePolicy(text: string, options: ParsePolicyOptions = {}): Policy {
  const file = options.file ?? INLINE;
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const locator = new Locator(doc, lineCounter);
  function fail(problems: Problem[]): never {
    throw policyError(
      file,
      problems.map((problem) => locator.locate(problem)),
    );
  }

  const syntax = syntaxProblems(doc, text, lineCounter, TOP_LEVEL);
  if (syntax.length > 0) fail(syntax);
  const plain = toPlain(doc);
  if ('problems' in plain) fail(plain.problems);

  const result = validate(policyFileSchema, plain.value, ['rules'], (path) => locator.line(path));
  if ('problems' in result) fail(result.problems);
  return createPolicy(result.rules);
}

/**
 * Builds a policy from rules written inline in `hoop.yaml` (`policy: [...]`).
 * Problems are named by their key path under `policy` (`policy[0].effect`);
 * the lines are not known here, since the config has been parsed already.
 *
 * The hash is the same as for a policy file holding the same rules.
 *
 * @throws HoopError `HOOP_POLICY_INVALID` as for {@link parsePolicy}.
 */
export function policyFromRules(rules: unknown[], options: ParsePolicyOptions = {}): Policy {
  const file = options.file ?? INLINE;
  const schema = z.strictObject({ policy: rulesSchema });
  const input = { policy: rules };
  const result = validate(schema, input, ['policy'], () => undefined);
  if ('problems' in result) {
    throw policyError(
      file,
      result.problems.map((problem) => ({
        line: 0,
        column: 0,
        key: formatKeyPath(problem.path),
        message: problem.message,
        secret: false,
      })),
    );
  }
  return createPolicy(result.rules);
}

/**
 * Reads and parses a policy file (see {@link parsePolicy}).
 *
 * @throws HoopError `HOOP_POLICY_INVALID` naming the path when the file cannot be read.
 */
export async function loadPolicy(path: string): Promise<Policy> {
  return parsePolicy(await loadPolicyText(path), { file: path });
}

/**
 * Reads a policy file's text.
 *
 * @throws HoopError `HOOP_POLICY_INVALID` naming the path when the file cannot be read.
 */
export async function loadPolicyText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const why = fileErrorReason(error);
    throw new HoopError('HOOP_POLICY_INVALID', `${path}: cannot read the policy file: ${why}`, {
      cause: error,
      details: { file: path },
    });
  }
}

/**
 * Validates the plain value against the schema and checks that rule names
 * are unique. `listPath` is where the rules are in `input`.
 */
function validate(
  schema: z.ZodType,
  input: unknown,
  listPath: KeyPath,
  lineOf: (path: KeyPath) => number | undefined,
): { rules: Rule[] } | { problems: Problem[] } {
  const result = schema.safeParse(input, { error: fallbackMessage });
  const invalid = result.success ? [] : toProblems(result.error.issues, schema, input, input);
  // An unknown key is the mistake to fix first; the others at its path are moot.
  const problems = invalid.filter((problem) => problem.unknownKey === true);
  problems.push(...unlessReported(problems, invalid));
  problems.push(...unlessReported(problems, duplicateRuleNames(input, listPath, lineOf)));
  if (problems.length > 0 || !result.success) return { problems };
  return { rules: valueAt(result.data, listPath) as Rule[] };
}

/** Rule names must be unique, without case: audit events and `explain` name rules. */
function duplicateRuleNames(
  input: unknown,
  listPath: KeyPath,
  lineOf: (path: KeyPath) => number | undefined,
): Problem[] {
  const rules = valueAt(input, listPath);
  if (!Array.isArray(rules)) return [];
  const problems: Problem[] = [];
  const first = new Map<string, number>();
  rules.forEach((rule: unknown, index) => {
    const name = valueAt(rule, ['name']);
    if (typeof name !== 'string') return;
    const seen = first.get(name.toLowerCase());
    if (seen === undefined) {
      first.set(name.toLowerCase(), index);
      return;
    }
    const line = lineOf([...listPath, seen, 'name']);
    problems.push({
      path: [...listPath, index, 'name'],
      message:
        `duplicate rule name ${JSON.stringify(name)}, already used by ` +
        `${formatKeyPath([...listPath, seen])}${line === undefined ? '' : ` on line ${line}`}`,
    });
  });
  return problems;
}

function createPolicy(rules: Rule[]): Policy {
  const frozen = Object.freeze(rules.map((rule) => deepFreeze(rule)));
  const engine = new PolicyEngine(frozen);
  return {
    hash: policyHash(frozen),
    rules: frozen,
    decide: (request: PolicyRequest): Decision => engine.decide(request),
  };
}

/**
 * The policy's version: SHA-256 of the rules' canonical JSON (keys sorted,
 * defaults applied). It names what the policy does, not how it is written:
 * comments, layout, key order, flow or block style, and moving the rules
 * between a policy file and `hoop.yaml` leave it unchanged; any change to a
 * rule, including their order, changes it.
 */
export function policyHash(rules: readonly Rule[]): string {
  return `sha256:${createHash('sha256').update(canonicalJson({ rules })).digest('hex')}`;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

function policyError(file: string, located: LocatedProblem[]): HoopError {
  const inline = located.every((p) => p.line === 0);
  const { problems, text } = inline
    ? {
        problems: located,
        text: located
          .map((p) => `${file}: ${p.key === '' ? '' : `${p.key}: `}${p.message}`)
          .join('\n'),
      }
    : formatLocated(file, located);
  const first = problems[0];
  return new HoopError('HOOP_POLICY_INVALID', text, {
    details: {
      file,
      ...(!inline && { line: first?.line, column: first?.column }),
      key: first?.key,
      problems: problems.map(({ line, column, key, message }) =>
        inline ? { key, message } : { line, column, key, message },
      ),
    },
  });
}
