import type { IncomingMessage, ServerResponse } from 'node:http';
import { HoopError } from '../../lib/errors.js';
import { asAuthMethod, principalName, samePrincipal, type Principal } from '../../lib/principal.js';
import type { Identity } from '../auth/identity.js';
import type { AuditEvent, SessionRecord, Store } from '../store/index.js';
import type { AuditFeed } from './audit-feed.js';
import {
  encodeCursor,
  parseRange,
  parseSessionFilters,
  type SessionFilters,
} from './audit-filter.js';
import { decodeSegment } from './path.js';
import { Streamed, writeChunk } from './streamed.js';

/** What the audit endpoints need from the gateway. */
export interface AuditApi {
  store: Store;
  /** Groups whose members see every session (`audit.auditors`); others see their own. */
  auditors: readonly string[];
  /** Events as the recorder writes them, for the live tail. */
  feed: AuditFeed;
  /** Seconds between keep-alive comments on an idle tail. Default 15. */
  tailKeepAliveMs?: number;
}

/** An authenticated GET route, in the shape the API's route table takes. */
interface AuditRoute {
  method: 'GET';
  path: RegExp;
  handle: (context: {
    params: string[];
    req: IncomingMessage;
    identity: Identity;
  }) => Promise<[number, unknown]>;
}

/** Events read per query while an export streams. */
const EXPORT_BATCH = 500;
/** Sessions a tail or an export remembers, to know whose events it may pass on. */
const SESSION_CACHE = 1000;

/** Whose a session is: its method and subject, as recorded in its start (and hash chain). */
export function sessionOwner(session: SessionRecord): Principal {
  return { method: asAuthMethod(session.authMethod), subject: session.subject };
}

/** A session as the API shows it: who, through what, from where, and how it ended. */
export function sessionView(session: SessionRecord): Record<string, unknown> {
  const principal = principalName(sessionOwner(session));
  return {
    id: session.id,
    subject: session.subject,
    ...(principal === undefined ? {} : { principal }),
    identity: {
      name: session.identityName,
      kind: session.identityKind,
      authMethod: session.authMethod,
      groups: session.groups,
    },
    actors: session.actors ?? [],
    connection: { name: session.connection, type: session.connectionType },
    client: session.clientAddr,
    startedAt: session.startedAt.toISOString(),
    endedAt: session.endedAt?.toISOString() ?? null,
    closeReason: session.closeReason ?? null,
    ...(session.closeDetail ? { closeDetail: session.closeDetail } : {}),
    bytesUp: session.bytesUp,
    bytesDown: session.bytesDown,
    ...(session.tokenId ? { tokenId: session.tokenId } : {}),
  };
}

/**
 * The audit endpoints:
 * - `GET /api/sessions?connection&user&decision&since&until&limit&cursor`:
 *   sessions newest first, a page at a time (`nextCursor` while there is more).
 * - `GET /api/sessions/ID`: one session with the policy versions that decided it.
 * - `GET /api/sessions/ID/events`: its events in order; `inProgress` while it is open.
 * - `GET /api/audit/events?since&until&connection`: every event in the range,
 *   oldest first, as JSON Lines (`application/x-ndjson`), for a SIEM.
 * - `GET /api/audit/tail?connection`: events as they are recorded, as
 *   server-sent events (`event: statement`).
 *
 * People see their own sessions; members of an auditors group see all. A
 * session the caller may not see is answered like one that does not exist.
 */
export function auditRoutes(api: AuditApi): AuditRoute[] {
  const { store } = api;
  const isAuditor = (identity: Identity): boolean =>
    identity.groups.some((group) => api.auditors.includes(group));
  // Own sessions are the caller's by method and subject: a provider token whose
  // sub was `apikey:agent-1` (refused now, recorded by older versions) owns none of agent-1's.
  const owns = (identity: Identity, session: SessionRecord): boolean =>
    samePrincipal(sessionOwner(session), identity);
  const visible = async (id: string, identity: Identity): Promise<SessionRecord> => {
    const session = await store.getSession(id);
    if (session && (isAuditor(identity) || owns(identity, session))) return session;
    throw new HoopError('HOOP_SESSION_NOT_FOUND', `no session ${id}`, {
      hint: 'Run `hoop audit list` to see the sessions you may read.',
    });
  };
  const query = (url: string | undefined): URLSearchParams =>
    new URL(url ?? '/', 'http://gateway').searchParams;

  return [
    {
      method: 'GET',
      path: /^\/api\/sessions$/,
      handle: async ({ identity, req }) => {
        const filters: SessionFilters = parseSessionFilters(query(req.url));
        // One more than the page tells whether there is a next page.
        const owner: Principal | undefined = isAuditor(identity)
          ? undefined
          : { method: identity.method, subject: identity.subject };
        const rows = await store.querySessions({
          ...filters,
          ...(owner ? { owner } : {}),
          limit: filters.limit + 1,
        });
        const page = rows.slice(0, filters.limit);
        const last = page.at(-1);
        return [
          200,
          {
            sessions: page.map(sessionView),
            ...(rows.length > filters.limit && last ? { nextCursor: encodeCursor(last) } : {}),
          },
        ];
      },
    },
    {
      method: 'GET',
      path: /^\/api\/sessions\/([^/]+)$/,
      handle: async ({ identity, params }) => {
        const session = await visible(decodeSegment(params[0] ?? ''), identity);
        const events = await store.listEvents(session.id);
        const policyVersions = [
          ...new Set(events.flatMap((event) => (event.policyHash ? [event.policyHash] : []))),
        ];
        return [
          200,
          {
            ...sessionView(session),
            policyVersions,
            events: events.length,
            inProgress: session.endedAt === undefined,
          },
        ];
      },
    },
    {
      method: 'GET',
      path: /^\/api\/sessions\/([^/]+)\/events$/,
      handle: async ({ identity, params }) => {
        const session = await visible(decodeSegment(params[0] ?? ''), identity);
        const events = await store.listEvents(session.id);
        return [200, { sessionId: session.id, inProgress: session.endedAt === undefined, events }];
      },
    },
    {
      method: 'GET',
      path: /^\/api\/audit\/events$/,
      handle: async ({ identity, req }) => {
        const params = query(req.url);
        for (const name of params.keys()) {
          if (!['since', 'until', 'connection'].includes(name)) {
            throw new HoopError('HOOP_AUDIT_BAD_FILTER', `${name}: is not an export filter`, {
              hint: 'Export filters are since, until and connection.',
              details: { parameter: name },
            });
          }
        }
        const range = parseRange(params, new Date());
        if (!range.since) {
          throw new HoopError('HOOP_AUDIT_BAD_FILTER', 'since: is required for an export', {
            hint: 'Pass --since, such as 24h or 2026-03-01T00:00:00Z.',
            details: { parameter: 'since' },
          });
        }
        // The export ends where it was asked: events recorded after that are the next export's.
        const until = range.until ?? new Date();
        const connection = params.get('connection') || undefined;
        const owner: Principal | undefined = isAuditor(identity)
          ? undefined
          : { method: identity.method, subject: identity.subject };
        const sessions = sessionCache(store);
        return [
          200,
          new Streamed({ 'content-type': 'application/x-ndjson; charset=utf-8' }, async (res) => {
            let after: { at: Date; id: string } | undefined;
            for (;;) {
              const events = await store.queryEvents({
                since: range.since,
                until,
                limit: EXPORT_BATCH,
                ...(connection ? { connection } : {}),
                ...(owner ? { owner } : {}),
                ...(after ? { after } : {}),
              });
              let lines = '';
              for (const event of events) {
                lines += `${JSON.stringify(await exportLine(event, sessions))}\n`;
              }
              if (lines) await writeChunk(res, lines);
              const last = events.at(-1);
              if (!last || events.length < EXPORT_BATCH) break;
              after = { at: last.at, id: last.id };
            }
          }),
        ];
      },
    },
    {
      method: 'GET',
      path: /^\/api\/audit\/tail$/,
      handle: async ({ identity, req }) => {
        const params = query(req.url);
        for (const name of params.keys()) {
          if (name !== 'connection') {
            throw new HoopError('HOOP_AUDIT_BAD_FILTER', `${name}: is not a tail filter`, {
              hint: 'The tail takes connection only.',
              details: { parameter: name },
            });
          }
        }
        const connection = params.get('connection') || undefined;
        const auditor = isAuditor(identity);
        const sessions = sessionCache(store);
        return [
          200,
          new Streamed(
            {
              'content-type': 'text/event-stream; charset=utf-8',
              'x-accel-buffering': 'no',
            },
            (res) =>
              tail(res, api, async (event) => {
                const session = await sessions(event.sessionId);
                if (!session) return undefined;
                if (!auditor && !owns(identity, session)) return undefined;
                if (connection && session.connection !== connection) return undefined;
                return exportLine(event, sessions);
              }),
          ),
        ];
      },
    },
  ];
}

/**
 * Sends the feed's events as server-sent events (WHATWG HTML §9.2) until the
 * client goes away: `event:` the event's kind (`statement`, `command`,
 * `http` …), `id:` the event's ID, `data:` one JSON line. A comment every
 * few seconds keeps proxies from closing an idle
 * stream. Events are sent in the order they were recorded, one at a time.
 */
function tail(
  res: ServerResponse,
  api: AuditApi,
  view: (event: AuditEvent) => Promise<Record<string, unknown> | undefined>,
): Promise<void> {
  return new Promise((resolve) => {
    let chain = Promise.resolve();
    const unsubscribe = api.feed.subscribe((event) => {
      chain = chain
        .then(async () => {
          const line = await view(event);
          if (line) {
            await writeChunk(
              res,
              `event: ${event.kind}\nid: ${event.id}\ndata: ${JSON.stringify(line)}\n\n`,
            );
          }
        })
        .catch(() => {
          res.destroy();
        });
    });
    const keepAlive = setInterval(
      () => res.write(': keep-alive\n\n'),
      api.tailKeepAliveMs ?? 15_000,
    );
    keepAlive.unref();
    res.once('close', () => {
      clearInterval(keepAlive);
      unsubscribe();
      resolve();
    });
    // The first bytes tell the client the stream is open: nothing it hears is missed from here on.
    res.write(': hoop audit tail\n\n');
  });
}

/** One event as an export line: the event with its session's who and where, self-contained for a SIEM. */
async function exportLine(
  event: AuditEvent,
  sessions: (id: string) => Promise<SessionRecord | undefined>,
): Promise<Record<string, unknown>> {
  const session = await sessions(event.sessionId);
  const principal = session && principalName(sessionOwner(session));
  return {
    ...event,
    session: session
      ? {
          subject: session.subject,
          ...(principal === undefined ? {} : { principal }),
          identity: session.identityName,
          actors: session.actors ?? [],
          connection: session.connection,
          client: session.clientAddr,
        }
      : null,
  };
}

/** Looks sessions up once each, remembering the latest few. */
function sessionCache(store: Store): (id: string) => Promise<SessionRecord | undefined> {
  const known = new Map<string, Promise<SessionRecord | undefined>>();
  return (id) => {
    let found = known.get(id);
    if (!found) {
      found = store.getSession(id);
      known.set(id, found);
      if (known.size > SESSION_CACHE) {
        const oldest = known.keys().next().value;
        if (oldest !== undefined) known.delete(oldest);
      }
    }
    return found;
  };
}
