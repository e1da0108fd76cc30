import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DETECTORS } from '../../../../src/server/masking/detectors.js';
import { emptyProfile, profileBytes, profileText } from '../../../../src/server/masking/profile.js';
import type { Detector, DetectorName } from '../../../../src/server/masking/types.js';
import { POSITIVES, randomText, seeded } from './samples.js';

const all = Object.entries(DETECTORS) as Array<[DetectorName, Detector]>;

/**
 * The pre-filter contract: when `find` matches, `admits` is true on the
 * text's profile and on the byte profile of its UTF-8, alone or as a range of
 * a larger buffer (how the result filter reads a field in place).
 */
function assertAdmitted(detector: Detector, text: string): void {
  if (detector.find(text).length === 0) return;
  const why = `${detector.name} finds something in ${JSON.stringify(text)}`;
  assert.ok(detector.admits(profileText(text)), `${why}, but its text profile is rejected`);
  const bytes = Buffer.from(`xx${text}yy`, 'utf8');
  const profile = profileBytes(bytes, emptyProfile(), 2, bytes.length - 2);
  assert.ok(detector.admits(profile), `${why}, but its byte profile is rejected`);
}

describe('detector pre-filters', () => {
  for (const [name, detector] of all) {
    it(`${name}: admits every positive, alone and inside longer text`, () => {
      for (const value of POSITIVES[name]) {
        for (const text of [
          value,
          `call me at ${value} please`,
          `café ${value} ü`,
          `\t${value}\n`,
          `${value}, ${value}`,
        ]) {
          assert.ok(detector.find(text).length > 0, `${name} finds ${JSON.stringify(text)}`);
          assertAdmitted(detector, text);
        }
      }
    });
  }

  it('never reject what a detector finds in random text (property, 30 000 cases)', () => {
    const random = seeded(0x4805);
    let hits = 0;
    for (let n = 0; n < 30_000; n++) {
      const text = randomText(random);
      for (const [, detector] of all) {
        if (detector.find(text).length > 0) hits++;
        assertAdmitted(detector, text);
      }
    }
    assert.ok(hits > 5_000, `the random texts hit detectors often enough (${hits})`);
  });

  it('byte profiles admit at least what text profiles admit', () => {
    const random = seeded(7);
    for (let n = 0; n < 10_000; n++) {
      const text = randomText(random);
      const fromText = profileText(text);
      const fromBytes = profileBytes(Buffer.from(text, 'utf8'), emptyProfile());
      for (const [name, detector] of all) {
        if (detector.admits(fromText)) {
          assert.ok(detector.admits(fromBytes), `${name} on ${JSON.stringify(text)}`);
        }
      }
    }
  });

  it('counts characters as they fold, and passes letters of other scripts without guessing', () => {
    const bytes = (text: string) => profileBytes(Buffer.from(text, 'utf8'), emptyProfile());
    for (const profile of [profileText('４２４２ ٤٢'), bytes('４２４２ ٤٢')]) {
      assert.equal(profile.digits, 6);
      assert.ok(profile.folds >= 6);
    }
    // A space before Han or Cyrillic letters could not start a spelled-out `at`.
    for (const text of ['山田 太郎 東京都', 'Иван Петров', 'Zoë Müller']) {
      assert.equal(profileText(text).atWords, 0, text);
      assert.equal(bytes(text).atWords, 0, text);
      assert.equal(bytes(text).folds, 0, text);
    }
    // An invisible character inside a token does not end its run.
    for (const text of ['key AKIA\u200bIOSFODNN7EXAMPLE', 'key ＡＫＩＡIOSFODNN7EXAMPLE']) {
      assert.ok(DETECTORS.secrets.find(text).length > 0, text);
      assertAdmitted(DETECTORS.secrets, text);
    }
    // One that folds to `at`, or hides between its letters, counts.
    for (const text of ['a ａｔ b', 'a [\u200bat] b', 'a a\u00adt b']) {
      assert.ok(profileText(text).atWords > 0, text);
      assert.ok(bytes(text).atWords > 0, text);
    }
  });
});
