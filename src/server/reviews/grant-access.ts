import { formatDuration } from '../../lib/duration.js';
import { HoopError } from '../../lib/errors.js';
import type { Policy, PolicyRequest } from '../policy/index.js';
import { REVIEW_COMMANDS } from './commands.js';
import { grantRuleOf, policyUnderGrant } from './grant-policy.js';
import type { ReviewDesk } from './review-desk.js';
import type { Review, ReviewRequester } from './types.js';

/**
 * Whether a session may open: by policy alone, or under an approved grant
 * when a session-level `review` rule asks for one. Returns the grant it
 * opens under (its sessions close at `grantedUntil`).
 *
 * @throws HoopError `HOOP_GRANT_REQUIRED` (no grant; names the rule and the
 *   `hoop reviews request` command) or `HOOP_POLICY_DENIED`.
 */
export async function admitSession(
  policy: Policy,
  desk: ReviewDesk | undefined,
  request: PolicyRequest,
): Promise<{ grant?: Review }> {
  const decision = policy.decide(request);
  if (decision.effect === 'allow') return {};
  const rule = desk && grantRuleOf(policy, decision);
  if (!rule || !desk) throw denied(decision.message, decision.rule, request);
  const { identity, connection } = request;
  const grant = await desk.activeGrant(requesterFrom(identity), connection.name);
  if (!grant) {
    throw new HoopError(
      'HOOP_GRANT_REQUIRED',
      `policy rule "${rule.name}" requires an approved access grant to open ${connection.name}`,
      {
        hint: `Ask for one: \`${REVIEW_COMMANDS.request(connection.name)}\`.`,
        details: { rule: rule.name },
      },
    );
  }
  const under = policyUnderGrant(policy, rule.name).decide(request);
  if (under.effect === 'allow') return { grant };
  throw denied(under.message, under.rule, request);
}

/**
 * `POST /api/reviews`: asks for a grant on a connection whose opening needs
 * one, for at most `maxDurationMs`.
 */
export async function requestGrant(
  policy: Policy,
  desk: ReviewDesk,
  request: PolicyRequest,
  ask: { durationMs: number; reason: string; maxDurationMs: number },
): Promise<Review> {
  if (ask.durationMs <= 0 || ask.durationMs > ask.maxDurationMs) {
    throw new HoopError(
      'HOOP_BAD_REQUEST',
      `a grant lasts from 1s to ${formatDuration(ask.maxDurationMs)}; ${formatDuration(Math.max(0, ask.durationMs))} was asked`,
      {
        hint: 'Ask for a shorter --duration, or ask an administrator to raise reviews.maxGrantDuration.',
      },
    );
  }
  const decision = policy.decide(request);
  const rule = grantRuleOf(policy, decision);
  if (!rule || !decision.review) {
    if (decision.effect === 'allow') {
      throw new HoopError(
        'HOOP_BAD_REQUEST',
        `${request.connection.name} needs no grant: policy already lets you open it`,
        { hint: `Run \`hoop connect ${request.connection.name}\`.` },
      );
    }
    throw denied(decision.message, decision.rule, request);
  }
  return desk.requestGrant({
    requester: requesterFrom(request.identity),
    connection: request.connection.name,
    durationMs: ask.durationMs,
    reason: ask.reason,
    requirement: decision.review,
    policyHash: policy.hash,
  });
}

function requesterFrom(identity: PolicyRequest['identity']): ReviewRequester {
  return {
    method: identity.method,
    subject: identity.subject,
    name: identity.name,
    groups: [...identity.groups],
  };
}

function denied(message: string | undefined, rule: string | undefined, request: PolicyRequest) {
  return new HoopError(
    'HOOP_POLICY_DENIED',
    message ?? `no policy rule lets ${request.identity.name} open ${request.connection.name}`,
    { hint: 'Ask an administrator for access.', details: rule ? { rule } : {} },
  );
}
