import { EventEmitter } from 'node:events';
import { HoopError } from '../../lib/errors.js';
import { formatDuration } from '../../lib/duration.js';
import { newId } from '../../lib/ids.js';
import { samePrincipal, type Principal } from '../../lib/principal.js';
import type { ReviewRecords } from '../store/index.js';
import { checkApprover, mayApprove, mayBeRequester } from './approver.js';
import { REVIEW_COMMANDS } from './commands.js';
import type {
  NewGrantReview,
  NewStatementReview,
  Review,
  ReviewOutcome,
  ReviewRequester,
  ReviewService,
  ReviewStatus,
} from './types.js';

/** What the desk tells the rest of the gateway (notifications): a review was created, decided or expired. */
export type ReviewEvent =
  | { type: 'created'; review: Review }
  | { type: 'decided'; review: Review }
  | { type: 'expired'; review: Review };

export interface ReviewDeskOptions {
  store: ReviewRecords;
  /** How long an approved statement may wait for its one run (`hoop exec --review ID`). Default 1 h. */
  approvedStatementTtlMs?: number;
  /** Told of every creation, decision and expiry; never awaited, never allowed to throw into the desk. */
  onEvent?: (event: ReviewEvent) => void;
  now?: () => Date;
}

/** Reviews listed for an approver at most. */
const MAX_LISTED = 500;

/**
 * The review desk for one gateway: reviews and votes in the store, expiry by
 * a timer per pending review (and checked again on every read, so a review
 * the timer has not reached yet is never decided late), and waiters woken by
 * in-process events. With several gateway replicas the waiters would need
 * the store's notifications; one gateway needs none.
 */
export class ReviewDesk implements ReviewService {
  private readonly store: ReviewRecords;
  private readonly now: () => Date;
  private readonly approvedTtlMs: number;
  private readonly events = new EventEmitter();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** One change at a time per review: two votes racing cannot both count. */
  private readonly locks = new Map<string, Promise<unknown>>();
  private closed = false;

  constructor(private readonly options: ReviewDeskOptions) {
    this.store = options.store;
    this.now = options.now ?? (() => new Date());
    this.approvedTtlMs = options.approvedStatementTtlMs ?? 60 * 60_000;
    this.events.setMaxListeners(0);
  }

  /** Arms expiry timers for reviews left pending by an earlier run. */
  async start(): Promise<void> {
    for (const review of await this.store.listReviews({ status: 'pending', limit: 10_000 })) {
      this.arm(review);
    }
  }

  /** Stops the timers; waiters stay unresolved (their sessions are closing). */
  close(): void {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  async requestStatement(request: NewStatementReview): Promise<Review> {
    const now = this.now();
    return this.create({
      id: newId('rev', now.getTime()),
      kind: 'statement',
      status: 'pending',
      requester: plain(request.requester),
      connection: request.connection,
      text: request.text,
      ...(request.fingerprint === undefined ? {} : { fingerprint: request.fingerprint }),
      requirement: request.requirement,
      policyHash: request.policyHash,
      ...(request.sessionId === undefined ? {} : { sessionId: request.sessionId }),
      createdAt: now,
      expiresAt: new Date(now.getTime() + request.requirement.timeoutMs),
      votes: [],
    });
  }

  async requestGrant(request: NewGrantReview): Promise<Review> {
    const now = this.now();
    return this.create({
      id: newId('rev', now.getTime()),
      kind: 'grant',
      status: 'pending',
      requester: plain(request.requester),
      connection: request.connection,
      durationMs: request.durationMs,
      reason: request.reason,
      requirement: request.requirement,
      policyHash: request.policyHash,
      createdAt: now,
      expiresAt: new Date(now.getTime() + request.requirement.timeoutMs),
      votes: [],
    });
  }

  async get(id: string): Promise<Review | undefined> {
    const review = await this.store.getReview(id);
    return review && (await this.expireIfDue(review));
  }

  async list(filter: {
    approver?: ReviewRequester;
    requester?: Principal;
    status?: ReviewStatus;
    limit?: number;
  }): Promise<Review[]> {
    const { approver } = filter;
    if (approver) {
      // What waits for this approver: pending, theirs to decide, oldest first.
      const pending = await this.store.listReviews({
        status: 'pending',
        oldestFirst: true,
        limit: MAX_LISTED,
      });
      const open: Review[] = [];
      for (const candidate of pending) {
        const review = await this.expireIfDue(candidate);
        if (
          review.status === 'pending' &&
          !mayBeRequester(review, approver) &&
          mayApprove(review, approver) &&
          !review.votes.some((vote) => vote.subject === approver.subject)
        ) {
          open.push(review);
        }
      }
      return open.slice(0, filter.limit ?? MAX_LISTED);
    }
    const reviews = await this.store.listReviews({
      ...(filter.requester === undefined ? {} : { requester: filter.requester }),
      ...(filter.status === undefined ? {} : { status: filter.status }),
      ...(filter.limit === undefined ? {} : { limit: filter.limit }),
    });
    return Promise.all(reviews.map((review) => this.expireIfDue(review)));
  }

  decide(
    id: string,
    approver: ReviewRequester,
    decision: 'approve' | 'reject',
    reason?: string,
  ): Promise<Review> {
    return this.locked(id, async () => {
      const review = await this.current(id);
      if (review.status === 'expired') throw expiredError(review);
      if (review.status !== 'pending') throw decidedError(review);
      checkApprover(review, approver);
      const at = this.now();
      const voted = await this.store.addReviewVote(id, {
        method: approver.method,
        subject: approver.subject,
        name: approver.name,
        decision,
        ...(reason === undefined ? {} : { reason }),
        at,
      });
      if (!voted) {
        // Another gateway recorded this approver's vote between our read and our write.
        throw new HoopError(
          'HOOP_REVIEW_ALREADY_VOTED',
          `${approver.name} has already voted on review ${id}`,
        );
      }
      // A vote whose identity's kind was not recorded (an older version's, in the
      // apikey: namespace) may have been a provider token posing as a key: it does not count.
      const approvals =
        review.votes.filter((vote) => vote.decision === 'approve' && vote.method !== undefined)
          .length + (decision === 'approve' ? 1 : 0);
      const status: ReviewStatus | undefined =
        decision === 'reject'
          ? 'rejected'
          : approvals >= review.requirement.approvals
            ? 'approved'
            : undefined;
      if (status) {
        const grantedUntil =
          status === 'approved' && review.kind === 'grant' && review.durationMs !== undefined
            ? new Date(at.getTime() + review.durationMs)
            : undefined;
        await this.store.transitionReview(id, 'pending', {
          status,
          decidedAt: at,
          ...(grantedUntil ? { grantedUntil } : {}),
        });
        this.disarm(id);
      }
      const updated = await this.current(id);
      if (status) this.publish({ type: 'decided', review: updated });
      return updated;
    });
  }

  async wait(id: string, signal?: AbortSignal): Promise<ReviewOutcome> {
    signal?.throwIfAborted();
    return new Promise<ReviewOutcome>((resolve, reject) => {
      let done = false;
      const finish = (review: Review): boolean => {
        const outcome = outcomeOf(review);
        if (!outcome || done) return false;
        done = true;
        this.events.off(id, onChange);
        signal?.removeEventListener('abort', onAbort);
        resolve(outcome);
        return true;
      };
      const onChange = (review: Review): void => void finish(review);
      const onAbort = (): void => {
        if (done) return;
        done = true;
        this.events.off(id, onChange);
        reject(signal?.reason as Error);
      };
      // Listen first, then read: a decision between the two is not missed.
      this.events.on(id, onChange);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.get(id).then(
        (review) => {
          if (!review) {
            if (done) return;
            done = true;
            this.events.off(id, onChange);
            reject(notFound(id));
            return;
          }
          finish(review);
        },
        (error: unknown) => {
          if (done) return;
          done = true;
          this.events.off(id, onChange);
          reject(error as Error);
        },
      );
    });
  }

  consume(
    id: string,
    requester: ReviewRequester,
    connection: string,
    text: string,
  ): Promise<Review> {
    return this.locked(id, async () => {
      const review = await this.current(id);
      if (
        review.kind !== 'statement' ||
        !samePrincipal(review.requester, requester) ||
        review.connection !== connection ||
        review.text !== text
      ) {
        throw new HoopError(
          'HOOP_REVIEW_MISMATCH',
          `review ${id} approves another request: an approval holds for its requester, its connection and its exact text only`,
          { hint: `\`${REVIEW_COMMANDS.show(id)}\` shows what it approves.` },
        );
      }
      return this.take(review);
    });
  }

  /**
   * Marks the approved statement of a held request as run, for the gateway
   * that held it (the binding was checked when it was created).
   */
  consumeHeld(id: string): Promise<Review> {
    return this.locked(id, async () => this.take(await this.current(id)));
  }

  async activeGrant(
    requester: ReviewRequester,
    connection: string,
    now = this.now(),
  ): Promise<Review | undefined> {
    const grants = await this.store.listReviews({
      status: 'approved',
      kind: 'grant',
      requester: { method: requester.method, subject: requester.subject },
      connection,
      limit: 50,
    });
    // The one that lasts longest: sessions under it stay open longest.
    let best: Review | undefined;
    for (const grant of grants) {
      if (!grant.grantedUntil || grant.grantedUntil <= now) continue;
      if (!best || grant.grantedUntil > best.grantedUntil!) best = grant;
    }
    return best;
  }

  /** Approved → consumed, once, within the approval's time to live. */
  private async take(review: Review): Promise<Review> {
    const { id } = review;
    if (review.status === 'consumed') {
      throw new HoopError(
        'HOOP_REVIEW_CONSUMED',
        `review ${id} was approved for one run, and it has run`,
        {
          hint: 'Run the statement again without --review to ask for a new review.',
        },
      );
    }
    if (review.status === 'pending') {
      throw new HoopError('HOOP_REVIEW_PENDING', `review ${id} is still waiting for approval`, {
        hint: `An approver runs \`${REVIEW_COMMANDS.approve(id)}\`.`,
      });
    }
    if (review.status === 'expired') throw expiredError(review);
    if (review.status === 'rejected') throw decidedError(review);
    const decidedAt = review.decidedAt ?? review.createdAt;
    if (this.now().getTime() > decidedAt.getTime() + this.approvedTtlMs) {
      throw new HoopError(
        'HOOP_REVIEW_EXPIRED',
        `the approval of review ${id} was not used within ${formatDuration(this.approvedTtlMs)}`,
        { hint: 'Run the statement again without --review to ask for a new review.' },
      );
    }
    if (!(await this.store.transitionReview(id, 'approved', { status: 'consumed' }))) {
      throw new HoopError('HOOP_REVIEW_CONSUMED', `review ${id} has already been used`);
    }
    return { ...review, status: 'consumed' };
  }

  private async create(review: Review): Promise<Review> {
    await this.store.insertReview(review);
    this.arm(review);
    this.publish({ type: 'created', review });
    return review;
  }

  /** The review as stored now, expired first if its time is up. */
  private async current(id: string): Promise<Review> {
    const review = await this.get(id);
    if (!review) throw notFound(id);
    return review;
  }

  private async expireIfDue(review: Review): Promise<Review> {
    if (review.status !== 'pending' || review.expiresAt.getTime() > this.now().getTime()) {
      return review;
    }
    if (await this.store.transitionReview(review.id, 'pending', { status: 'expired' })) {
      this.disarm(review.id);
      const expired: Review = { ...review, status: 'expired' };
      this.publish({ type: 'expired', review: expired });
      return expired;
    }
    return (await this.store.getReview(review.id)) ?? review;
  }

  private arm(review: Review): void {
    if (this.closed || review.status !== 'pending') return;
    const delay = Math.max(0, review.expiresAt.getTime() - this.now().getTime());
    // setTimeout holds at most 2^31-1 ms; longer waits are re-armed on the way.
    const timer = setTimeout(
      () => {
        this.timers.delete(review.id);
        void this.locked(review.id, async () => {
          const stored = await this.store.getReview(review.id);
          if (!stored) return;
          if (stored.status === 'pending' && stored.expiresAt.getTime() > this.now().getTime()) {
            this.arm(stored);
            return;
          }
          await this.expireIfDue(stored);
        }).catch(() => {
          // Checked again on the next read.
        });
      },
      Math.min(delay, 2 ** 31 - 1),
    );
    this.timers.set(review.id, timer);
  }

  private disarm(id: string): void {
    clearTimeout(this.timers.get(id));
    this.timers.delete(id);
  }

  private publish(event: ReviewEvent): void {
    this.events.emit(event.review.id, event.review);
    try {
      this.options.onEvent?.(event);
    } catch {
      // Notifications never fail a review.
    }
  }

  private locked<T>(id: string, work: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(id) ?? Promise.resolve();
    const next = previous.then(work, work);
    const tail = next.catch(() => {});
    this.locks.set(id, tail);
    void tail.then(() => {
      if (this.locks.get(id) === tail) this.locks.delete(id);
    });
    return next;
  }
}

/** How a review ended for a waiter, or undefined while it is pending. */
export function outcomeOf(review: Review): ReviewOutcome | undefined {
  switch (review.status) {
    case 'pending':
      return undefined;
    case 'approved':
    case 'consumed':
      return { status: 'approved', review };
    case 'expired':
      return { status: 'expired', review };
    case 'rejected': {
      const vote = review.votes.find((v) => v.decision === 'reject');
      return {
        status: 'rejected',
        review,
        by: vote?.name ?? 'an approver',
        ...(vote?.reason === undefined ? {} : { reason: vote.reason }),
      };
    }
  }
}

function plain(requester: ReviewRequester): ReviewRequester {
  return {
    method: requester.method,
    subject: requester.subject,
    name: requester.name,
    groups: [...requester.groups],
  };
}

function notFound(id: string): HoopError {
  return new HoopError('HOOP_REVIEW_NOT_FOUND', `no review ${id}`, {
    hint: 'Run `hoop reviews` to list what waits for you, or `hoop reviews --mine`.',
  });
}

function expiredError(review: Review): HoopError {
  return new HoopError(
    'HOOP_REVIEW_EXPIRED',
    `review ${review.id} expired at ${review.expiresAt.toISOString()} before it was decided`,
    { hint: 'The requester asks again.' },
  );
}

function decidedError(review: Review): HoopError {
  return new HoopError('HOOP_REVIEW_DECIDED', `review ${review.id} is already ${review.status}`, {
    hint: `\`${REVIEW_COMMANDS.show(review.id)}\` shows who decided it.`,
  });
}
