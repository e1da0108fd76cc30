import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DETECTORS } from '../../../../src/server/masking/detectors.js';
import { redactWholeUtf8 } from '../../../../src/server/masking/redact-whole.js';
import { redactUtf8Text } from '../../../../src/server/masking/redact.js';
import { findAll } from '../../../../src/server/masking/scan.js';
import { POSITIVES, randomText, seeded } from './samples.js';

const all = Object.values(DETECTORS);

/** The plain definition: decode, trim, run every detector, keep the format of a lone whole match. */
function oracle(value: Buffer): Buffer | undefined {
  if (value.length > 0 && value.length <= 512) {
    const trimmed = value.toString('utf8').trim();
    const found = findAll(trimmed, all);
    if (found.length === 1 && found[0]!.start === 0 && found[0]!.end === trimmed.length) {
      const detector = all.find((d) => d.name === found[0]!.detector)!;
      return Buffer.from(detector.redact(trimmed, found[0]!.kind), 'utf8');
    }
  }
  return redactUtf8Text(value);
}

const text = (value: string): string | undefined =>
  redactWholeUtf8(Buffer.from(value, 'utf8'))?.toString('utf8');

describe('redactWholeUtf8', () => {
  it('keeps the format of a value that is one detectable item', () => {
    assert.equal(text('jane.doe@example.com'), 'j***@example.com');
    assert.equal(text(' 4242 4242 4242 4242 \n'), '**** **** **** 4242');
    assert.equal(text('+1 415 555 0100'), '+* *** *** **00');
    assert.equal(text('\u00a0jane@example.com\u3000'), 'j***@example.com');
  });

  it('redacts anything else as text: first character and ***, short values ****', () => {
    assert.equal(text('mail jane@example.com'), 'm***');
    assert.equal(text('jane@example.com, joe@example.com'), 'j***');
    assert.equal(text('customer 42'), 'c***');
    assert.equal(text('abc'), '****');
    assert.equal(text('élan vital'), 'é***');
    assert.equal(text(`${'x'.repeat(600)}@example.com`), 'x***');
    assert.equal(text(''), undefined);
  });

  it('reads a field in place: a view into a larger buffer', () => {
    const row = Buffer.from('..jane@example.com..', 'utf8');
    assert.equal(redactWholeUtf8(row.subarray(2, 18))?.toString(), 'j***@example.com');
  });

  it('agrees with decoding and running every detector (positives, padded and not)', () => {
    for (const values of Object.values(POSITIVES)) {
      for (const value of values) {
        for (const padded of [value, ` ${value}\t`, `\u00a0${value}`, `${value} x`]) {
          const bytes = Buffer.from(padded, 'utf8');
          assert.deepEqual(redactWholeUtf8(bytes), oracle(bytes), JSON.stringify(padded));
        }
      }
    }
  });

  it('agrees with decoding and running every detector (property, 20 000 random values)', () => {
    const random = seeded(0x4805);
    for (let n = 0; n < 20_000; n++) {
      const bytes = Buffer.from(randomText(random), 'utf8');
      assert.deepEqual(redactWholeUtf8(bytes), oracle(bytes), JSON.stringify(bytes.toString()));
    }
  });
});
