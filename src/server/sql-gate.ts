import type { StatementAudit } from './audit/index.js';
import type { MaskDirective, Policy, PolicyRequest, ReviewRequirement } from './policy/index.js';
import type { SessionContext } from './protocols/handler.js';
import { copyFormat } from './protocols/postgres/copy/index.js';
import type {
  CopyOutRequest,
  GateDecision,
  ResultMaskRequest,
  StatementGate,
} from './protocols/postgres/statement-gate.js';
import { decideSql } from './sql-decision.js';
import { cachedClassifier, classifySql } from './sql/index.js';
import type { CopyOut } from './sql/types.js';

/**
 * The statement gate for SQL connections: classify the string with the real
 * PostgreSQL parser, then decide every statement in it by policy. One denied
 * statement refuses the whole string, so nothing in it runs. A string that
 * does not parse is decided as `unparsed`, which policy refuses whenever a
 * rule would have needed its classification (fail closed).
 *
 * An allowed string carries the mask rules of all its statements (masks
 * accumulate), each with the tables of the statements it matched and the
 * lineage of every statement's output columns, so the result masker can trace
 * expressions back to the columns they derive from.
 *
 * @param source the policy, or a function returning the one in force now.
 */
export function sqlPolicyGate(source: Policy | (() => Policy)): StatementGate {
  const classify = cachedClassifier(classifySql);
  // A function reads the policy in force at each statement (it is reloaded when its file changes).
  const current = typeof source === 'function' ? source : () => source;
  return (session: SessionContext, sql: string): GateDecision => {
    // One policy decides the whole string, and its hash is the one recorded.
    const policy = current();
    const base = requestFor(session);
    const classification = classify(sql);
    const decided = decideSql(policy, base, classification);
    if (!decided.parsed) {
      const { decision } = decided;
      const audit: StatementAudit = {
        text: sql,
        kinds: [],
        tables: [],
        decision: decision.effect === 'allow' ? 'allow' : 'deny',
        policyHash: policy.hash,
        ...(decision.rule === undefined ? {} : { rule: decision.rule }),
      };
      // An unparsable string that policy lets through reaches the target, whose own syntax error is exact.
      return decision.effect === 'allow'
        ? withMasks(
            decision.masks.map((mask) => toRequest(mask, [], true)),
            audit,
          )
        : {
            allow: false,
            sqlState: '42501',
            message: refusal(
              decision.rule,
              decision.message,
              'the statement could not be classified',
            ),
            audit,
          };
    }
    const masks = new Map<string, ResultMaskRequest>();
    const copyOut: CopyOutRequest[] = [];
    const lineage = decided.statements.map(({ statement }) => statement.lineage);
    const kinds = new Set<string>();
    const tables = new Set<string>();
    const rules = new Set<string>();
    let review: ReviewRequirement | undefined;
    const audit = (effect: 'allow' | 'deny'): StatementAudit => ({
      text: sql,
      fingerprint: decided.statements.map(({ statement }) => statement.fingerprint).join('; '),
      kinds: [...kinds],
      tables: [...tables],
      decision: effect,
      policyHash: policy.hash,
      ...(rules.size > 0 ? { rule: [...rules].join(', ') } : {}),
    });
    for (const [index, { statement, decision }] of decided.statements.entries()) {
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
      );
      for (const kind of statement.kinds) kinds.add(kind);
      for (const table of statement.tables) tables.add(table);
      if (index === decided.decisive && decision.effect !== 'review') {
        // The refusal is the denying rule's alone.
        rules.clear();
        if (decision.rule) rules.add(decision.rule);
        return {
          allow: false,
          sqlState: '42501',
          message: refusal(decision.rule, decision.message, 'no policy rule allows it'),
          audit: audit('deny'),
        };
      }
      if (decision.effect === 'review' && decision.review) {
        // One review approves one requirement: statements that need reviews
        // by different rules are refused together (fail closed).
        if (review && review.rule !== decision.review.rule) {
          rules.clear();
          rules.add(review.rule).add(decision.review.rule);
          return {
            allow: false,
            sqlState: '42501',
            message: refusal(
              decision.review.rule,
              undefined,
              `this string also needs a review by rule "${review.rule}"; send its statements separately`,
            ),
            audit: audit('deny'),
          };
        }
        review ??= decision.review;
      } else if (decision.effect !== 'allow') continue;
      if (decision.rule) rules.add(decision.rule);
      // COPY … TO STDOUT is masked as its CopyData streams, from a Describe
      // of `copy.describe`. A COPY TO a server file or program, or one whose
      // options the relay cannot read, is refused while masks apply.
      if (statement.copy?.direction === 'out') {
        const out = statement.copy.out;
        const problem = copyOutProblem(out);
        const rule = decision.masks[0]?.rule ?? [...masks.keys()][0];
        if (problem && rule !== undefined) {
          rules.clear();
          rules.add(rule);
          return {
            allow: false,
            sqlState: '42501',
            message: refusal(rule, undefined, `${problem} while masking applies; use SELECT`),
            audit: audit('deny'),
          };
        }
        if (out) copyOut.push(copyOutRequest(out, problem));
      }
      for (const mask of decision.masks) {
        const known = masks.get(mask.rule);
        masks.set(
          mask.rule,
          known
            ? { ...known, tables: [...new Set([...known.tables, ...statement.tables])] }
            : toRequest(mask, statement.tables, false, lineage),
        );
      }
    }
    const decision = withMasks([...masks.values()], audit('allow'), copyOut);
    if (!review) return decision;
    const held: SqlHold = {
      requirement: review,
      policyHash: policy.hash,
      fingerprint: decided.statements.map(({ statement }) => statement.fingerprint).join('; '),
      approved: decision,
    };
    return {
      allow: false,
      sqlState: '42501',
      message: refusal(
        review.rule,
        undefined,
        `the statement needs a review by ${review.approvers.join(', ')}, and this session cannot wait for one`,
      ),
      audit: audit('deny'),
      hold: held,
    };
  };
}

/**
 * What the gate hands the gateway's hold hook for a string that needs a
 * review: who must approve, and the decision that applies once approved
 * (its masks and audit).
 */
export interface SqlHold {
  requirement: ReviewRequirement;
  policyHash: string;
  fingerprint: string;
  approved: GateDecision;
}

export function isSqlHold(value: unknown): value is SqlHold {
  return (
    typeof value === 'object' && value !== null && 'requirement' in value && 'approved' in value
  );
}

/** Why a COPY TO cannot be masked on the wire, or `undefined` when it can. */
function copyOutProblem(out: CopyOut | undefined): string | undefined {
  if (!out) return 'COPY TO a server file or program is refused';
  if (out.unsupported !== undefined) return `COPY TO with ${out.unsupported} is refused`;
  if (out.describe === undefined) return 'a COPY TO whose columns cannot be described is refused';
  return undefined;
}

function copyOutRequest(out: CopyOut, problem: string | undefined): CopyOutRequest {
  const format = copyFormat({
    format: out.format,
    header: out.header,
    ...(out.delimiter === undefined ? {} : { delimiter: out.delimiter }),
    ...(out.null === undefined ? {} : { null: out.null }),
    ...(out.quote === undefined ? {} : { quote: out.quote }),
    ...(out.escape === undefined ? {} : { escape: out.escape }),
  });
  return { ...format, describe: out.describe ?? '', ...(problem ? { problem } : {}) };
}

function toRequest(
  mask: MaskDirective,
  tables: readonly string[],
  tablesUnknown: boolean,
  lineage?: ResultMaskRequest['lineage'],
): ResultMaskRequest {
  return {
    rule: mask.rule,
    columns: mask.columns,
    detectors: mask.detectors,
    ...(mask.hashAllowed === undefined ? {} : { hashAllowed: mask.hashAllowed }),
    tables,
    ...(tablesUnknown ? { tablesUnknown } : {}),
    ...(lineage ? { lineage } : {}),
  };
}

function withMasks(
  masks: ResultMaskRequest[],
  audit: StatementAudit,
  copyOut: CopyOutRequest[] = [],
): GateDecision {
  if (masks.length === 0) return { allow: true, audit };
  return copyOut.length === 0
    ? { allow: true, masks, audit }
    : { allow: true, masks, copyOut, audit };
}

/** The policy request for a session, without an action (opening the session). */
export function requestFor(
  session: Pick<SessionContext, 'identity' | 'connection'>,
): PolicyRequest {
  const { identity, connection } = session;
  return {
    identity: {
      subject: identity.subject,
      name: identity.name,
      groups: identity.groups,
      kind: identity.kind,
      ...(identity.actors ? { actors: identity.actors } : {}),
      ...(identity.email ? { email: identity.email } : {}),
    },
    connection: { name: connection.name, type: connection.type },
  };
}

/** The client's error text: who refused and why, as DESIGN.md asks ("the message names the rule"). */
function refusal(rule: string | undefined, message: string | undefined, fallback: string): string {
  const why = message ?? fallback;
  return rule
    ? `hoop: refused by policy rule "${rule}": ${why}`
    : `hoop: refused by policy: ${why}`;
}
