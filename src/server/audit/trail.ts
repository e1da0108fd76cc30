import type { GatewayConfig } from '../config/index.js';
import type { Logger } from '../logger.js';
import { openStore, type AuditEvent, type Store } from '../store/index.js';
import { startRecording, type Recording } from './recording.js';
import { RetentionSchedule } from './retention.js';
import { StoreGuard } from './store-guard.js';

/** A gateway's audit trail: its store behind the guard, the recording into it, and retention. */
export interface AuditTrail {
  /** The store as the gateway uses it: behind the guard. */
  store: Store;
  recording: Recording;
  /** Starts purging older records (at once, then hourly) when `audit.retention` asks for it. */
  startRetention(): void;
  close(): Promise<void>;
}

/**
 * Opens the audit trail: the store the config names (or `given`), the
 * guard between the gateway and it (a record the store cannot take closes
 * the sessions it was for, `onLost`, or waits in the local spool), then the
 * journal a killed gateway left, replayed into the store before anything
 * is served.
 */
export async function openAuditTrail(options: {
  config: GatewayConfig;
  given?: Store;
  log: Logger;
  onLost: (sessionIds: readonly string[], error: Error) => void;
  onRecorded: (event: AuditEvent) => void;
}): Promise<AuditTrail> {
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
    async close() {
      await recording.close().catch(() => {});
      await retention?.close();
      await guard.close().catch(() => {});
      if (!options.given) await store.close().catch(() => {});
    },
  };
}
