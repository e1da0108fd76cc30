import http from 'node:http';
import https from 'node:https';
import { HoopError } from '../lib/errors.js';
import { asAuthMethod, describePrincipal } from '../lib/principal.js';
import { refusalError } from '../tunnel/index.js';
import type { GatewayClient } from './gateway-client.js';
import { formatTable } from './output.js';

/** A review as the gateway sends it (`GET /api/reviews/ID`); dates are ISO strings. */
export interface ReviewInfo {
  id: string;
  kind: 'statement' | 'grant';
  status: string;
  /** `method` is absent on reviews recorded before identity kinds were, and from older gateways. */
  requester: { method?: string; subject: string; name: string };
  connection: string;
  text?: string;
  durationMs?: number;
  reason?: string;
  requirement: { rule: string; approvers: string[]; approvals: number; timeoutMs: number };
  createdAt: string;
  expiresAt: string;
  decidedAt?: string;
  grantedUntil?: string;
  votes: { name: string; decision: string; reason?: string; at: string }[];
}

/** The review endpoints of the gateway's API. */
export class ReviewClient {
  constructor(private readonly gateway: GatewayClient) {}

  async list(mine: boolean): Promise<ReviewInfo[]> {
    const body = await this.gateway.get<{ reviews: ReviewInfo[] }>(
      `/api/reviews${mine ? '?mine=true' : ''}`,
    );
    return body.reviews;
  }

  show(id: string): Promise<ReviewInfo> {
    return this.gateway.get<ReviewInfo>(`/api/reviews/${encodeURIComponent(id)}`);
  }

  decide(id: string, decision: 'approve' | 'reject', reason?: string): Promise<ReviewInfo> {
    return this.post(`/api/reviews/${encodeURIComponent(id)}/${decision}`, {
      ...(reason === undefined ? {} : { reason }),
    });
  }

  requestGrant(connection: string, duration: string, reason: string): Promise<ReviewInfo> {
    return this.post('/api/reviews', { connection, duration, reason });
  }

  private post<T>(path: string, body: unknown): Promise<T> {
    const url = new URL(`${this.gateway.baseUrl}${path}`);
    const text = JSON.stringify(body);
    return new Promise<T>((resolve, reject) => {
      const client = url.protocol === 'https:' ? https : http;
      const request = client.request(
        url,
        {
          method: 'POST',
          headers: {
            authorization: `Bearer ${this.gateway.token}`,
            'content-type': 'application/json',
            accept: 'application/json',
            'content-length': String(Buffer.byteLength(text)),
          },
          signal: AbortSignal.timeout(30_000),
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const answer = Buffer.concat(chunks).toString('utf8');
            const status = response.statusCode ?? 0;
            if (status < 200 || status > 299) reject(refusalError(status, answer));
            else resolve(JSON.parse(answer) as T);
          });
        },
      );
      request.on('error', (error) =>
        reject(
          new HoopError('HOOP_GATEWAY_UNREACHABLE', `cannot reach the gateway: ${error.message}`, {
            cause: error,
          }),
        ),
      );
      request.end(text);
    });
  }
}

/** The table `hoop reviews list` prints: one review a line, its request cut to 60 characters. */
export function reviewTable(reviews: readonly ReviewInfo[]): string {
  return formatTable(
    ['id', 'kind', 'status', 'requester', 'connection', 'rule', 'request'],
    reviews.map((r) => [
      r.id,
      r.kind,
      r.status,
      describeRequester(r),
      r.connection,
      r.requirement.rule,
      (r.text ?? r.reason ?? '').slice(0, 60),
    ]),
  );
}

/** Who asked, so that an approver tells an API key from a person who took its name. */
export function describeRequester(review: ReviewInfo): string {
  const { method, subject, name } = review.requester;
  return describePrincipal(name, { method: asAuthMethod(method), subject });
}

/** One review in a few lines, for `hoop reviews show`. */
export function describeReview(review: ReviewInfo): string {
  const lines = [
    `${review.id}  ${review.kind}  ${review.status}`,
    `requester:  ${describeRequester(review)}`,
    `connection: ${review.connection}`,
    `rule:       ${review.requirement.rule} (${review.requirement.approvals} approval(s) from ${review.requirement.approvers.join(', ')})`,
    ...(review.text === undefined ? [] : [`statement:  ${review.text}`]),
    ...(review.durationMs === undefined ? [] : [`duration:   ${review.durationMs / 1000}s`]),
    ...(review.reason === undefined ? [] : [`reason:     ${review.reason}`]),
    `created:    ${review.createdAt}`,
    `expires:    ${review.expiresAt}`,
    ...(review.grantedUntil === undefined ? [] : [`granted until: ${review.grantedUntil}`]),
    ...review.votes.map(
      (vote) =>
        `vote:       ${vote.name} ${vote.decision}${vote.reason ? ` (${vote.reason})` : ''}`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}
