import type { AuditEvent } from '../store/index.js';

/** Called with each event once the recorder has written it. */
export type AuditListener = (event: AuditEvent) => void;

/**
 * The live feed behind `GET /api/audit/tail`: the recorder publishes every
 * event it has written, and each open tail hears it. A listener that throws
 * is dropped; it never stops the recorder or the other listeners.
 */
export class AuditFeed {
  private readonly listeners = new Set<AuditListener>();

  /** The recorder's `onRecorded` hook. */
  readonly publish = (event: AuditEvent): void => {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        this.listeners.delete(listener);
      }
    }
  };

  /** Starts hearing events; returns the function that stops it. */
  subscribe(listener: AuditListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get size(): number {
    return this.listeners.size;
  }
}
