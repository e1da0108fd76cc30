import { randomInt } from 'node:crypto';
import type { TargetInfo } from '../../targets/connector.js';

/** Where a gateway-issued cancel key leads: the target and the backend's own key. */
export interface CancelTarget {
  target: TargetInfo;
  processId: number;
  secretKey: Buffer;
}

/**
 * Gateway-issued cancel keys (protocol §55.2.9). A client never sees the
 * target's BackendKeyData: it gets a key from here, and a CancelRequest that
 * arrives later, through a new tunnel, is looked up and sent to the right
 * target backend. A key is the backend's own process ID with a random
 * secret: the process ID is what `pg_backend_pid()` answers and what a
 * NotificationResponse names as its sender, so a client can tell its own
 * notifications apart (psycopg2's test_notify, a LISTEN loop that skips
 * its own NOTIFY), and it is no secret (any query can read it). The secret
 * alone is new per session: a pooled backend handed to a later session gets
 * a fresh one, so an earlier session's key cancels nothing. Keys are
 * forgotten when the session ends.
 */
export class CancelKeys {
  private readonly keys = new Map<string, CancelTarget>();

  issue(target: CancelTarget): { processId: number; secretKey: number; release(): void } {
    const { processId } = target;
    for (;;) {
      const secretKey = randomInt(0, 2 ** 31 - 1);
      const id = `${processId}:${secretKey}`;
      if (this.keys.has(id)) continue;
      this.keys.set(id, target);
      return { processId, secretKey, release: () => this.keys.delete(id) };
    }
  }

  lookup(processId: number, secretKey: Buffer): CancelTarget | undefined {
    if (secretKey.length !== 4) return undefined;
    return this.keys.get(`${processId}:${secretKey.readInt32BE(0)}`);
  }
}
