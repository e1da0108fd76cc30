import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FOLD_DROP, FOLD_KEEP, foldCode, foldText } from '../../../../src/server/masking/chars.js';

/** The folded text, and for each of its units the original character it came from. */
function fold(text: string): [string, string[]] | undefined {
  const folded = foldText(text);
  if (folded === undefined) return undefined;
  const from = [...folded.text].map((_, i) => text.slice(folded.map[i], folded.map[i + 1]));
  return [folded.text, from];
}

describe('foldText', () => {
  it('changes nothing in ASCII text or in letters of other scripts', () => {
    for (const text of ['', 'Jane Doe, 42\tx\n', 'Zoë Müller', '漢字 😀', 'Ελλάδα']) {
      assert.equal(foldText(text), undefined, text);
    }
  });

  it('reads digits of any script as ASCII digits', () => {
    assert.equal(fold('４２')?.[0], '42'); // full-width
    assert.equal(fold('٤٢')?.[0], '42'); // Arabic-Indic
    assert.equal(fold('۴۲')?.[0], '42'); // Extended Arabic-Indic
    assert.equal(fold('४२')?.[0], '42'); // Devanagari
    assert.equal(fold('๔๒')?.[0], '42'); // Thai
    assert.equal(fold('𝟒𝟐')?.[0], '42'); // mathematical bold, astral
    assert.equal(fold('⁴²')?.[0], '42'); // superscript
    assert.equal(fold('④②')?.[0], '42'); // circled
  });

  it('reads Unicode spaces, dashes, full-width punctuation and IDNA dots as ASCII', () => {
    assert.equal(fold('1\u00a02\u20093\u30004')?.[0], '1 2 3 4');
    assert.equal(fold('1\u20102\u20133\u22124－5')?.[0], '1-2-3-4-5');
    assert.equal(fold('a＠b。c．d')?.[0], 'a@b.c.d');
    assert.equal(fold('１·２')?.[0], '1.2');
  });

  it('drops invisible characters and maps each unit back to where it came from', () => {
    assert.deepEqual(fold('4\u200b2\u00ad3\u20604\ufeff'), [
      '4234',
      ['4\u200b', '2\u00ad', '3\u2060', '4\ufeff'],
    ]);
    assert.deepEqual(fold('1\u03012\u0332'), ['12', ['1\u0301', '2\u0332']]);
    assert.deepEqual(fold('a\x01b\x7fc\td'), ['abc\td', ['a\x01', 'b\x7f', 'c', '\t', 'd']]);
  });

  it('reads tag characters (invisible ASCII) as the ASCII they copy', () => {
    const hidden = [...'4242'].map((c) => String.fromCodePoint(0xe0000 + c.charCodeAt(0))).join('');
    assert.deepEqual(fold(`x${hidden}`), ['x4242', ['x', ...[...hidden]]]);
  });

  it('keeps an astral character it does not fold as its two units', () => {
    const folded = foldText('😀４');
    assert.equal(folded?.text, '😀4');
    assert.deepEqual([...(folded?.map ?? [])], [0, 1, 2, 3]);
  });
});

describe('foldCode', () => {
  it('folds every decimal digit of every script to its value (all of Unicode)', () => {
    let runStart = -1;
    let count = 0;
    for (let cp = 0x80; cp <= 0x10ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      if (!/\p{Nd}/u.test(String.fromCodePoint(cp))) {
        runStart = -1;
        continue;
      }
      if (runStart === -1) runStart = cp;
      count++;
      assert.equal(foldCode(cp), 0x30 + ((cp - runStart) % 10), `U+${cp.toString(16)}`);
    }
    assert.ok(count >= 600, `${count} decimal digits`);
  });

  it('tells apart what stays, what is dropped and what folds', () => {
    assert.equal(foldCode(0xe9), FOLD_KEEP); // é
    assert.equal(foldCode(0x200b), FOLD_DROP); // zero-width space
    assert.equal(foldCode(0x3164), FOLD_DROP); // Hangul filler, invisible
    assert.equal(foldCode(0x0a), 0x0a);
    assert.equal(foldCode(0x00), FOLD_DROP);
    assert.equal(foldCode(0xff21), 0x41); // Ａ
  });
});
