import { HoopError } from '../../lib/errors.js';
import { openPostgresStore } from './postgres.js';
import { openSqliteStore } from './sqlite.js';
import type { Store } from './store.js';
export type { AuditDecision, AuditRecords, EventQuery, SessionQuery } from './audit-queries.js';
export type { ReviewFilter, ReviewRecords, ReviewTransition } from './review-queries.js';
export type {
  Review,
  ReviewKind,
  ReviewRequester,
  ReviewStatus,
  ReviewVote,
  StoredRequirement,
} from './review-records.js';
export type { PurgeRecord, RetentionRecords } from './retention-queries.js';

export type { ChainRecords, SessionChain } from './chain-queries.js';

export type {
  AuditEvent,
  AuditEventKind,
  ChainSignature,
  CommandEvent,
  CutText,
  HttpEvent,
  NewSession,
  SessionEnd,
  SessionFilter,
  SessionRecord,
  ResultPreview,
  StatementDetail,
  StatementEvent,
  Store,
  TerminalEvent,
} from './store.js';
export { detailJson } from './detail-json.js';
export { toEventRow } from './event-rows.js';
export { previewJson } from './preview-json.js';

/**
 * Opens the store named by a URL: `sqlite:/path/to/file.db`,
 * `sqlite::memory:`, or `postgres://user:password@host:port/database` (for
 * several gateway replicas sharing one record). Both run the same
 * migrations and queries; only the Kysely dialect differs.
 */
export async function openStore(url: string): Promise<Store> {
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length);
    try {
      return await openSqliteStore(file);
    } catch (error) {
      if (error instanceof HoopError) throw error;
      throw new HoopError(
        'HOOP_STORE_UNAVAILABLE',
        `cannot open the store ${url}: ${(error as Error).message}`,
        {
          hint: 'Check the `store` path in the config and that the gateway may write there.',
          cause: error,
        },
      );
    }
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    try {
      return await openPostgresStore(url);
    } catch (error) {
      throw new HoopError(
        'HOOP_STORE_UNAVAILABLE',
        `cannot open the store ${redactStoreUrl(url)}: ${storeErrorMessage(error)}`,
        {
          hint: 'Check the `store` URL in the config and that the PostgreSQL server accepts the gateway.',
          cause: error,
        },
      );
    }
  }
  throw new HoopError('HOOP_CONFIG_INVALID', `unknown store URL ${redactStoreUrl(url)}`, {
    hint: 'Use sqlite:<path> or postgres://user:password@host:port/database.',
  });
}

/** The store URL as it may be shown: a password is replaced by `***`. */
export function redactStoreUrl(url: string): string {
  if (!URL.canParse(url)) return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

/** A migration failure is already worded (it names the migration); a driver error is not. */
function storeErrorMessage(error: unknown): string {
  if (error instanceof HoopError) return error.message;
  const { message, code } = error as { message?: string; code?: string };
  return message || code || String(error);
}
