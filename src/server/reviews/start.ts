import type { ReviewsConfig } from '../config/index.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/index.js';
import { ReviewNotifier } from './notifier.js';
import { ReviewDesk } from './review-desk.js';

/** The gateway's review desk and the notifier that tells approvers about its reviews. */
export interface Reviews {
  desk: ReviewDesk;
  close(): void;
}

/**
 * Starts reviews for a gateway with a policy (its review rules are what
 * they decide): the desk over the store, notifying the configured webhooks
 * and Slack channels of each review and decision.
 */
export async function startReviews(
  config: ReviewsConfig,
  store: Store,
  log: Logger,
): Promise<Reviews> {
  const notifier = new ReviewNotifier({
    targets: config.notify,
    retries: config.notifyRetries,
    log,
  });
  const desk = new ReviewDesk({
    store,
    approvedStatementTtlMs: config.approvedStatementTtlMs,
    onEvent: notifier.notify,
  });
  await desk.start();
  return {
    desk,
    close() {
      desk.close();
      notifier.close();
    },
  };
}
