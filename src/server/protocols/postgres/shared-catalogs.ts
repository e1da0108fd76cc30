import { CatalogLookup, type CatalogCache } from './catalog.js';
import type { TargetConnection } from './login.js';

export interface SharedCatalogsOptions {
  cache: CatalogCache;
  /** How long a catalog connection no session uses stays open. Default 60 s. */
  idleTimeoutMs?: number;
}

interface Shared {
  lookup: CatalogLookup;
  users: number;
  timer?: NodeJS.Timeout;
}

/**
 * One {@link CatalogLookup} (and so at most one catalog connection) per
 * target scope — host, port, database and role — shared by every session
 * with that scope, instead of a login of its own per session. Lookups on it
 * run one at a time; it closes once no session has used it for a while.
 */
export class SharedCatalogs {
  private readonly idleTimeoutMs: number;
  private readonly shared = new Map<string, Shared>();

  constructor(private readonly options: SharedCatalogsOptions) {
    this.idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
  }

  /**
   * The lookup for `scope` (a role in `database`), opened with `open` if it
   * has to connect; `release()` once the session ends.
   */
  acquire(
    scope: string,
    database: string,
    open: () => Promise<TargetConnection>,
  ): { lookup: CatalogLookup; release(): void } {
    let entry = this.shared.get(scope);
    if (!entry) {
      entry = {
        lookup: new CatalogLookup({ open, cache: this.options.cache, scope, database }),
        users: 0,
      };
      this.shared.set(scope, entry);
    }
    clearTimeout(entry.timer);
    entry.timer = undefined;
    entry.users++;
    const held = entry;
    let released = false;
    return {
      lookup: held.lookup,
      release: () => {
        if (released) return;
        released = true;
        if (--held.users > 0 || this.shared.get(scope) !== held) return;
        held.timer = setTimeout(() => {
          this.shared.delete(scope);
          held.lookup.close();
        }, this.idleTimeoutMs);
        held.timer.unref();
      },
    };
  }

  /** Closes every catalog connection (the gateway is stopping). */
  close(): void {
    for (const entry of this.shared.values()) {
      clearTimeout(entry.timer);
      entry.lookup.close();
    }
    this.shared.clear();
  }
}
