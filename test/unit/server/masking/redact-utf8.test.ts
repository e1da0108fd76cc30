import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { creditCard, email, phone } from '../../../../src/server/masking/detectors.js';
import {
  redactCard,
  redactEmail,
  redactPhone,
  keepLast,
} from '../../../../src/server/masking/redact.js';
import {
  keepLastUtf8,
  redactCardUtf8,
  redactEmailUtf8,
  redactPhoneUtf8,
} from '../../../../src/server/masking/redact-utf8.js';
import { POSITIVES, randomText, seeded } from './samples.js';

/** `value` framed by other bytes, as a field sits in a DataRow: [buffer, start, end]. */
function inPlace(value: string): [Buffer, number, number] {
  const bytes = Buffer.from(`ab${value}cd`, 'utf8');
  return [bytes, 2, bytes.length - 2];
}

describe('redactions on UTF-8 bytes', () => {
  it('give the bytes of the string redactions on every positive', () => {
    for (const [detector, bytewise] of [
      [email, redactEmailUtf8],
      [creditCard, redactCardUtf8],
      [phone, redactPhoneUtf8],
    ] as const) {
      assert.equal(detector.redactUtf8, bytewise);
      for (const value of POSITIVES[detector.name]) {
        assert.deepEqual(
          bytewise(...inPlace(value)),
          Buffer.from(detector.redact(value), 'utf8'),
          `${detector.name}: ${value}`,
        );
      }
    }
    assert.equal(
      redactEmailUtf8(...inPlace('jane.doe@example.com')).toString(),
      'j***@example.com',
    );
  });

  it('agree with the string redactions on any text, non-ASCII included (property)', () => {
    const random = seeded(0x4805);
    for (let n = 0; n < 20_000; n++) {
      const text = randomText(random);
      const expect = (s: string) => Buffer.from(s, 'utf8');
      assert.deepEqual(redactEmailUtf8(...inPlace(text)), expect(redactEmail(text)), text);
      assert.deepEqual(redactCardUtf8(...inPlace(text)), expect(redactCard(text)), text);
      assert.deepEqual(redactPhoneUtf8(...inPlace(text)), expect(redactPhone(text)), text);
      assert.deepEqual(keepLastUtf8(...inPlace(text), 2), expect(keepLast(text, 2)), text);
    }
  });

  it('fall back to the string redaction for an email whose first character is not ASCII', () => {
    assert.equal(redactEmailUtf8(...inPlace('élan@example.com')).toString(), 'é***@example.com');
    assert.equal(redactEmailUtf8(...inPlace('no at sign here')).toString(), 'n***');
  });
});
