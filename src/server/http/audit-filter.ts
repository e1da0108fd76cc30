import { parseDuration } from '../../lib/duration.js';
import { HoopError } from '../../lib/errors.js';
import { parsePrincipal } from '../../lib/principal.js';
import type { AuditDecision, SessionQuery } from '../store/index.js';

/** Sessions per page when `limit` is not given, and the most one page may hold. */
export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 1000;

/** The filters `GET /api/sessions` takes, parsed and checked: the store's query but whose sessions (the caller's rights decide that). */
export type SessionFilters = Omit<SessionQuery, 'owner'>;

const DECISIONS: readonly AuditDecision[] = ['allow', 'deny', 'review'];

// RFC 3339 §5.6 date-time: a full date, a time, and an offset (Z or ±hh:mm).
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function badFilter(name: string, message: string, hint: string): HoopError {
  return new HoopError('HOOP_AUDIT_BAD_FILTER', `${name}: ${message}`, {
    hint,
    details: { parameter: name },
  });
}

/** A non-empty value, or undefined when the parameter is absent; an empty one is an error. */
function text(query: URLSearchParams, name: string): string | undefined {
  const value = query.get(name);
  if (value === null) return undefined;
  if (value.trim() === '')
    throw badFilter(name, 'is empty', `Give ${name} a value or leave it out.`);
  return value;
}

/**
 * A moment as `--since`/`--until` take it: an RFC 3339 date-time
 * (`2026-03-01T10:00:00Z`) or a duration before `now` (`24h`, `90d`, `1h30m`).
 */
export function parseMoment(value: string, name: string, now: Date): Date {
  if (RFC3339.test(value)) {
    const ms = Date.parse(value);
    if (!Number.isNaN(ms)) return new Date(ms);
  } else {
    try {
      return new Date(now.getTime() - parseDuration(value));
    } catch {
      // Neither form: the error below names both.
    }
  }
  throw badFilter(
    name,
    `${JSON.stringify(value)} is neither an RFC 3339 date-time nor a duration`,
    `Write ${name} as 2026-03-01T10:00:00Z or as a duration before now such as 30m, 24h or 7d.`,
  );
}

export function parseLimit(query: URLSearchParams, fallback = DEFAULT_PAGE): number {
  const value = text(query, 'limit');
  if (value === undefined) return fallback;
  const limit = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE) {
    throw badFilter(
      'limit',
      `${JSON.stringify(value)} is not a whole number from 1 to ${MAX_PAGE}`,
      `Use a limit from 1 to ${MAX_PAGE}, and --cursor for the next page.`,
    );
  }
  return limit;
}

/** The time range; `since` after `until` is an error rather than an empty answer. */
export function parseRange(query: URLSearchParams, now: Date): { since?: Date; until?: Date } {
  const sinceText = text(query, 'since');
  const untilText = text(query, 'until');
  const since = sinceText === undefined ? undefined : parseMoment(sinceText, 'since', now);
  const until = untilText === undefined ? undefined : parseMoment(untilText, 'until', now);
  if (since && until && since.getTime() > until.getTime()) {
    throw badFilter(
      'until',
      `${until.toISOString()} is before since (${since.toISOString()})`,
      'Give an until later than since.',
    );
  }
  return { ...(since ? { since } : {}), ...(until ? { until } : {}) };
}

/** A page's cursor: the last session of the page, opaque to clients (base64url JSON). */
export function encodeCursor(session: { startedAt: Date; id: string }): string {
  return Buffer.from(JSON.stringify([session.startedAt.toISOString(), session.id])).toString(
    'base64url',
  );
}

export function decodeCursor(value: string): { startedAt: Date; id: string } {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2) {
      const [at, id] = parsed as unknown[];
      const startedAt = typeof at === 'string' ? new Date(at) : undefined;
      if (startedAt && !Number.isNaN(startedAt.getTime()) && typeof id === 'string') {
        return { startedAt, id };
      }
    }
  } catch {
    // Not base64url JSON: said below.
  }
  throw badFilter(
    'cursor',
    `${JSON.stringify(value)} is not a cursor this gateway issued`,
    'Pass the nextCursor of a previous page unchanged, or leave --cursor out to start again.',
  );
}

/** Parses `GET /api/sessions`'s query; every bad value names its parameter. */
export function parseSessionFilters(query: URLSearchParams, now = new Date()): SessionFilters {
  const known = new Set(['connection', 'user', 'decision', 'since', 'until', 'limit', 'cursor']);
  for (const name of query.keys()) {
    if (!known.has(name)) {
      throw badFilter(name, 'is not a filter', `Filters are ${[...known].join(', ')}.`);
    }
  }
  const connection = text(query, 'connection');
  const who = text(query, 'user');
  const decisionText = text(query, 'decision');
  if (decisionText !== undefined && !DECISIONS.includes(decisionText as AuditDecision)) {
    throw badFilter(
      'decision',
      `${JSON.stringify(decisionText)} is not a decision`,
      `Use one of ${DECISIONS.join(', ')}.`,
    );
  }
  const cursor = text(query, 'cursor');
  // `apikey:<name>` or `oidc:<sub>` names one identity; anything else is a search by subject, name or actor.
  const involving = who === undefined ? undefined : parsePrincipal(who);
  if (involving?.subject === '' || involving?.subject === 'apikey:') {
    throw badFilter(
      'user',
      `${JSON.stringify(who)} names no identity`,
      'Write apikey:<name> for an API key, oidc:<sub> for an identity provider subject, or a name.',
    );
  }
  return {
    ...(connection ? { connection } : {}),
    ...(involving ? { involving } : who ? { who } : {}),
    ...(decisionText ? { decision: decisionText as AuditDecision } : {}),
    ...parseRange(query, now),
    ...(cursor ? { after: decodeCursor(cursor) } : {}),
    limit: parseLimit(query),
  };
}
