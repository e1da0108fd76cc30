import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ERROR_CODES, HoopError, isErrorCode, type ErrorCode } from '../../../src/lib/errors.js';

describe('HoopError', () => {
  it('carries its code, message, hint, details and cause', () => {
    const cause = new Error('ECONNREFUSED');
    const error = new HoopError('HOOP_GATEWAY_UNREACHABLE', 'cannot reach the gateway', {
      hint: 'start it',
      cause,
      details: { url: 'http://x' },
    });
    assert.ok(error instanceof Error);
    assert.equal(error.name, 'HoopError');
    assert.equal(error.code, 'HOOP_GATEWAY_UNREACHABLE');
    assert.equal(error.message, 'cannot reach the gateway');
    assert.equal(error.hint, 'start it');
    assert.equal(error.cause, cause);
    assert.deepEqual(error.details, { url: 'http://x' });
  });

  it('serialises to the gateway’s error body, details merged in, no cause or stack', () => {
    const error = new HoopError('HOOP_CONFIG_INVALID', 'hoop.yaml:3:1: x: bad', {
      hint: 'fix it',
      details: { file: 'hoop.yaml', line: 3 },
      cause: new Error('inner secret detail'),
    });
    assert.deepEqual(error.toJSON(), {
      error: {
        code: 'HOOP_CONFIG_INVALID',
        message: 'hoop.yaml:3:1: x: bad',
        hint: 'fix it',
        file: 'hoop.yaml',
        line: 3,
      },
    });
    assert.equal(JSON.stringify(error), JSON.stringify(error.toJSON()));
    assert.doesNotMatch(JSON.stringify(error), /inner secret detail|stack/);
  });

  it('leaves hint out of the body when there is none', () => {
    assert.deepEqual(new HoopError('HOOP_NOT_FOUND', 'no such endpoint').toJSON(), {
      error: { code: 'HOOP_NOT_FOUND', message: 'no such endpoint' },
    });
  });

  it('maps codes to the HTTP statuses and exit codes of DESIGN.md', () => {
    const expected: [ErrorCode, number, number][] = [
      ['HOOP_AUTH_MISSING', 401, 5],
      ['HOOP_AUTH_INVALID', 401, 5],
      ['HOOP_CONNECTION_UNKNOWN', 404, 2],
      ['HOOP_CONNECTION_FORBIDDEN', 403, 3],
      ['HOOP_PROTOCOL_UNSUPPORTED', 501, 2],
      ['HOOP_NOT_FOUND', 404, 2],
      ['HOOP_BAD_REQUEST', 400, 2],
      ['HOOP_CONFIG_INVALID', 500, 2],
      ['HOOP_SECRET_MISSING', 500, 2],
      ['HOOP_USAGE', 400, 2],
      ['HOOP_GATEWAY_UNREACHABLE', 502, 6],
      ['HOOP_STORE_UNAVAILABLE', 503, 6],
      ['HOOP_INTERNAL', 500, 1],
    ];
    for (const [code, status, exit] of expected) {
      const error = new HoopError(code, 'x');
      assert.equal(error.status, status, code);
      assert.equal(error.exitCode, exit, code);
    }
  });

  it('gives every code an exit code DESIGN.md defines and an HTTP error status', () => {
    for (const [code, { status, exit }] of Object.entries(ERROR_CODES)) {
      assert.ok([1, 2, 3, 4, 5, 6].includes(exit), code);
      assert.ok(status >= 400 && status < 600, code);
    }
  });
});

describe('isErrorCode', () => {
  it('recognises the codes and nothing else', () => {
    assert.equal(isErrorCode('HOOP_AUTH_MISSING'), true);
    assert.equal(isErrorCode('HOOP_NOPE'), false);
    assert.equal(isErrorCode('toString'), false);
    assert.equal(isErrorCode(undefined), false);
    assert.equal(isErrorCode(401), false);
  });
});
