import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { GatewayConfig } from '../config/index.js';
import type { Logger } from '../logger.js';
import { openStore, type AuditEvent, type Store } from '../store/index.js';
import { auditJournalFile, startRecording, type Recording } from './recording.js';
import { RetentionSchedule } from './retention.js';
import { StoreGuard } from './store-guard.js';
import { WriterLock } from './writer-lock.js';

/** A gateway's audit trail: its store behind the guard, the recording into it, and retention. */
export interface AuditTrail {
  /** The store as the gateway uses it: behind the guard. */
  store: Store;
  recording: Recording;
  /** Starts purging older records (at once, then hourly) when `audit.retention` asks for it. */
  startRetention(): void;
  /** Names where the gateway listens in its writer locks. */
  listening(url: string): void;
  close(): Promise<void>;
}

/**
 * Opens the audit trail: the store the config names (or `given`), the
 * guard between the gateway and it (a record the store cannot take closes
 * the sessions it was for, `onLost`, or waits in the local spool), then the
 * journal a killed gateway left, replayed into the store before anything
 * is served. First of all it takes the writer locks of the journal and a
 * SQLite store (see {@link WriterLock}): a second gateway on the same files
 * is refused before it touches them.
 */
export async function openAuditTrail(options: {
  config: GatewayConfig;
  given?: Store;
  log: Logger;
  onLost: (sessionIds: readonly string[], error: Error) => void;
  onRecorded: (event: AuditEvent) => void;
}): Promise<AuditTrail> {
  const { config } = options;
  const locks = writerLocks(config, options.given !== undefined);
  try {
    return await openLocked(options, locks);
  } catch (error) {
    for (const lock of locks) lock.release();
    throw error;
  }
}

async function openLocked(
  options: Parameters<typeof openAuditTrail>[0],
  locks: readonly WriterLock[],
): Promise<AuditTrail> {
  const { config, log } = options;
  const opened = options.given ?? (await openStore(config.store));
  const guard = new StoreGuard({
    store: opened,
    log,
    mode: config.audit.onStoreFailure,
    spool: config.audit.spool,
    onLost: options.onLost,
  });
  await guard.start();
  const store = guard.store;
  const recording = await startRecording({
    audit: config.audit,
    storeUrl: config.store,
    configFile: config.file,
    store,
    log,
    onRecorded: options.onRecorded,
  });
  let retention: RetentionSchedule | undefined;
  return {
    store,
    recording,
    startRetention() {
      const { retentionMs } = config.audit;
      if (retentionMs !== undefined) retention = new RetentionSchedule({ store, retentionMs, log });
    },
    listening(url) {
      for (const lock of locks) lock.listening(url);
    },
    async close() {
      await recording.close().catch(() => {});
      await retention?.close();
      await guard.close().catch(() => {});
      if (!options.given) await store.close().catch(() => {});
      for (const lock of locks) lock.release();
    },
  };
}

/** The files only one gateway may write: its audit journal, and its SQLite store unless one is given. */
function writerLocks(config: GatewayConfig, given: boolean): WriterLock[] {
  const files = new Set<string>();
  const journal = auditJournalFile(config.audit, config.store, config.file);
  if (journal) files.add(journal);
  if (!given && config.store.startsWith('sqlite:') && config.store !== 'sqlite::memory:')
    files.add(config.store.slice('sqlite:'.length));
  const locks: WriterLock[] = [];
  try {
    for (const file of files) {
      mkdirSync(path.dirname(file), { recursive: true });
      locks.push(WriterLock.acquire(file));
    }
  } catch (error) {
    for (const lock of locks) lock.release();
    throw error;
  }
  return locks;
}
