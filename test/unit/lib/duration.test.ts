import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { formatDuration, parseDuration } from '../../../src/lib/duration.js';

describe('parseDuration', () => {
  it('reads each unit', () => {
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('30s'), 30_000);
    assert.equal(parseDuration('5m'), 300_000);
    assert.equal(parseDuration('2h'), 7_200_000);
    assert.equal(parseDuration('90d'), 90 * 86_400_000);
  });

  it('reads compounds from the largest unit down', () => {
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('1d2h3m4s5ms'), 86_400_000 + 7_200_000 + 180_000 + 4_000 + 5);
  });

  it('reads fractions and rounds to the millisecond', () => {
    assert.equal(parseDuration('1.5h'), 5_400_000);
    assert.equal(parseDuration('.5s'), 500);
    assert.equal(parseDuration('0.4ms'), 0);
  });

  it('accepts 0 without a unit and surrounding spaces', () => {
    assert.equal(parseDuration('0'), 0);
    assert.equal(parseDuration(' 30s '), 30_000);
  });

  it('refuses what it cannot read, saying what it expects', () => {
    for (const bad of ['', '30', '30x', 's', '-5s', '1h 30m', '30m1h', '1m1m', '1.s', 'abc']) {
      assert.throws(
        () => parseDuration(bad),
        (error: Error) => error.constructor === Error && /duration/.test(error.message),
        bad,
      );
    }
    assert.throws(() => parseDuration('30'), /a unit is required/);
    assert.throws(() => parseDuration('30m1h'), /largest to smallest/);
  });

  it('refuses durations beyond a safe integer', () => {
    assert.throws(() => parseDuration('99999999999999999d'), /too long/);
  });
});

describe('formatDuration', () => {
  it('writes the largest units first and leaves out zeros', () => {
    assert.equal(formatDuration(0), '0s');
    assert.equal(formatDuration(250), '250ms');
    assert.equal(formatDuration(30_000), '30s');
    assert.equal(formatDuration(5_400_000), '1h30m');
    assert.equal(formatDuration(90 * 86_400_000), '90d');
    assert.equal(formatDuration(1_500), '1s500ms');
    assert.equal(formatDuration(-60_000), '-1m');
  });

  it('round-trips through parseDuration', () => {
    for (const ms of [1, 999, 1_000, 61_001, 3_600_000, 86_400_000 + 1, 123_456_789]) {
      assert.equal(parseDuration(formatDuration(ms)), ms);
    }
  });

  it('refuses numbers that are not finite', () => {
    assert.throws(() => formatDuration(Number.NaN), RangeError);
    assert.throws(() => formatDuration(Number.POSITIVE_INFINITY), RangeError);
  });
});
