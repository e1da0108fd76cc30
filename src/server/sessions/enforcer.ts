import type { ConnectionType } from '../../lib/connection-types.js';
import type { AuditRecorder } from '../audit/index.js';
import type { Identity } from '../auth/identity.js';
import type {
  Action,
  ActionOutcome,
  ActionRecord,
  Decision,
  Enforcer,
  Held,
  HoldIo,
  MaskPlan,
  Released,
  ResultMasker,
  TerminalChunk,
} from '../enforcement/index.js';
import type { Logger } from '../logger.js';
import { createResultMasker } from '../masking/index.js';
import { decideRequest, decideSql, requestFor, type Policy } from '../policy/index.js';
import {
  holdForReview,
  policyUnderGrant,
  requesterOf,
  type HoldMode,
  type ReviewDesk,
} from '../reviews/index.js';

/** What every session's enforcer is made of: the gateway's policy, reviews and audit. */
export interface EnforcementParts {
  /** The policy in force now; none means every action is allowed and nothing is masked or recorded. */
  policy?: () => Policy;
  /** Reviews for held actions; without it a held action is refused. */
  desk?: ReviewDesk;
  /** Records actions; without it (bench:audit's baseline) nothing per action is recorded. */
  recorder?: AuditRecorder;
  /** How much of each result a record keeps. */
  preview?: { rows: number; bytes: number };
}

/** The session an enforcer is bound to. */
export interface EnforcedSession {
  id: string;
  identity: Identity;
  connection: { name: string; type: ConnectionType };
  /** How the client wants held actions handled (from the tunnel URL). */
  mode: HoldMode;
  /** The grant rule the session was opened under, when it was. */
  grantRule?: string;
  log: Logger;
}

/** Policies as they apply under a grant, per policy version and rule. */
const underGrant = new WeakMap<Policy, Map<string, Policy>>();

function grantPolicy(policy: Policy, rule: string): Policy {
  let byRule = underGrant.get(policy);
  if (!byRule) {
    byRule = new Map();
    underGrant.set(policy, byRule);
  }
  let granted = byRule.get(rule);
  if (!granted) {
    granted = policyUnderGrant(policy, rule);
    byRule.set(rule, granted);
  }
  return granted;
}

/**
 * The enforcer of one session: policy decides (under the session's grant
 * when it was opened under one), reviews hold, masking masks, audit
 * records, each through the enforcement contract the protocol sees.
 */
export function sessionEnforcer(parts: EnforcementParts, session: EnforcedSession): Enforcer {
  const base = requestFor(session);
  const maskers = new WeakMap<MaskPlan, ResultMasker>();
  const current = (): Policy | undefined => {
    const policy = parts.policy?.();
    if (!policy || session.grantRule === undefined) return policy;
    return grantPolicy(policy, session.grantRule);
  };
  const { recorder } = parts;
  return {
    active: parts.policy !== undefined,
    get policyVersion() {
      return current()?.hash;
    },
    ...(parts.preview && recorder ? { preview: parts.preview } : {}),
    decide(action: Action): Decision {
      // One policy decides the whole action, and its hash is the one recorded.
      const policy = current();
      if (!policy) return { effect: 'allow' };
      switch (action.type) {
        case 'sql':
          return decideSql(policy, base, action, (statement, decision) =>
            session.log.debug(
              {
                event: 'statement_decided',
                fingerprint: statement.fingerprint,
                kinds: statement.kinds,
                tables: statement.tables,
                effect: decision.effect,
                rule: decision.rule,
              },
              'statement decided',
            ),
          );
        case 'session': {
          const decision = policy.decide(base);
          return decision.effect === 'allow'
            ? { effect: 'allow' }
            : {
                effect: 'deny',
                reason: 'policy',
                message: decision.message ?? 'no policy rule allows it',
                ...(decision.rule === undefined ? {} : { rule: decision.rule }),
              };
        }
        default:
          return decideRequest(policy, base, action);
      }
    },
    hold(held: Held, io: HoldIo): Promise<Released> {
      const { desk } = parts;
      if (!desk) {
        return Promise.resolve({
          effect: 'deny',
          reason: 'review',
          message: held.message,
          rule: held.hold.requirement.rule,
          ...(held.record ? { record: held.record } : {}),
        });
      }
      return holdForReview(
        desk,
        {
          sessionId: session.id,
          requester: requesterOf(session.identity),
          connection: session.connection.name,
          mode: session.mode,
          log: session.log,
        },
        held,
        io,
      );
    },
    masker(plan: MaskPlan): ResultMasker {
      let masker = maskers.get(plan);
      if (!masker) {
        masker = createResultMasker(plan);
        maskers.set(plan, masker);
      }
      return masker;
    },
    record(record: ActionRecord, outcome: ActionOutcome): Promise<void> | undefined {
      return recorder?.record(session.id, record, outcome);
    },
    progress(record: ActionRecord, outcome: ActionOutcome): Promise<void> | undefined {
      return recorder?.progress(session.id, record, outcome);
    },
    terminal(chunk: TerminalChunk): Promise<void> | undefined {
      return recorder?.terminal(session.id, chunk);
    },
  };
}
