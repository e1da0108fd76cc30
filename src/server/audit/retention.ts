import { hostname } from 'node:os';
import type { Logger } from '../logger.js';
import type { PurgeRecord, RetentionRecords } from '../store/index.js';

export interface RetentionOptions {
  store: RetentionRecords;
  /** Sessions that ended longer ago than this are purged (`audit.retention`). */
  retentionMs: number;
  log: Logger;
  /** How often to purge after the first purge at start, in ms. Default one hour. */
  intervalMs?: number;
  /** Names the gateway in the purges table. Default `host/pid`. */
  gateway?: string;
  /** The clock; tests pin it. */
  now?: () => Date;
}

/** How the gateway names itself in the purges table: its host and process. */
export function gatewayName(): string {
  return `${hostname()}/${process.pid}`;
}

/**
 * Purges what is older than `audit.retention`: once at start, then every
 * `intervalMs`. Each purge is recorded in the store (when, the cutoff, what
 * it removed, which gateway) and logged as `audit_purge`. Replicas sharing a
 * PostgreSQL store each purge; what one removed, the next finds gone (and
 * records a purge of nothing). A purge that fails is logged and tried again
 * at the next interval.
 */
export class RetentionSchedule {
  private readonly timer: NodeJS.Timeout;
  private running: Promise<PurgeRecord | undefined> | undefined;
  private closed = false;

  constructor(private readonly options: RetentionOptions) {
    this.timer = setInterval(() => void this.purge(), options.intervalMs ?? 3_600_000);
    this.timer.unref();
    void this.purge();
  }

  /** Purges now (or joins the purge under way); undefined when it failed. */
  purge(): Promise<PurgeRecord | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    this.running ??= this.run().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Stops the schedule and waits for a purge under way. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.running;
  }

  private async run(): Promise<PurgeRecord | undefined> {
    const { store, retentionMs, log } = this.options;
    const now = this.options.now?.() ?? new Date();
    const cutoff = new Date(now.getTime() - retentionMs);
    try {
      const purge = await store.purgeBefore(cutoff, {
        gateway: this.options.gateway ?? gatewayName(),
        now,
      });
      log.info(
        {
          event: 'audit_purge',
          purge: purge.id,
          cutoff: cutoff.toISOString(),
          sessions: purge.sessions,
          events: purge.events,
          signatures: purge.signatures,
          reviews: purge.reviews,
          gateway: purge.gateway,
        },
        'purged audit records older than the retention',
      );
      return purge;
    } catch (error) {
      log.warn(
        { event: 'audit_purge_failed', cutoff: cutoff.toISOString(), err: error },
        'could not purge audit records older than the retention; trying again later',
      );
      return undefined;
    }
  }
}
