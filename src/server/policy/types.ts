import type { ConnectionType } from '../../lib/connection-types.js';
import type { AuthMethod } from '../../lib/principal.js';
import type { ColumnUseKind, ReviewRequirement } from '../enforcement/index.js';
import type { TimeWindow } from './time-window.js';
import type { Detector, StatementKind } from './vocabulary.js';

/**
 * What the policy is asked about: who, where, and (once a session is open)
 * what. Protocol-neutral: each protocol handler maps its own requests onto
 * this shape, so every protocol gets the same enforcement.
 */
export interface PolicyRequest {
  identity: {
    /** The namespace `subject` lives in: how the caller authenticated (src/lib/principal.ts). */
    method: AuthMethod;
    subject: string;
    name: string;
    groups: readonly string[];
    kind: 'user' | 'agent';
    /** RFC 8693 delegation: who acts for `subject`, the current actor first. */
    actors?: readonly string[];
    email?: string;
  };
  connection: { name: string; type: ConnectionType };
  /** What is asked; absent for opening a session (and for HTTP requests, decided by who and where). */
  action?: SqlAction | CommandAction;
  /** When the request is made, for `match.time` and conditions; now when absent. */
  at?: Date;
}

/**
 * One classified SQL statement. The SQL classifier's `ClassifiedStatement`
 * maps onto it field for field (`kinds`, `tables`, `functions`, `unknown`);
 * `unparsed` is set when the statement could not be classified (it did not
 * parse, or exceeded a limit), and then the lists are not to be trusted
 * (see {@link Policy.decide}).
 */
export interface SqlAction {
  type: 'sql';
  kinds: readonly string[];
  /** `schema.table` or bare `table`, as the statement names them. */
  tables: readonly string[];
  functions: readonly string[];
  unparsed?: boolean;
  /**
   * What the statement runs that cannot be known before it runs (SQL built
   * at run time, code in another language…), each `message` completing "the
   * statement …". A statement with kind `dynamic` is unknowable with or
   * without it; it only words the refusal.
   */
  unknown?: readonly { reason: string; message: string }[];
}

/**
 * A command line run on a host, or a channel opened on it (an SSH exec,
 * shell, subsystem or forwarding), as `commands` rules match it: each
 * simple command as its words, the program without its directory;
 * channels as one `@name` word (`@shell`, `@sftp`, `@forward`, `@agent`).
 */
export interface CommandAction {
  type: 'command';
  commands: readonly (readonly string[])[];
  /**
   * Part of the line runs something only the target's shell can know (a
   * variable in command position, `eval`, a program's inline code): rules
   * that name `commands` cannot be checked against it (fail closed).
   */
  unknown?: readonly { reason: string; message: string }[];
  /** Allowed only by an allow rule whose `commands` name it (forwarding, agent forwarding). */
  explicit?: boolean;
}

/** What a mask rule asks the masking stage to do with a response. */
export interface MaskDirective {
  rule: string;
  /** `table.column` or `schema.table.column` selectors, `*` as a wildcard within one part. */
  columns: readonly string[];
  detectors: readonly Detector[];
  /** The masker may replace a value by its keyed hash rather than a fixed mask. */
  hashAllowed?: boolean;
  /** Uses of the masked columns other than output the rule allows (`mask.allow`). */
  allow?: readonly ColumnUseKind[];
}

/** What a `review` decision asks for: the enforcement contract's requirement, which policy makes. */
export type { ReviewRequirement } from '../enforcement/index.js';

/** How long a request held for review waits when its rule names no `timeout`. */
export const DEFAULT_REVIEW_TIMEOUT_MS = 5 * 60_000;

export interface Decision {
  /**
   * `review`: no deny matched, a review rule did; the request may go ahead
   * once approved (see `review`). A caller that cannot hold requests must
   * treat it as a refusal (`message` names the rule and its approvers).
   */
  effect: 'allow' | 'deny' | 'review';
  /** The rule that decided (deny or allow), or undefined for the default deny. */
  rule?: string;
  /** For the caller: the deny rule's `message`, or why the request was refused. */
  message?: string;
  /** Mask rules that apply, accumulated from every matching mask rule in order. */
  masks: MaskDirective[];
  /** Every rule that matched, in order (for `hoop policy explain`). */
  matched: string[];
  /** With effect `review`: the first matching review rule's requirement. */
  review?: ReviewRequirement;
  /**
   * A rule's `match.time` or a condition reading `time` was consulted: the
   * decision holds for the instant it was made, and one kept for later use
   * (a prepared statement) is made again when used.
   */
  timed?: true;
}

export type Effect = 'allow' | 'deny' | 'review' | 'mask';

/**
 * Who, where and what a rule applies to. Every key present must match; a
 * list matches when any of its entries does; `match: {}` matches everything.
 */
export interface RuleMatch {
  /** Connection names without case, `*` as a wildcard (`pg-*`, `*`). */
  connections?: string[];
  types?: ConnectionType[];
  /** The caller shares one of these groups (as the identity provider names them, with case). */
  groups?: string[];
  /**
   * `apikey:<name>`: that API key (name without case); `oidc:<sub>`: the
   * provider identity with that subject; anything else: a provider identity
   * whose subject or name is it as written, or whose email it is without
   * case. An API key is never matched by a bare name.
   */
  users?: string[];
  /** API key names without case: identities of method `apikey` whose subject is `apikey:<name>`. */
  apiKeys?: string[];
  /** `true`: only agents; `false`: only people. */
  agents?: boolean;
  /**
   * The delegation chain (RFC 8693 `act`) names one of these subjects:
   * an agent acting for the caller, at any depth. Actors are provider
   * identities: a `sub`, or `oidc:<sub>`.
   */
  actors?: string[];
  /** `true`: only when someone acts for the caller (a delegation chain); `false`: only when not. */
  delegated?: boolean;
  /** When: one window or a list of them, any of which may match (see `time-window.ts`). */
  time?: TimeWindow | TimeWindow[];
  /**
   * SQL statement kinds. Rules that name statements, tables or functions
   * apply to SQL statements only, never to opening a session. `copy` stands
   * for every COPY direction (`copy_to_program`, …) as well.
   */
  statements?: StatementKind[];
  /**
   * Tables as `table`, `schema.table` or `catalog.schema.table`, without
   * case, `*` as a wildcard within one part. A selector matches names with
   * more qualifiers in front (`customers` matches `public.customers`). A bare
   * name in a statement may resolve to any schema on the search path, so it
   * matches a qualified selector's table part for deny, review and mask rules
   * (leaving out the schema cannot escape them), and does not for allow rules
   * (it cannot reach a schema they do not name). So `vault.*` in a deny rule
   * refuses every unqualified table.
   */
  tables?: string[];
  /**
   * Functions as `name` or `schema.name`, matched like tables, or function
   * groups (`@server-files`, `@dynamic-sql`, … see the SQL classifier's
   * `function-groups.ts`), which stand for their members whatever their
   * schema and for the operations that are statements (`copy program`).
   */
  functions?: string[];
  /**
   * Commands run on a host (SSH), as globs over each simple command's words
   * joined by spaces, the program without its directory (`rm *`,
   * `systemctl restart *`; `rm *` also matches a bare `rm`), or channels
   * as `@shell`, `@sftp`, `@forward`, `@agent`. Rules that name commands
   * apply to command lines and channels only. Deny, review and mask rules
   * match when any command does; allow rules when every one does. A line
   * with a part the gateway cannot know is refused by any rule that names
   * commands and would otherwise apply.
   */
  commands?: string[];
}

export interface ReviewSpec {
  approvers: string[];
  approvals: number;
  /** How long the request waits for its approvals, as written (`5m`). */
  timeout?: string;
}

export interface MaskSpec {
  columns: string[];
  detectors: Detector[];
  hashAllowed?: boolean;
  /**
   * Uses of the masked columns other than output that this rule allows for
   * the identities it applies to (`write`, `predicate`, `order`, `alter`,
   * `code`); every other use is refused (README, "Uses of a masked column").
   */
  allow?: ColumnUseKind[];
}

/** A rule as validated, with defaults applied: the policy's canonical form. */
export interface Rule {
  name: string;
  match: RuleMatch;
  /**
   * A CEL expression over `identity`, `connection`, `action` and `time` that
   * must also be true. One that fails at run time makes the rule deny.
   */
  when?: string;
  effect: Effect;
  message?: string;
  review?: ReviewSpec;
  mask?: MaskSpec;
}

export interface Policy {
  /**
   * `sha256:<hex>` of the rules' canonical JSON (keys sorted, defaults
   * applied), stamped on every audit event. It names what the policy does:
   * comments, layout and key order do not change it; any rule change does.
   */
  readonly hash: string;
  readonly rules: readonly Rule[];
  /**
   * Decides one request. Pure and synchronous: safe on the hot path.
   *
   * - Every rule is checked, in order; `matched` lists those that matched.
   * - A matching `deny` refuses with its message, whatever else matched.
   * - A rule whose `when` condition fails at run time (its other keys
   *   matching) refuses the request, naming the rule, whatever its effect:
   *   fail closed. An explicit deny still takes precedence.
   * - A request whose statement did not parse (`action.unparsed`) matches no
   *   rule that names `statements`, `tables` or `functions`. If such a rule
   *   would otherwise apply (its connection, type and identity keys match),
   *   whatever its effect, the request is refused with "statement could not
   *   be classified", naming the first such rule: what it would have
   *   decided is unknown, so fail closed. A deny that needs no
   *   classification still takes precedence with its own message. The
   *   same holds for a rule whose `when` condition reads `action`.
   * - A statement that parsed but runs code whose effect is known only at
   *   run time (kind `dynamic`: SQL built at run time, a body in a language
   *   the gateway cannot analyse…) matches no rule that names `statements`,
   *   `tables` or `functions` without naming `dynamic` among its
   *   statements. If such a rule would otherwise apply, whatever its effect,
   *   the request is refused, naming the first such rule and why the
   *   statement is unknowable (`action.unknown`). A rule that names
   *   `dynamic` decides it: an allow rule by its kinds, tables and
   *   functions like any statement (it covers `dynamic` only by naming
   *   it); a deny, review or mask rule by its `statements` alone, its
   *   `tables` and `functions` taken to match what cannot be seen. A deny
   *   that needs no classification, a failed condition and an unparsed
   *   statement's refusal come first. Conditions that read `action` count
   *   as limiting rules here too.
   * - Otherwise a matching `review` decides `review`, with the first such
   *   rule's approvers, approvals and timeout (deny beats review beats
   *   allow): the caller holds the request until it is approved, or refuses
   *   it if it cannot hold it.
   * - Otherwise a matching `allow` allows. An allow rule's `statements`,
   *   `tables` and `functions` must cover every kind, table and function of
   *   the statement (and the statement must have at least one), so that
   *   "allow select on reports.*" does not allow a join with another table
   *   or a CTE that writes; deny, review and mask rules match on any one.
   * - Otherwise the request is refused: nothing allowed is denied.
   * - `masks` lists every matching mask rule, in order, whatever the effect;
   *   masks never allow anything by themselves.
   */
  decide(request: PolicyRequest): Decision;
}
