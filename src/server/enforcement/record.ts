/**
 * What the audit trail keeps of one decided action: the decision's side
 * (`ActionRecord`, made by the enforcer with the decision) and the
 * protocol's side (`ActionOutcome`, how it ended on the wire). A protocol
 * carries the record from the decision to {@link Enforcer.record} unread.
 */

/** Fields every record has. */
interface RecordBase {
  decision: 'allow' | 'deny';
  /** The rules that decided, `, `-joined; undefined for the default deny. */
  rule?: string;
  /** The hash of the policy version that decided. */
  policyHash: string;
  /** An action held for review: the review and how it ended (approved, rejected, expired, consumed …). */
  review?: { id: string; outcome: string };
}

/** One SQL string. `text` is as the client sent it: never bound parameter values, never result data. */
export interface SqlRecord extends RecordBase {
  type: 'sql';
  text: string;
  /** Fingerprints of the string's statements, `; `-joined; undefined when it did not parse. */
  fingerprint?: string;
  kinds: string[];
  tables: string[];
}

/** One command line (an SSH exec) or the opening of a shell. */
export interface CommandRecord extends RecordBase {
  type: 'command';
  line: string;
  shell: boolean;
}

/** One HTTP request (plain HTTP or the Kubernetes API). */
export interface HttpRecord extends RecordBase {
  type: 'http';
  method: string;
  path: string;
  /** For the Kubernetes API: the request as its request-info rules read it. */
  kubernetes?: {
    verb: string;
    apiGroup: string;
    resource?: string;
    subresource?: string;
    namespace?: string;
    name?: string;
  };
}

export type ActionRecord = SqlRecord | CommandRecord | HttpRecord;

/**
 * The first rows of a result as the client received them (after masking):
 * column names and text values (binary values as `\x` and hex), `null` for
 * NULL. `truncated` when rows were left out.
 */
export interface ResultPreview {
  columns: string[];
  rows: (string | null)[][];
  truncated: boolean;
}

/** The error the client saw, in its protocol's terms (SQLSTATE, MySQL code, HTTP status …). */
export interface OutcomeError {
  code: string;
  message: string;
}

/** How one SQL string ended (a Query, an Execute, a refused Parse). */
export interface SqlOutcome {
  type: 'sql';
  /** The row count the target reported; undefined when it reports none. */
  rows?: number;
  /** From forwarding to completion, in milliseconds. */
  durationMs: number;
  error?: OutcomeError;
  preview?: ResultPreview;
}

/** How a command ended. */
export interface CommandOutcome {
  type: 'command';
  durationMs: number;
  exitStatus?: number;
  /** The signal that ended it, if one did. */
  signal?: string;
  error?: OutcomeError;
  /** The first bytes of its output as the client received them (masked), as UTF-8 text. */
  output?: { text: string; truncated: boolean };
}

/** How an HTTP request ended. */
export interface HttpOutcome {
  type: 'http';
  durationMs: number;
  /** The status the client received. */
  status?: number;
  /** Response body bytes the client received. */
  bytes?: number;
  error?: OutcomeError;
  /** The first bytes of the response body as the client received them (masked). */
  body?: { text: string; truncated: boolean };
}

export type ActionOutcome = SqlOutcome | CommandOutcome | HttpOutcome;

/** A chunk of a terminal session's output (an SSH shell, `kubectl exec -it`), recorded for replay. */
export interface TerminalChunk {
  /** `output` is what the client saw; `input` only where a rule turns keystroke recording on. */
  stream: 'output' | 'input';
  data: Buffer;
}
