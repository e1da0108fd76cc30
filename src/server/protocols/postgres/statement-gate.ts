import type { SessionContext } from '../handler.js';

/** What the gateway decided for one SQL string (one Query or one Parse). */
export type GateDecision =
  | { allow: true }
  | {
      allow: false;
      /** Names the rule, shown to the client in the ErrorResponse. */
      message: string;
      /** SQLSTATE: 42501 (insufficient_privilege) for policy, 42601 for SQL that does not parse. */
      sqlState: string;
    };

/**
 * Decides a SQL string before it reaches the target. Protocol code knows
 * nothing of policy: the gateway hands this in (STYLE: protocol code never
 * imports policy, masking or audit).
 */
export type StatementGate = (session: SessionContext, sql: string) => GateDecision;

/** The gate when no policy is configured: everything passes, as a plain proxy. */
export const allowAll: StatementGate = () => ({ allow: true });
