import { HoopError } from '../../lib/errors.js';
import { parseDuration } from '../../lib/duration.js';
import { samePrincipal } from '../../lib/principal.js';
import type { Identity } from '../auth/identity.js';
import { mayApprove, type Review, type ReviewDesk, type ReviewStatus } from '../reviews/index.js';
import { optionalString, readJsonBody } from './body.js';
import { decodeSegment } from './path.js';
import type { Route } from './route.js';

/** What the review endpoints need from the gateway. */
export interface ReviewApi {
  desk: ReviewDesk;
  /** Asks for a grant on a connection for the caller; policy says whether one is needed and who approves. */
  requestGrant(
    identity: Identity,
    request: { connection: string; durationMs: number; reason: string },
  ): Promise<Review>;
}

const STATUSES = new Set<ReviewStatus>(['pending', 'approved', 'rejected', 'expired', 'consumed']);

/** The longest `reason` kept. */
const MAX_REASON = 1000;

/**
 * The review endpoints:
 * - `GET /api/reviews`: what waits for the caller to decide; `?mine=true`
 *   the caller's own requests (newest first), `&status=` to filter them.
 * - `GET /api/reviews/ID`: one review, for its requester and its approvers.
 * - `POST /api/reviews/ID/approve` `{reason?}`, `POST /api/reviews/ID/reject` `{reason}`.
 * - `POST /api/reviews` `{connection, duration, reason}`: ask for a grant.
 */
export function reviewRoutes(api: ReviewApi): Route[] {
  const { desk } = api;
  const visible = async (id: string, identity: Identity): Promise<Review> => {
    const review = await desk.get(id);
    if (review && (samePrincipal(review.requester, identity) || mayApprove(review, identity))) {
      return review;
    }
    throw new HoopError('HOOP_REVIEW_NOT_FOUND', `no review ${id}`, {
      hint: 'Run `hoop reviews` to list what waits for you, or `hoop reviews --mine`.',
    });
  };
  return [
    {
      method: 'GET',
      path: /^\/api\/reviews$/,
      handle: async ({ identity, req }) => {
        const query = new URL(req.url ?? '/', 'http://gateway').searchParams;
        const status = query.get('status') ?? undefined;
        if (status !== undefined && !STATUSES.has(status as ReviewStatus)) {
          throw new HoopError('HOOP_BAD_REQUEST', `unknown review status ${status}`, {
            hint: `Use one of ${[...STATUSES].join(', ')}.`,
          });
        }
        const mine = query.get('mine') === 'true';
        const reviews = mine
          ? await desk.list({
              requester: { method: identity.method, subject: identity.subject },
              ...(status ? { status: status as ReviewStatus } : {}),
            })
          : await desk.list({ approver: identity });
        return [200, { reviews }];
      },
    },
    {
      method: 'POST',
      path: /^\/api\/reviews$/,
      handle: async ({ identity, req }) => {
        const body = await readJsonBody(req);
        const connection = optionalString(body, 'connection');
        const duration = optionalString(body, 'duration');
        const reason = optionalString(body, 'reason')?.trim();
        if (!connection) throw new HoopError('HOOP_BAD_REQUEST', '"connection" is required');
        if (!duration) {
          throw new HoopError('HOOP_BAD_REQUEST', '"duration" is required, such as 30m');
        }
        if (!reason) {
          throw new HoopError('HOOP_BAD_REQUEST', '"reason" is required: approvers decide on it');
        }
        let durationMs: number;
        try {
          durationMs = parseDuration(duration);
        } catch (error) {
          throw new HoopError('HOOP_BAD_REQUEST', (error as Error).message, { cause: error });
        }
        const review = await api.requestGrant(identity, {
          connection,
          durationMs,
          reason: reason.slice(0, MAX_REASON),
        });
        return [201, review];
      },
    },
    {
      method: 'GET',
      path: /^\/api\/reviews\/([^/]+)$/,
      handle: async ({ identity, params }) => [
        200,
        await visible(decodeSegment(params[0] ?? ''), identity),
      ],
    },
    {
      method: 'POST',
      path: /^\/api\/reviews\/([^/]+)\/(approve|reject)$/,
      handle: async ({ identity, params, req }) => {
        const id = decodeSegment(params[0] ?? '');
        const decision = params[1] === 'reject' ? 'reject' : 'approve';
        const reason = optionalString(await readJsonBody(req), 'reason')?.trim();
        if (decision === 'reject' && !reason) {
          throw new HoopError('HOOP_BAD_REQUEST', 'a rejection needs a reason', {
            hint: `hoop reviews reject ${id} --reason TEXT`,
          });
        }
        const review = await desk.decide(
          id,
          identity,
          decision,
          reason ? reason.slice(0, MAX_REASON) : undefined,
        );
        return [200, review];
      },
    },
  ];
}
