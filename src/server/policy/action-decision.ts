import type {
  CommandRecord,
  Decision,
  HttpRecord,
  HttpRequest,
  KubernetesRequest,
  RunCommand,
} from '../enforcement/index.js';
import { refusal } from './sql-decision.js';
import type { CommandAction, Policy, PolicyRequest } from './types.js';

/**
 * How the gateway decides a command line, an HTTP request or a Kubernetes
 * request. Rules decide them by who asks, where and when; rules that name
 * SQL statements, tables or functions apply to SQL only. A `review` holds
 * the request with the decision that applies once approved.
 */
export function decideRequest(
  policy: Policy,
  base: PolicyRequest,
  action: RunCommand | HttpRequest | KubernetesRequest,
): Decision {
  const decision = policy.decide(
    action.type === 'command' ? { ...base, action: commandAction(action) } : base,
  );
  const record = (effect: 'allow' | 'deny'): CommandRecord | HttpRecord => {
    const decided = {
      decision: effect,
      policyHash: policy.hash,
      ...(decision.rule === undefined ? {} : { rule: decision.rule }),
    };
    if (action.type === 'command') {
      return { type: 'command', line: action.line, shell: action.shell, ...decided };
    }
    if (action.type === 'http') {
      return { type: 'http', method: action.method, path: action.path, ...decided };
    }
    return {
      type: 'http',
      method: action.verb,
      path: action.path,
      kubernetes: {
        verb: action.verb,
        apiGroup: action.apiGroup,
        ...(action.resource === undefined ? {} : { resource: action.resource }),
        ...(action.subresource === undefined ? {} : { subresource: action.subresource }),
        ...(action.namespace === undefined ? {} : { namespace: action.namespace }),
        ...(action.name === undefined ? {} : { name: action.name }),
      },
      ...decided,
    };
  };
  const masks =
    decision.masks.length === 0
      ? undefined
      : { masks: decision.masks.map((mask) => ({ ...mask, tables: [] })) };
  if (decision.effect === 'allow') {
    return { effect: 'allow', ...(masks ? { masks } : {}), record: record('allow') };
  }
  if (decision.effect === 'review' && decision.review) {
    const text =
      action.type === 'command'
        ? action.line
        : `${action.type === 'http' ? action.method : action.verb} ${action.path}`;
    return {
      effect: 'review',
      hold: {
        requirement: decision.review,
        policyHash: policy.hash,
        text,
        fingerprint: text,
        approved: { effect: 'allow', ...(masks ? { masks } : {}), record: record('allow') },
      },
      message: refusal(
        decision.review.rule,
        undefined,
        `the request needs a review by ${decision.review.approvers.join(', ')}, and this session cannot wait for one`,
      ),
      record: record('deny'),
    };
  }
  return {
    effect: 'deny',
    reason: 'policy',
    message: refusal(decision.rule, decision.message, 'no policy rule allows it'),
    ...(decision.rule === undefined ? {} : { rule: decision.rule }),
    record: record('deny'),
  };
}

/** What policy reads of a command line: its commands, and what it cannot know (fail closed). */
function commandAction(action: RunCommand): CommandAction {
  const unknown =
    action.unparsed && (action.unknown === undefined || action.unknown.length === 0)
      ? [{ reason: 'syntax', message: 'could not be parsed' }]
      : (action.unknown ?? []);
  return {
    type: 'command',
    commands: action.commands,
    ...(unknown.length > 0 ? { unknown } : {}),
    ...(action.explicit ? { explicit: true } : {}),
  };
}
