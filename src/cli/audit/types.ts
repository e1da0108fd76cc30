/** A session as `GET /api/sessions` shows it. */
export interface AuditSession {
  id: string;
  subject: string;
  /** `apikey:<name>` or `oidc:<sub>`: whose session it is, by kind and subject. */
  principal?: string;
  identity: { name: string; kind: string; authMethod: string; groups: string[] };
  /** The delegation chain, current actor first; empty when nobody acts for the subject. */
  actors: string[];
  connection: { name: string; type: string };
  client: string;
  startedAt: string;
  endedAt: string | null;
  closeReason: string | null;
  closeDetail?: string;
  bytesUp: number;
  bytesDown: number;
}

/** `GET /api/sessions/ID`: the session with the policy versions that decided its statements. */
export interface AuditSessionDetail extends AuditSession {
  policyVersions: string[];
  events: number;
  inProgress: boolean;
}

/** The first rows of a result as the client saw them (masked). */
export interface AuditPreview {
  columns: string[];
  rows: (string | null)[][];
  truncated: boolean;
}

/** One recorded statement (`GET /api/sessions/ID/events`). */
export interface AuditEvent {
  id: string;
  sessionId: string;
  seq: number;
  at: string;
  kind: string;
  text: string;
  decision: string;
  rule?: string;
  policyHash?: string;
  rows?: number;
  durationMs?: number;
  errorCode?: string;
  errorMessage?: string;
  reviewId?: string;
  reviewOutcome?: string;
  preview?: AuditPreview;
  /**
   * A statement's: present when its text was cut (`audit.maxTextBytes`) or
   * it did not finish (`unfinished`); a
   * command's: its exit status and output; a terminal chunk's: its stream
   * and bytes (base64).
   */
  detail?: {
    textBytes?: number;
    textSha256?: string;
    unfinished?: true;
    exitStatus?: number;
    signal?: string;
    stream?: 'output' | 'input';
    data?: string;
  };
}

export interface SessionPage {
  sessions: AuditSession[];
  nextCursor?: string;
}

export interface SessionEvents {
  sessionId: string;
  inProgress: boolean;
  events: AuditEvent[];
}
