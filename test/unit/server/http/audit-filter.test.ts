import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HoopError } from '../../../../src/lib/errors.js';
import {
  decodeCursor,
  encodeCursor,
  parseMoment,
  parseSessionFilters,
} from '../../../../src/server/http/audit-filter.js';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const parse = (query: string) => parseSessionFilters(new URLSearchParams(query), NOW);

function refused(query: string, parameter: string): void {
  assert.throws(
    () => parse(query),
    (error: unknown) =>
      error instanceof HoopError &&
      error.code === 'HOOP_AUDIT_BAD_FILTER' &&
      error.status === 400 &&
      error.message.startsWith(`${parameter}: `) &&
      error.details?.parameter === parameter,
    query,
  );
}

describe('audit filters', () => {
  it('reads every filter, with a default page size', () => {
    assert.deepEqual(parse(''), { limit: 50 });
    assert.deepEqual(
      parse(
        'connection=pg&user=alice&decision=review&since=24h&until=2026-03-01T11:00:00%2B01:00&limit=7',
      ),
      {
        connection: 'pg',
        who: 'alice',
        decision: 'review',
        since: new Date('2026-02-28T12:00:00.000Z'),
        until: new Date('2026-03-01T10:00:00.000Z'),
        limit: 7,
      },
    );
  });

  it('takes RFC 3339 date-times and durations before now', () => {
    assert.equal(parseMoment('1h30m', 'since', NOW).toISOString(), '2026-03-01T10:30:00.000Z');
    assert.equal(
      parseMoment('2026-02-01T00:00:00.5Z', 'since', NOW).toISOString(),
      '2026-02-01T00:00:00.500Z',
    );
  });

  it('names the parameter of every bad value', () => {
    refused('since=yesterday', 'since');
    refused('since=2026-02-30', 'since');
    refused('until=12', 'until');
    refused('since=1h&until=2h', 'until');
    refused('decision=maybe', 'decision');
    refused('limit=0', 'limit');
    refused('limit=1001', 'limit');
    refused('limit=1.5', 'limit');
    refused('connection=', 'connection');
    refused('cursor=abc', 'cursor');
    refused('sort=asc', 'sort');
  });

  it('round-trips a cursor', () => {
    const at = { startedAt: new Date('2026-03-01T10:00:00.123Z'), id: 'ses_1' };
    assert.deepEqual(decodeCursor(encodeCursor(at)), at);
    assert.deepEqual(parse(`cursor=${encodeCursor(at)}`).after, at);
  });
});

describe('the user filter names one identity by principal, or searches', () => {
  it('apikey:<name> and oidc:<sub> name one identity; anything else is a search', () => {
    assert.deepEqual(parse('user=apikey:agent-1').involving, {
      method: 'apikey',
      subject: 'apikey:agent-1',
    });
    assert.deepEqual(parse('user=oidc:apikey:agent-1').involving, {
      method: 'oidc',
      subject: 'apikey:agent-1',
    });
    assert.equal(parse('user=agent-1').who, 'agent-1');
    assert.equal(parse('user=agent-1').involving, undefined);
  });

  it('refuses a principal with nothing after its prefix', () => {
    refused('user=apikey:', 'user');
    refused('user=oidc:', 'user');
  });
});
