import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { decodeSegment, requestPath } from '../../../../src/server/http/path.js';

function request(url: string | undefined): IncomingMessage {
  return { url } as IncomingMessage;
}

describe('requestPath', () => {
  it('gives the path of origin-form and absolute-form targets, without the query', () => {
    assert.equal(requestPath(request('/api/connections?x=1')), '/api/connections');
    assert.equal(requestPath(request('http://gateway.example/healthz')), '/healthz');
    assert.equal(requestPath(request(undefined)), '/');
  });

  it('keeps percent-escapes for the router to decode per segment', () => {
    assert.equal(requestPath(request('/api/connections/a%2Fb')), '/api/connections/a%2Fb');
  });

  it('refuses a target `new URL` cannot parse with HOOP_BAD_REQUEST', () => {
    assert.throws(() => requestPath(request('http://%zz/')), { code: 'HOOP_BAD_REQUEST' });
    assert.throws(() => requestPath(request('http://[::1/')), { code: 'HOOP_BAD_REQUEST' });
  });
});

describe('decodeSegment', () => {
  it('decodes percent-escapes, including an encoded slash', () => {
    assert.equal(decodeSegment('pg-prod'), 'pg-prod');
    assert.equal(decodeSegment('a%2Fb'), 'a/b');
    assert.equal(decodeSegment('caf%C3%A9'), 'café');
  });

  it('refuses malformed escapes with HOOP_BAD_REQUEST (400), not an internal error', () => {
    for (const segment of ['%E0%A4%A', '%', '%zz']) {
      assert.throws(
        () => decodeSegment(segment),
        (error: Error & { status?: number }) => {
          assert.equal(error.status, 400);
          return true;
        },
      );
    }
  });
});
