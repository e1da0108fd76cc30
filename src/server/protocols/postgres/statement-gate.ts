import type { OutputLineage } from '../../sql/lineage.js';
import type { SessionContext } from '../handler.js';
import type { CopyFormat } from './copy/index.js';
import type { ResultPreview } from './result-preview.js';

/**
 * One mask rule that applies to the results of an allowed string, as the gate
 * found it. The relay never reads it: it hands it on, unread, to the
 * {@link ResultMaskerFactory} the gateway supplied.
 */
export interface ResultMaskRequest {
  rule: string;
  /** Column selectors (`customers.email`, `*.card_number`). */
  columns: readonly string[];
  /** Content detector names (`email`, `credit_card`…). */
  detectors: readonly string[];
  hashAllowed?: boolean;
  /** The tables the statements this rule matched name, for expression lineage. */
  tables: readonly string[];
  /** The string did not parse: which tables it reads is unknown (fail closed). */
  tablesUnknown?: boolean;
  /**
   * One entry per statement of the string, in order: where each output
   * column of its result derives from (`null` when it returns no rows or was
   * not traced). The same array on every mask of one string.
   */
  lineage?: readonly (readonly OutputLineage[] | null)[];
}

/**
 * A COPY … TO STDOUT in a string that masks apply to: how its CopyData is
 * written, and a SELECT with the same columns in the same order, which the
 * relay Describes (never runs) to plan the masks as for a query result.
 */
export interface CopyOutRequest extends CopyFormat {
  describe: string;
  /** Set when the COPY cannot be masked (it is refused if masks reach it): why. */
  problem?: string;
}

/** What the gateway decided for one SQL string (one Query or one Parse). */
export type GateDecision =
  | {
      allow: true;
      /** Mask rules that apply to the string's results, accumulated over its statements. */
      masks?: readonly ResultMaskRequest[];
      /** With `masks`: the string's COPY … TO STDOUT statements, in order. */
      copyOut?: readonly CopyOutRequest[];
      /** Opaque to the relay: handed back with the outcome to {@link StatementHook}. */
      audit?: unknown;
    }
  | {
      allow: false;
      /** Names the rule, shown to the client in the ErrorResponse. */
      message: string;
      /** SQLSTATE: 42501 (insufficient_privilege) for policy, 42601 for SQL that does not parse. */
      sqlState: string;
      /** Opaque to the relay: handed back with the outcome to {@link StatementHook}. */
      audit?: unknown;
      /**
       * Set when the string may run once someone approves it: a relay with a
       * {@link HoldHook} holds the message and hands this, unread, to the
       * hook; a relay without one refuses as above (fail closed).
       */
      hold?: unknown;
    };

/** A message held for review, as the relay hands it to the {@link HoldHook}. */
export interface HeldStatement {
  sql: string;
  /** The gate's `hold` payload, unread by the relay. */
  hold: unknown;
  /** Sends the client a NoticeResponse (severity NOTICE) now, while the message waits. */
  notice(message: string): void;
  /** Aborts when the client goes away: the wait is abandoned. */
  signal: AbortSignal;
}

/**
 * Decides a held message, however long that takes: an allowing decision
 * releases it to the target (with its masks), a refusal answers it with an
 * ErrorResponse. Later client messages wait behind it, in order.
 */
export type HoldHook = (session: SessionContext, held: HeldStatement) => Promise<GateDecision>;

/**
 * Decides a SQL string before it reaches the target. Protocol code knows
 * nothing of policy: the gateway hands this in (STYLE: protocol code never
 * imports policy, masking or audit).
 */
export type StatementGate = (session: SessionContext, sql: string) => GateDecision;

/** The gate when no policy is configured: everything passes, as a plain proxy. */
export const allowAll: StatementGate = () => ({ allow: true });

/** How one Query or Execute ended, as the relay saw it on the wire. */
export interface StatementOutcome {
  /** The count in the CommandComplete tag (`SELECT 5`, `INSERT 0 3`); undefined when there is none. */
  rows?: number;
  /** From forwarding the message to its completion, in milliseconds. */
  durationMs: number;
  /** The ErrorResponse the client saw: the gateway's own for a refusal. */
  error?: { code: string; message: string };
  /** The first rows of the result as the client received them (after masking), when previews are on. */
  preview?: ResultPreview;
}

/**
 * Called once per Query (simple protocol) or Execute (extended), and once per
 * refused Parse, with the gate's `audit` payload for the SQL and how it
 * ended. The gateway hands this in; the relay never reads `audit`.
 *
 * A returned promise holds the response: the frame that completes the
 * statement (CommandComplete or ErrorResponse of an Execute, ReadyForQuery of
 * a Query) and everything after it reach the client only once it resolves
 * (the audit event is durable); if it rejects, the session ends with a FATAL
 * error instead (fail closed: nothing unrecorded is answered).
 */
export type StatementHook = (
  session: SessionContext,
  audit: unknown,
  outcome: StatementOutcome,
) => void | Promise<void>;
