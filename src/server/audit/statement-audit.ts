/**
 * What the statement gate knows about one SQL string (one Query or one
 * Parse) for the audit trail. The relay carries it unread from the gate to
 * the statement hook, where it meets the outcome.
 *
 * `text` is the SQL as the client sent it: never the values bound to its
 * parameters, never result data.
 */
export interface StatementAudit {
  text: string;
  /** Fingerprints of the string's statements, `; `-joined; undefined when it did not parse. */
  fingerprint?: string;
  kinds: string[];
  tables: string[];
  decision: 'allow' | 'deny';
  /** The rules that decided, `, `-joined; undefined for the default deny. */
  rule?: string;
  /** The hash of the policy version that decided. */
  policyHash: string;
  /** A string held for review: the review and how it ended (approved, rejected, expired, abandoned, consumed). */
  review?: { id: string; outcome: string };
}

/** Narrows the relay's opaque payload to what the gate put in it. */
export function isStatementAudit(value: unknown): value is StatementAudit {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as StatementAudit).text === 'string' &&
    typeof (value as StatementAudit).decision === 'string'
  );
}
