import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { adviceFor } from '../../../src/cli/advice.js';
import { ERROR_CODES, HoopError, type ErrorCode } from '../../../src/lib/errors.js';

describe('adviceFor', () => {
  it('prefers the error’s own hint', () => {
    const error = new HoopError('HOOP_CONNECTION_UNKNOWN', 'x', { hint: 'Try pg-prod.' });
    assert.equal(adviceFor(error), 'Try pg-prod.');
  });

  it('falls back to advice for the code, then for the exit code', () => {
    assert.match(adviceFor(new HoopError('HOOP_CONNECTION_UNKNOWN', 'x')), /hoop connections/);
    assert.match(adviceFor(new HoopError('HOOP_AUTH_MISSING', 'x')), /hoop login|HOOP_TOKEN/);
    assert.match(adviceFor(new HoopError('HOOP_GATEWAY_UNREACHABLE', 'x')), /HOOP_GATEWAY/);
  });

  it('has one line of advice for every error code', () => {
    for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
      const advice = adviceFor(new HoopError(code, 'x'));
      assert.ok(advice.length > 10, code);
      assert.ok(!advice.includes('\n'), code);
    }
  });
});
