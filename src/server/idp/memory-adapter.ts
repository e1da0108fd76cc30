import type { Adapter, AdapterPayload } from 'oidc-provider';

/** Models whose entries die with their grant (oidc-provider's `revokeByGrantId`). */
const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
]);

interface Entry {
  payload: AdapterPayload;
  /** Epoch milliseconds, or Infinity. */
  expiresAt: number;
}

/**
 * In-memory storage for oidc-provider's models (sessions, interactions,
 * grants, device codes, refresh and opaque access tokens), one per dev IdP so
 * two IdPs in one test process never see each other's state. It outlives the
 * Provider instance: rotating keys builds a new Provider over the same store,
 * so sessions, grants and refresh tokens survive a rotation as they would at
 * a real IdP. Expired entries are dropped when read.
 */
export class MemoryStore {
  readonly #entries = new Map<string, Entry>();
  /** Secondary indexes: user code → key, session uid → key, grant id → member keys. */
  readonly #byUserCode = new Map<string, string>();
  readonly #byUid = new Map<string, string>();
  readonly #byGrant = new Map<string, Set<string>>();

  /** `now` returns epoch milliseconds; tests pass a clock of their own. */
  constructor(private readonly now: () => number = Date.now) {}

  /** The factory oidc-provider's `adapter` option takes: one adapter per model name. */
  readonly adapter = (model: string): Adapter => {
    const key = (id: string) => `${model}:${id}`;
    return {
      upsert: async (id, payload, expiresIn) => this.#upsert(key(id), payload, expiresIn),
      find: async (id) => this.#find(key(id)),
      findByUserCode: async (userCode) => this.#findIndexed(this.#byUserCode, userCode),
      findByUid: async (uid) => this.#findIndexed(this.#byUid, uid),
      consume: async (id) => {
        const entry = this.#live(key(id));
        if (entry) entry.payload.consumed = Math.floor(this.now() / 1000);
      },
      destroy: async (id) => this.#delete(key(id)),
      revokeByGrantId: async (grantId) => {
        for (const member of this.#byGrant.get(grantId) ?? []) this.#delete(member);
        this.#byGrant.delete(grantId);
      },
    };
  };

  #upsert(key: string, payload: AdapterPayload, expiresIn: number | undefined): void {
    this.#delete(key);
    const expiresAt = typeof expiresIn === 'number' ? this.now() + expiresIn * 1000 : Infinity;
    this.#entries.set(key, { payload: structuredClone(payload), expiresAt });
    if (payload.userCode) this.#byUserCode.set(payload.userCode, key);
    if (payload.uid && key.startsWith('Session:')) this.#byUid.set(payload.uid, key);
    if (payload.grantId && GRANTABLE.has(key.slice(0, key.indexOf(':')))) {
      const members = this.#byGrant.get(payload.grantId) ?? new Set<string>();
      members.add(key);
      this.#byGrant.set(payload.grantId, members);
    }
  }

  #live(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry && entry.expiresAt <= this.now()) {
      this.#delete(key);
      return undefined;
    }
    return entry;
  }

  #find(key: string): AdapterPayload | undefined {
    const entry = this.#live(key);
    return entry ? structuredClone(entry.payload) : undefined;
  }

  #findIndexed(index: Map<string, string>, value: string): AdapterPayload | undefined {
    const key = index.get(value);
    return key === undefined ? undefined : this.#find(key);
  }

  #delete(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    const { userCode, uid, grantId } = entry.payload;
    if (userCode && this.#byUserCode.get(userCode) === key) this.#byUserCode.delete(userCode);
    if (uid && this.#byUid.get(uid) === key) this.#byUid.delete(uid);
    if (grantId) this.#byGrant.get(grantId)?.delete(key);
  }
}
