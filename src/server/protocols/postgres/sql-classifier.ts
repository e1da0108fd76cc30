import {
  cachedClassifier,
  DEFAULT_SQL_LIMITS,
  OffThreadClassifier,
  sqlClassifier,
  type Classification,
} from '../../sql/index.js';
import type { SqlSettings } from '../handler.js';

/**
 * How the PostgreSQL handler classifies every session's SQL: short strings
 * on the event loop, through a cache shared by all sessions (by text, and
 * across numeric constants); strings of `offThreadLength` characters or more
 * on a worker thread, so that a large statement (parsing can take a good
 * fraction of a second within the limits) never stalls every other
 * session, and is refused (`HOOP_SQL_TOO_SLOW`) if it takes longer than
 * `parseTimeoutMs`.
 */
export class PostgresClassifier {
  private readonly inline: (sql: string) => Classification;
  private readonly offThread: OffThreadClassifier;
  private readonly maxLength: number;

  constructor(private readonly settings: SqlSettings) {
    this.inline = cachedClassifier(sqlClassifier({ limits: settings.limits }));
    this.offThread = new OffThreadClassifier({
      limits: settings.limits,
      timeoutMs: settings.parseTimeoutMs,
    });
    this.maxLength = settings.limits.maxLength ?? DEFAULT_SQL_LIMITS.maxLength;
  }

  classify(sql: string): Classification | Promise<Classification> {
    // A string past the length limit is refused at once, on the event loop: no parse at all.
    if (sql.length < this.settings.offThreadLength || sql.length > this.maxLength)
      return this.inline(sql);
    return this.offThread.classify(sql);
  }

  close(): Promise<void> {
    return this.offThread.close();
  }
}
