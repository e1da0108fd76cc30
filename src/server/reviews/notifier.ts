import http from 'node:http';
import https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { newId } from '../../lib/ids.js';
import { describePrincipal } from '../../lib/principal.js';
import { formatDuration } from '../../lib/duration.js';
import type { NotifyTarget } from '../config/index.js';
import type { Logger } from '../logger.js';
import { REVIEW_COMMANDS } from './commands.js';
import type { ReviewEvent } from './review-desk.js';
import { SIGNATURE_HEADER, signWebhook } from './webhook-signature.js';
import type { Review } from './types.js';

export interface NotifierOptions {
  targets: readonly NotifyTarget[];
  log: Logger;
  /** Attempts after the first; each waits twice as long as the one before, from `retryDelayMs`. */
  retries?: number;
  retryDelayMs?: number;
  /** One attempt's limit. */
  timeoutMs?: number;
}

/**
 * Tells the configured webhooks about review events. Delivery runs in the
 * background with a bounded retry: the review desk and the data path never
 * wait for it, and a receiver that is down only costs log lines.
 */
export class ReviewNotifier {
  private readonly pending = new Set<Promise<void>>();
  private readonly abort = new AbortController();

  constructor(private readonly options: NotifierOptions) {}

  /** The review desk's `onEvent`. */
  readonly notify = (event: ReviewEvent): void => {
    if (this.options.targets.length === 0 || this.abort.signal.aborted) return;
    const payload = JSON.stringify({
      id: newId('whk'),
      type: `review.${event.type}`,
      at: new Date().toISOString(),
      review: event.review,
    });
    const slack = JSON.stringify({ text: slackText(event) });
    for (const target of this.options.targets) {
      const delivery = this.deliver(target, target.type === 'slack' ? slack : payload, event);
      this.pending.add(delivery);
      void delivery.finally(() => this.pending.delete(delivery));
    }
  };

  /** Waits for deliveries in flight (tests; an orderly shutdown), at most `timeoutMs`. */
  async settle(timeoutMs = 5_000): Promise<void> {
    await Promise.race([
      Promise.allSettled([...this.pending]),
      sleep(timeoutMs, undefined, { ref: false }),
    ]);
  }

  /** Stops retrying and drops what is in flight. */
  close(): void {
    this.abort.abort();
  }

  private async deliver(target: NotifyTarget, body: string, event: ReviewEvent): Promise<void> {
    const retries = this.options.retries ?? 3;
    let delay = this.options.retryDelayMs ?? 500;
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (this.abort.signal.aborted) return;
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'user-agent': 'hoop-gateway',
      };
      if (target.type === 'webhook') {
        headers[SIGNATURE_HEADER] = signWebhook(target.secret, body, Math.floor(Date.now() / 1000));
        headers['hoop-event'] = `review.${event.type}`;
      }
      try {
        const status = await post(target.url, headers, body, this.options.timeoutMs ?? 5_000);
        if (status >= 200 && status < 300) return;
        // A 4xx other than 408/429 will not get better by asking again.
        if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
          this.failed(target, event, `HTTP ${status}`, false);
          return;
        }
        this.failed(target, event, `HTTP ${status}`, attempt < retries);
      } catch (error) {
        this.failed(target, event, (error as Error).message, attempt < retries);
      }
      if (attempt < retries) {
        await sleep(delay, undefined, { ref: false, signal: this.abort.signal }).catch(() => {});
        delay *= 2;
      }
    }
  }

  private failed(target: NotifyTarget, event: ReviewEvent, why: string, retrying: boolean): void {
    // The URL's origin only: its path may hold a token (Slack's does).
    this.options.log.warn(
      {
        event: 'review_notification_failed',
        target: new URL(target.url).origin,
        review: event.review.id,
        retrying,
      },
      `could not deliver a review notification: ${why}`,
    );
  }
}

/** One line a person reads in a chat channel. */
export function slackText(event: ReviewEvent): string {
  const { review } = event;
  // An approver must tell an API key from a person who took its name.
  const requester = describePrincipal(review.requester.name, review.requester);
  const what =
    review.kind === 'grant'
      ? `access to ${review.connection} for ${formatDuration(review.durationMs ?? 0)} ("${review.reason ?? ''}")`
      : `a statement on ${review.connection}: \`${truncate(review.text ?? '', 300)}\``;
  switch (event.type) {
    case 'created':
      return (
        `Review ${review.id}: ${requester} asks for ${what} (rule ${review.requirement.rule}, ` +
        `${review.requirement.approvals} approval(s) from ${review.requirement.approvers.join(', ')}). ` +
        `Approve: \`${REVIEW_COMMANDS.approve(review.id)}\``
      );
    case 'decided':
      return `Review ${review.id} ${decisionWords(review)}: ${what}, asked by ${requester}.`;
    case 'expired':
      return `Review ${review.id} expired undecided: ${what}, asked by ${requester}.`;
  }
}

function decisionWords(review: Review): string {
  const voters = review.votes.map((vote) => vote.name).join(', ');
  if (review.status === 'rejected') {
    const reason = review.votes.find((vote) => vote.decision === 'reject')?.reason;
    return `was rejected by ${voters}${reason ? ` ("${reason}")` : ''}`;
  }
  return `was approved by ${voters}`;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function post(
  url: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const client = target.protocol === 'https:' ? https : http;
    const request = client.request(
      target,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        signal: AbortSignal.timeout(timeoutMs),
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}
