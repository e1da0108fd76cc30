import type { Authenticator } from '../auth/authenticator.js';
import type { Identity } from '../auth/identity.js';

export interface SessionGuardOptions {
  identity: Identity;
  authenticate: Authenticator;
  /**
   * For people logged in through the identity provider: a freshly issued
   * token must arrive at least this often, or the session ends. The CLI
   * refreshes through the provider, which refuses revoked or disabled users,
   * so they are cut off within this window whatever their token's lifetime.
   */
  revocationWindowMs: number;
  /** Slack for tokens in flight when they expire. */
  graceMs?: number;
  /** Called once when the session's authorization has ended. */
  onUnauthorized: (detail: string) => void;
  now?: () => number;
}

/**
 * Keeps a live session authorized: it ends the session when its credential
 * expires or (for people) goes stale, and accepts refreshed tokens that the
 * CLI sends over the tunnel, for the same subject and actor chain only.
 */
export class SessionGuard {
  private identity: Identity;
  private freshUntil: number | undefined;
  /** The newest `iat` seen on this session: only a token issued after it is fresh. */
  private newestIssuedAt: number;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly options: SessionGuardOptions) {
    this.identity = options.identity;
    this.newestIssuedAt = options.identity.issuedAt?.getTime() ?? 0;
    this.now = options.now ?? Date.now;
    // The window counts from when the provider issued the token (or now, if
    // its clock runs ahead), so a stale token cannot open a session and keep
    // it for a whole new window.
    if (needsFreshTokens(this.identity))
      this.freshUntil = this.freshFrom(options.identity.issuedAt?.getTime());
    this.schedule();
  }

  /** Checks a refreshed token; a token for someone else, or one that fails, ends the session. */
  async present(token: string): Promise<void> {
    if (this.stopped) return;
    let next: Identity;
    try {
      next = await this.options.authenticate(`Bearer ${token}`);
    } catch (error) {
      this.end(`the refreshed token was refused: ${(error as Error).message}`);
      return;
    }
    if (this.stopped) return;
    if (
      next.subject !== this.identity.subject ||
      (next.actors ?? []).join(' ') !== (this.identity.actors ?? []).join(' ')
    ) {
      this.end('the refreshed token belongs to another identity');
      return;
    }
    // Only a token issued after every one before proves the provider still
    // vouches for the user; a replay does not, nor do two old tokens taking
    // turns. An opaque token (no `iat`) was just checked with the provider itself.
    const issuedAt = next.issuedAt?.getTime();
    const fresher = issuedAt === undefined || issuedAt > this.newestIssuedAt;
    if (issuedAt !== undefined) this.newestIssuedAt = Math.max(this.newestIssuedAt, issuedAt);
    if (this.freshUntil !== undefined && fresher) this.freshUntil = this.freshFrom(issuedAt);
    this.identity = next;
    this.schedule();
  }

  private freshFrom(issuedAt: number | undefined): number {
    return Math.min(this.now(), issuedAt ?? Infinity) + this.options.revocationWindowMs;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    const deadlines: [number, string][] = [];
    if (this.identity.expiresAt) {
      deadlines.push([
        this.identity.expiresAt.getTime() + (this.options.graceMs ?? 10_000),
        'the token expired',
      ]);
    }
    if (this.freshUntil !== undefined) {
      deadlines.push([
        this.freshUntil,
        'no refreshed token arrived in time (login revoked or expired)',
      ]);
    }
    if (deadlines.length === 0) return;
    const [at, detail] = deadlines.reduce((a, b) => (b[0] < a[0] ? b : a));
    const delay = at - this.now();
    if (delay <= 0) {
      this.end(detail);
      return;
    }
    // setTimeout holds 32-bit delays only; a later deadline is re-checked then.
    this.timer = setTimeout(() => this.schedule(), Math.min(delay, 2 ** 31 - 1));
    this.timer.unref();
  }

  private end(detail: string): void {
    if (this.stopped) return;
    this.stop();
    this.options.onUnauthorized(detail);
  }
}

/** People logged in through the identity provider refresh; API keys and agents' own tokens cannot. */
function needsFreshTokens(identity: Identity): boolean {
  return identity.method === 'oidc' && identity.kind === 'user';
}
