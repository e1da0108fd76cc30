import path from 'node:path';
import type { Logger } from '../logger.js';
import type { ChainSignature, SessionEnd, AuditEvent, Store } from '../store/index.js';
import { Journal, encodeRecords, readJournal, type JournalRecord } from './journal.js';

/** What the gateway does when the store cannot take an audit record. */
export type StoreFailureMode = 'close' | 'spool';

/** The local spool's file in its directory. */
export const SPOOL_FILE = 'audit.spool';

export interface StoreGuardOptions {
  store: Store;
  log: Logger;
  /** `close` (default): sessions whose records are lost are closed. `spool`: records wait in a local file. */
  mode?: StoreFailureMode;
  /** With `spool`: the spool's directory and its limit; past the limit sessions are closed as with `close`. */
  spool?: { dir: string; maxBytes: number };
  /**
   * Called with the sessions whose records the store did not take (and the
   * spool could not either): the gateway ends them, fail closed. Must not throw.
   */
  onLost: (sessionIds: readonly string[], error: Error) => void;
  /** How often an unavailable store is tried again, in ms. Default 1000. */
  probeIntervalMs?: number;
  /** Session ends kept in memory for a store that is back later (`close` mode). Default 10000. */
  maxPendingEnds?: number;
}

/**
 * Stands between the recorder and the store and decides what happens when
 * the store cannot take a record: never a silent loss.
 *
 * - `close`: the write fails, the sessions it was for are handed to `onLost`
 *   (the gateway ends them with a clear error), and the store is probed until
 *   it answers again. A session end that could not be written is kept in
 *   memory (bounded) and written once the store is back, so the record
 *   still says how the session ended.
 * - `spool`: the records go to a local append-only file instead (the audit
 *   journal's format: length, CRC-32, JSON; one `write(2)` per batch) and the
 *   write succeeds; while the spool holds anything, later records queue
 *   behind them in it, so order is kept. Once the store answers the spool is
 *   replayed into it (idempotently: event ids, signature heads) and emptied.
 *   A record that would take the spool past `maxBytes` is lost to the store
 *   and the spool alike: its sessions go to `onLost`, as with `close`.
 *
 * New sessions are not the guard's business: a store that cannot record a
 * session's start refuses it (HTTP 503) before the tunnel opens.
 */
export class StoreGuard {
  /** The store as the recorder and the gateway should use it. */
  readonly store: Store;
  private readonly mode: StoreFailureMode;
  private readonly spool: Journal | undefined;
  private readonly maxSpoolBytes: number;
  private readonly pendingEnds = new Map<string, SessionEnd>();
  private readonly maxPendingEnds: number;
  private readonly probeIntervalMs: number;
  private probe: NodeJS.Timeout | undefined;
  private recovering: Promise<void> | undefined;
  private down = false;
  private closed = false;

  constructor(private readonly options: StoreGuardOptions) {
    this.mode = options.mode ?? 'close';
    this.probeIntervalMs = options.probeIntervalMs ?? 1000;
    this.maxPendingEnds = options.maxPendingEnds ?? 10_000;
    if (this.mode === 'spool') {
      if (!options.spool) throw new Error('the spool mode needs a spool directory');
      this.spool = Journal.open(path.join(options.spool.dir, SPOOL_FILE));
      this.maxSpoolBytes = options.spool.maxBytes;
    } else {
      this.maxSpoolBytes = 0;
    }
    const { store } = options;
    this.store = {
      ...store,
      appendEvents: (events) =>
        this.write(
          events.map((event) => ({ type: 'event', event })),
          () => store.appendEvents(events),
        ),
      appendSignatures: (signatures) =>
        this.write(
          signatures.map((signature) => ({ type: 'signature', signature })),
          () => store.appendSignatures(signatures),
        ),
      endSession: (sessionId, end) => this.end(sessionId, end),
    };
  }

  /** True while the store is known to be failing (or the spool is not yet replayed). */
  get unavailable(): boolean {
    return this.down;
  }

  /** Bytes waiting in the spool. */
  get spooledBytes(): number {
    return this.spool?.size() ?? 0;
  }

  /**
   * Replays what a previous run left in the spool; call before serving. A
   * store that is down leaves it for the probe.
   */
  async start(): Promise<void> {
    if (this.spooledBytes > 0) {
      this.markDown(new Error('records from a previous run wait in the spool'));
      await this.recover();
    }
  }

  /** Tries the store once now; resolves when the spool is replayed (or the store is still down). */
  recover(): Promise<void> {
    this.recovering ??= this.tryRecover().finally(() => {
      this.recovering = undefined;
    });
    return this.recovering;
  }

  /** Stops probing and closes the spool; what it holds is replayed at the next start. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.probe) clearInterval(this.probe);
    await this.recovering;
    this.spool?.close();
  }

  private async write(records: JournalRecord[], direct: () => Promise<void>): Promise<void> {
    if (records.length === 0) return;
    // Behind a non-empty spool, records join it: the store gets them in order.
    if (this.spool && this.spooledBytes > 0) return this.toSpool(records, undefined);
    try {
      await direct();
    } catch (error) {
      this.markDown(error as Error);
      if (this.spool) return this.toSpool(records, error as Error);
      this.options.onLost(sessionsOf(records), error as Error);
      throw error;
    }
  }

  private toSpool(records: JournalRecord[], cause: Error | undefined): void {
    const spool = this.spool!;
    const bytes = encodeRecords(records);
    if (spool.size() + bytes.length > this.maxSpoolBytes) {
      const error = new Error(
        `the audit spool is full (${this.maxSpoolBytes} bytes)` +
          (cause ? ` and the store failed: ${cause.message}` : ''),
        { cause },
      );
      this.options.log.error(
        { event: 'audit_spool_full', maxBytes: this.maxSpoolBytes, records: records.length },
        'the audit spool is full; sessions whose records cannot be kept are closed',
      );
      this.options.onLost(sessionsOf(records), error);
      throw error;
    }
    spool.append(records);
  }

  private async end(sessionId: string, end: SessionEnd): Promise<void> {
    const record: JournalRecord = { type: 'end', sessionId, end };
    if (this.spool)
      return this.write([record], () => this.options.store.endSession(sessionId, end));
    try {
      await this.options.store.endSession(sessionId, end);
    } catch (error) {
      this.markDown(error as Error);
      if (this.pendingEnds.size >= this.maxPendingEnds) throw error;
      // Written when the store is back: the record must say how the session ended.
      this.pendingEnds.set(sessionId, end);
      this.options.log.warn(
        { event: 'session_end_pending', session: sessionId, err: error },
        'the store is unavailable; the end of the session is written when it is back',
      );
    }
  }

  private markDown(error: Error): void {
    if (this.down || this.closed) return;
    this.down = true;
    this.options.log.error(
      { event: 'store_unavailable', mode: this.mode, err: error },
      this.mode === 'spool'
        ? 'the audit store is unavailable; records go to the local spool'
        : 'the audit store is unavailable; sessions that cannot be recorded are closed',
    );
    this.probe = setInterval(() => void this.recover(), this.probeIntervalMs);
    this.probe.unref();
  }

  private async tryRecover(): Promise<void> {
    if (!this.down || this.closed) return;
    const { store, log } = this.options;
    try {
      await store.ping();
      let replayed = 0;
      if (this.spool) {
        // Records appended while a replay awaits the store are replayed by the next round.
        for (;;) {
          const before = this.spool.size();
          const { records } = readJournal(this.spool.file);
          await replay(store, records);
          replayed += records.length;
          if (this.spool.size() === before) {
            this.spool.reset();
            break;
          }
        }
      }
      for (const [sessionId, end] of this.pendingEnds) {
        await store.endSession(sessionId, end);
        this.pendingEnds.delete(sessionId);
      }
      this.down = false;
      if (this.probe) clearInterval(this.probe);
      this.probe = undefined;
      log.info({ event: 'store_available', replayed }, 'the audit store is available again');
    } catch (error) {
      log.debug(
        { event: 'store_probe_failed', err: error },
        'the audit store is still unavailable',
      );
    }
  }
}

/** Writes spooled records into the store in their order, events in batches. */
async function replay(store: Store, records: readonly JournalRecord[]): Promise<void> {
  let events: AuditEvent[] = [];
  let signatures: ChainSignature[] = [];
  const flush = async (): Promise<void> => {
    if (events.length > 0) await store.appendEvents(events);
    if (signatures.length > 0) await store.appendSignatures(signatures);
    events = [];
    signatures = [];
  };
  for (const record of records) {
    if (record.type === 'event') events.push(record.event);
    else if (record.type === 'signature') signatures.push(record.signature);
    else if (record.type === 'end') {
      await flush();
      await store.endSession(record.sessionId, record.end);
    }
  }
  await flush();
}

function sessionsOf(records: readonly JournalRecord[]): string[] {
  const ids = new Set<string>();
  for (const record of records) {
    ids.add(
      record.type === 'event' || record.type === 'provisional'
        ? record.event.sessionId
        : record.type === 'signature'
          ? record.signature.sessionId
          : record.sessionId,
    );
  }
  return [...ids];
}
