import { HoopError } from '../../lib/errors.js';
import { openSqliteStore } from './sqlite.js';
import type { Store } from './store.js';
export type { AuditDecision, AuditRecords, EventQuery, SessionQuery } from './audit-queries.js';
export type { ReviewFilter, ReviewRecords, ReviewTransition } from './review-queries.js';

export type { ChainRecords, SessionChain } from './chain-queries.js';

export type {
  ChainSignature,
  NewSession,
  SessionEnd,
  SessionFilter,
  SessionRecord,
  ResultPreview,
  StatementEvent,
  Store,
} from './store.js';

/**
 * Opens the store named by a URL: `sqlite:/path/to/file.db` or
 * `sqlite::memory:`. PostgreSQL (`postgres://…`, for several gateway
 * replicas) plugs in here with its own Kysely dialect.
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
    throw new HoopError(
      'HOOP_CONFIG_INVALID',
      'the PostgreSQL store is not available in this version',
      {
        hint: 'Use store: sqlite:./.hoop/hoop.db',
      },
    );
  }
  throw new HoopError('HOOP_CONFIG_INVALID', `unknown store URL ${url}`, {
    hint: 'Use sqlite:<path>.',
  });
}
