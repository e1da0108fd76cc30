import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { HoopError } from '../../../../src/lib/errors.js';
import {
  answerClientError,
  refuseUpgrade,
  toHoopError,
} from '../../../../src/server/http/respond.js';

/** A socket stand-in that collects what is written and reports whether it was ended. */
function fakeSocket(): { socket: PassThrough; text: () => string; ended: () => boolean } {
  const socket = new PassThrough();
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { socket, text: () => text, ended: () => socket.writableEnded };
}

function parse(raw: string): { status: string; headers: string[]; body: unknown } {
  const [head = '', body = ''] = raw.split('\r\n\r\n');
  const [status = '', ...headers] = head.split('\r\n');
  return { status, headers, body: JSON.parse(body) };
}

describe('refuseUpgrade', () => {
  it('writes a whole HTTP/1.1 response with the JSON error and closes', () => {
    const { socket, text, ended } = fakeSocket();
    refuseUpgrade(
      socket,
      new HoopError('HOOP_CONNECTION_FORBIDDEN', 'agent-1 may not use "x"', { hint: 'ask' }),
    );
    const response = parse(text());
    assert.equal(response.status, 'HTTP/1.1 403 Forbidden');
    assert.ok(response.headers.includes('Connection: close'));
    assert.ok(response.headers.includes('Content-Type: application/json; charset=utf-8'));
    assert.ok(!response.headers.some((h) => h.startsWith('WWW-Authenticate')));
    assert.deepEqual(response.body, {
      error: { code: 'HOOP_CONNECTION_FORBIDDEN', message: 'agent-1 may not use "x"', hint: 'ask' },
    });
    const length = response.headers.find((h) => h.startsWith('Content-Length: '));
    assert.equal(Number(length?.slice(16)), Buffer.byteLength(JSON.stringify(response.body)));
    assert.ok(ended());
  });

  it('adds WWW-Authenticate to a 401 (RFC 9110 §11.6.1)', () => {
    const { socket, text } = fakeSocket();
    refuseUpgrade(socket, new HoopError('HOOP_AUTH_MISSING', 'no credentials'));
    const response = parse(text());
    assert.equal(response.status, 'HTTP/1.1 401 Unauthorized');
    assert.ok(response.headers.includes('WWW-Authenticate: Bearer realm="hoop"'));
  });

  it('marks a refused token as invalid_token (RFC 6750 §3.1)', () => {
    const { socket, text } = fakeSocket();
    refuseUpgrade(socket, new HoopError('HOOP_AUTH_INVALID', 'unknown key'));
    assert.ok(
      parse(text()).headers.includes(
        'WWW-Authenticate: Bearer realm="hoop", error="invalid_token"',
      ),
    );
  });

  it('only destroys a socket that can no longer be written', () => {
    const { socket, text } = fakeSocket();
    socket.end();
    refuseUpgrade(socket, new HoopError('HOOP_AUTH_MISSING', 'no credentials'));
    assert.equal(text(), '');
    assert.ok(socket.destroyed);
  });
});

describe('answerClientError', () => {
  for (const [code, status] of [
    ['HPE_INVALID_METHOD', 'HTTP/1.1 400 Bad Request'],
    ['HPE_HEADER_OVERFLOW', 'HTTP/1.1 431 Request Header Fields Too Large'],
    ['ERR_HTTP_REQUEST_TIMEOUT', 'HTTP/1.1 408 Request Timeout'],
  ] as const) {
    it(`answers ${code} with ${status} and a JSON body`, () => {
      const { socket, text } = fakeSocket();
      answerClientError(Object.assign(new Error('parse error'), { code }), socket);
      const response = parse(text());
      assert.equal(response.status, status);
      assert.equal((response.body as { error: { code: string } }).error.code, 'HOOP_BAD_REQUEST');
    });
  }

  it('writes nothing to a client that reset the connection', () => {
    const { socket, text } = fakeSocket();
    answerClientError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }), socket);
    assert.equal(text(), '');
    assert.ok(socket.destroyed);
  });
});

describe('toHoopError', () => {
  it('passes HoopErrors through and hides anything else behind HOOP_INTERNAL', () => {
    const known = new HoopError('HOOP_NOT_FOUND', 'no such endpoint');
    assert.equal(toHoopError(known), known);
    const internal = toHoopError(new Error('SELECT * FROM secrets failed at /srv/hoop'));
    assert.equal(internal.code, 'HOOP_INTERNAL');
    assert.equal(internal.status, 500);
    assert.equal(internal.message, 'internal error');
    assert.doesNotMatch(JSON.stringify(internal.toJSON()), /secrets|srv/);
    assert.ok(internal.cause instanceof Error);
  });
});
