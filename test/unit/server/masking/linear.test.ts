/**
 * Scanning stays linear: 1 MiB of text built to make a backtracking regex or
 * a careless rescan go quadratic is masked within a generous bound, by every
 * detector at once. `HOOP_BENCH=1` prints each time.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { DETECTORS } from '../../../../src/server/masking/detectors.js';
import { maskText, maskUtf8 } from '../../../../src/server/masking/scan.js';
import { randomText, seeded } from './samples.js';

const ALL = Object.values(DETECTORS);
const MIB = 1 << 20;
/** Generous: a linear scan of 1 MiB takes tens to a few hundred milliseconds here. */
const BOUND_MS = 5_000;

function repeat(unit: string, length = MIB): string {
  return unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
}

function random(): string {
  const next = seeded(7);
  let text = '';
  while (text.length < MIB) text += randomText(next) + ' ';
  return text.slice(0, MIB);
}

const INPUTS: Array<[string, () => string]> = [
  ['digits split by spaces', () => repeat('1 ')],
  ['digits split by dashes', () => repeat('1-')],
  ['card-sized groups', () => repeat('4111 ')],
  ['mixed gaps', () => repeat('4111-1111 1111.')],
  ['one long digit string', () => repeat('4')],
  ['dotted digits', () => repeat('1.')],
  ['dotted quads', () => repeat('10.0.0.1 ')],
  ['parenthesised groups', () => repeat('(1) ')],
  ['plus signs and digits', () => repeat('+1 ')],
  ['trunk zeros', () => repeat('0 ')],
  ['dates', () => repeat('12/12/2024 ')],
  ['digits glued to letters', () => repeat('x1')],
  ['thousands', () => repeat('1,')],
  ['full-width digits', () => repeat('４ ')],
  ['invisible characters between digits', () => repeat('\u200b1')],
  ['a long local part before one @', () => repeat('a', MIB - 1) + '@'],
  ['@ signs', () => repeat('a@')],
  ['dots and @ signs', () => repeat('.@a')],
  ['a long domain', () => 'a@' + repeat('a.', MIB - 2)],
  ['quotes and @ signs', () => repeat('"a"@')],
  ['spelled-out ats', () => repeat(' at ')],
  ['spelled-out address parts', () => repeat('a at b dot ')],
  ['bracketed ats', () => repeat('[at]')],
  ['a long JWT-looking token', () => 'eyJ' + repeat('a', MIB - 3)],
  ['JWT-looking parts', () => repeat('eyJaaaa.')],
  ['AWS key prefixes', () => repeat('AKIA')],
  ['PEM headers', () => repeat('-----BEGIN RSA PRIVATE KEY-----')],
  ['IBAN starts', () => repeat('GB82')],
  ['colons and hex', () => repeat('f:')],
  ['colons, digits and dots', () => repeat('1:1.')],
  ['random text around samples', random],
];

describe('linear scanning', () => {
  for (const [what, build] of INPUTS) {
    it(`masks 1 MiB of ${what} within ${BOUND_MS} ms`, () => {
      const text = build();
      const bytes = Buffer.from(text, 'utf8');
      let started = performance.now();
      maskText(text, ALL);
      const textMs = performance.now() - started;
      started = performance.now();
      maskUtf8(bytes, ALL);
      const bytesMs = performance.now() - started;
      if (process.env.HOOP_BENCH) {
        console.log(
          `1 MiB of ${what}: maskText ${textMs.toFixed(0)} ms, maskUtf8 ${bytesMs.toFixed(0)} ms`,
        );
      }
      assert.ok(textMs < BOUND_MS, `maskText took ${textMs.toFixed(0)} ms`);
      assert.ok(bytesMs < BOUND_MS, `maskUtf8 took ${bytesMs.toFixed(0)} ms`);
    });
  }
});
