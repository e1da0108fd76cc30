import type { Insertable, Selectable } from 'kysely';
import { detailJson } from './detail-json.js';
import { previewJson } from './preview-json.js';
import type { EventsTable } from './schema.js';
import type {
  AuditEvent,
  CommandEvent,
  HttpEvent,
  ResultPreview,
  StatementDetail,
  StatementEvent,
  TerminalEvent,
} from './records.js';

/**
 * An event as its row: what the store inserts, the SQLite store's prepared
 * insert binds, and the audit chain hashes (its columns' text is the
 * event's canonical form).
 */
export function toEventRow(event: AuditEvent): Insertable<EventsTable> & EventRowValues {
  const statement = event.kind === 'statement' ? event : undefined;
  return {
    id: event.id,
    session_id: event.sessionId,
    seq: event.seq,
    at: event.at.toISOString(),
    kind: event.kind,
    text: event.text,
    fingerprint: statement?.fingerprint ?? null,
    kinds: statement ? JSON.stringify(statement.kinds) : '[]',
    tables: statement ? JSON.stringify(statement.tables) : '[]',
    decision: event.decision,
    rule: event.rule ?? null,
    policy_hash: event.policyHash ?? null,
    rows: statement?.rows ?? null,
    duration_ms: event.durationMs ?? null,
    error_code: event.errorCode ?? null,
    error_message: event.errorMessage ?? null,
    review_id: event.reviewId ?? null,
    review_outcome: event.reviewOutcome ?? null,
    preview: statement?.preview ? previewJson(statement.preview) : null,
    detail: detailJson(event),
    prev_hash: event.prevHash ?? null,
    hash: event.hash ?? null,
  };
}

/** The row's values by column name, every one present. */
type EventRowValues = { [K in keyof EventsTable]: EventsTable[K] };

/**
 * A stored row as an event of its kind. A row whose `kind` is unknown (an
 * edit, or a newer gateway's kind) reads back as a statement; verification
 * never reads through this mapping, it hashes the stored columns.
 */
export function toEvent(row: Selectable<EventsTable>): AuditEvent {
  const base = {
    id: row.id,
    sessionId: row.session_id,
    seq: Number(row.seq),
    at: new Date(row.at),
    text: row.text,
    decision: row.decision === 'allow' ? ('allow' as const) : ('deny' as const),
    ...(row.rule === null ? {} : { rule: row.rule }),
    ...(row.policy_hash === null ? {} : { policyHash: row.policy_hash }),
    ...(row.duration_ms === null ? {} : { durationMs: Number(row.duration_ms) }),
    ...(row.error_code === null ? {} : { errorCode: row.error_code }),
    ...(row.error_message === null ? {} : { errorMessage: row.error_message }),
    ...(row.review_id === null ? {} : { reviewId: row.review_id }),
    ...(row.review_outcome === null ? {} : { reviewOutcome: row.review_outcome }),
    ...(row.prev_hash === null ? {} : { prevHash: row.prev_hash }),
    ...(row.hash === null ? {} : { hash: row.hash }),
  };
  const detail = row.detail === null ? undefined : (JSON.parse(row.detail) as unknown);
  switch (row.kind) {
    case 'command':
      return { ...base, kind: 'command', detail: detail as CommandEvent['detail'] };
    case 'http':
      return { ...base, kind: 'http', detail: detail as HttpEvent['detail'] };
    case 'terminal':
      return { ...base, kind: 'terminal', detail: detail as TerminalEvent['detail'] };
    default: {
      const event: StatementEvent = {
        ...base,
        kind: 'statement',
        kinds: JSON.parse(row.kinds) as string[],
        tables: JSON.parse(row.tables) as string[],
      };
      if (row.fingerprint !== null) event.fingerprint = row.fingerprint;
      if (row.rows !== null) event.rows = Number(row.rows);
      if (row.preview !== null) event.preview = JSON.parse(row.preview) as ResultPreview;
      if (detail !== undefined) event.detail = detail as StatementDetail;
      return event;
    }
  }
}
