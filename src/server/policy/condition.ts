import { Environment, type ASTNode } from '@marcbachmann/cel-js';

import { principalName } from '../../lib/principal.js';
import type { PolicyRequest } from './types.js';

/*
 * A rule's `when:` condition, in CEL (https://github.com/google/cel-spec),
 * the expression language Kubernetes and Envoy use for what a fixed set of
 * keys cannot say. It is parsed and type-checked once, when the policy is
 * loaded: a condition that does not compile, or is not a boolean, refuses
 * the policy. Evaluating it only runs the compiled tree.
 */

/**
 * The variables a condition sees. Every field is always present (an absent
 * email is `""`, no delegation is `[]`), so a well-typed condition cannot fail
 * on a missing key. `identity.method` (`apikey` or `oidc`) is the namespace
 * `identity.subject` lives in; `identity.principal` names the caller in one
 * string whatever its kind (`apikey:agent-1`, `oidc:alice`), which is what a
 * condition should compare to name one identity.
 */
const ENVIRONMENT = new Environment({ homogeneousAggregateLiterals: false })
  .registerVariable({
    name: 'identity',
    description: 'who asks',
    schema: {
      subject: 'string',
      method: 'string',
      principal: 'string',
      name: 'string',
      email: 'string',
      kind: 'string',
      groups: 'list<string>',
      actors: 'list<string>',
    },
  })
  .registerVariable({
    name: 'connection',
    description: 'where to',
    schema: { name: 'string', type: 'string' },
  })
  .registerVariable({
    name: 'action',
    description:
      'what is asked: type "session" to open a session, "sql" for a statement, "command" for an SSH command line or channel',
    schema: {
      type: 'string',
      kinds: 'list<string>',
      tables: 'list<string>',
      functions: 'list<string>',
    },
  })
  .registerVariable({ name: 'time', type: 'google.protobuf.Timestamp', description: 'when' });

/**
 * Where a checked condition runs: the same language without the declared
 * shapes, which the evaluator would otherwise check on every access. The
 * context always has the declared shape ({@link conditionContext}), so the
 * answer is the same, several times faster.
 */
const RUNTIME = new Environment({
  homogeneousAggregateLiterals: false,
  unlistedVariablesAreDyn: true,
}).registerVariable({ name: 'time', type: 'google.protobuf.Timestamp', description: 'when' });

/** The names a condition may use, for messages. */
export const CONDITION_VARIABLES = ['identity', 'connection', 'action', 'time'] as const;

export interface CompiledCondition {
  readonly source: string;
  /** Whether the condition reads `action`: then an unclassified statement cannot be decided by it. */
  readonly usesAction: boolean;
  /** Whether the condition reads `time`: then its verdict holds for the instant it was made only. */
  readonly usesTime: boolean;
  /** True or false; throws when the condition fails at run time. */
  evaluate(context: ConditionContext): boolean;
}

export type ConditionContext = Record<(typeof CONDITION_VARIABLES)[number], unknown>;

/**
 * Compiles a condition, or says what is wrong with it (with the column in
 * the expression, 1-based, where the CEL parser or type checker says).
 */
export function compileCondition(
  source: string,
): { ok: true; condition: CompiledCondition } | { ok: false; message: string } {
  let program: ReturnType<Environment['parse']>;
  try {
    program = ENVIRONMENT.parse(source);
  } catch (error) {
    return { ok: false, message: describe('does not parse', error) };
  }
  const checked = program.check();
  if (!checked.valid) return { ok: false, message: describe('does not type-check', checked.error) };
  if (checked.type !== 'bool') {
    return {
      ok: false,
      message: `a condition must be true or false, and this one is a ${checked.type}`,
    };
  }
  const usesAction = mentions(program.ast, 'action');
  const usesTime = mentions(program.ast, 'time');
  const run = RUNTIME.parse(source);
  return {
    ok: true,
    condition: {
      source,
      usesAction,
      usesTime,
      evaluate(context) {
        const result: unknown = run(context);
        if (typeof result !== 'boolean') throw new TypeError('the condition is not true or false');
        return result;
      },
    },
  };
}

/** The variables for one request (the time passed in, so that one decision sees one instant). */
export function conditionContext(request: PolicyRequest, at: Date): ConditionContext {
  const { identity, connection, action } = request;
  return {
    identity: {
      subject: identity.subject,
      method: identity.method,
      principal: principalName(identity) ?? '',
      name: identity.name,
      email: identity.email ?? '',
      kind: identity.kind,
      groups: identity.groups,
      actors: identity.actors ?? [],
    },
    connection: { name: connection.name, type: connection.type },
    action:
      action === undefined
        ? { type: 'session', kinds: [], tables: [], functions: [] }
        : action.type === 'command'
          ? { type: 'command', kinds: [], tables: [], functions: [] }
          : {
              type: action.type,
              kinds: action.kinds,
              tables: action.tables,
              functions: action.functions,
            },
    time: at,
  };
}

/** What a CEL error says, without its source excerpt, with the column where it has one. */
export function conditionError(error: unknown): string {
  const summary = (error as { summary?: unknown }).summary;
  const text = typeof summary === 'string' ? summary : (error as Error).message;
  return text.split('\n')[0] ?? String(error);
}

function describe(what: string, error: unknown): string {
  const range = (error as { range?: { start: number } } | undefined)?.range;
  const at = range === undefined ? '' : ` at column ${range.start + 1} of the condition`;
  return `CEL condition ${what}${at}: ${conditionError(error)}`;
}

/** Whether the expression names the variable (a comprehension variable of that name counts too: conservative). */
function mentions(node: ASTNode, name: string): boolean {
  if (node.op === 'id') return node.args === name;
  const stack: unknown[] = [node.args];
  while (stack.length > 0) {
    const item = stack.pop();
    if (Array.isArray(item)) stack.push(...(item as unknown[]));
    else if (isNode(item) && mentions(item, name)) return true;
  }
  return false;
}

function isNode(value: unknown): value is ASTNode {
  return value !== null && typeof value === 'object' && 'op' in value && 'args' in value;
}
