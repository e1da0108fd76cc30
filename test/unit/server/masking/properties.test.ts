/**
 * Property tests of the detectors (fast-check): generated values in every
 * documented layout are found whole and redacted without a trace; values of
 * other kinds are left alone, or flagged at a measured rate where no rule can
 * tell them apart. A failure prints the seed and the shrunk counterexample;
 * replay it with `fc.assert(…, { seed, path })`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';

import { foldText } from '../../../../src/server/masking/chars.js';
import {
  creditCard,
  DETECTORS,
  email,
  iban,
  ip,
  nationalId,
  phone,
  secrets,
} from '../../../../src/server/masking/detectors.js';
import { emptyProfile, profileBytes, profileText } from '../../../../src/server/masking/profile.js';
import { findAll, maskText, maskUtf8 } from '../../../../src/server/masking/scan.js';
import type { Detector } from '../../../../src/server/masking/types.js';
import * as gen from './arbitraries.js';

const ALL = Object.values(DETECTORS);
// `HOOP_PROPERTY_RUNS=5000` for a longer search.
const RUNS = Number(process.env.HOOP_PROPERTY_RUNS) || 300;

interface Case {
  name: string;
  detector: Detector;
  sample: fc.Arbitrary<gen.Sample>;
  prefixes: string[];
  suffixes: string[];
}

const CASES: Case[] = [
  {
    name: 'credit card',
    detector: creditCard,
    sample: gen.card,
    prefixes: ['', 'card: ', 'card:', 'paid with ', '\n', '(', 'x '],
    suffixes: ['', '.', ';', ', thanks', ' exp 12/27', '\n', ')'],
  },
  {
    name: 'SSN',
    detector: nationalId,
    sample: gen.ssn,
    prefixes: ['', 'SSN ', 'ssn: ', '\n', 'id='],
    suffixes: ['', '.', ';', ', born 1980', '\n'],
  },
  {
    name: 'Aadhaar',
    detector: nationalId,
    sample: gen.aadhaar,
    prefixes: ['', 'UID ', 'aadhaar: ', '\n'],
    suffixes: ['', '.', ';', ', issued 2019', '\n'],
  },
  {
    name: 'phone',
    detector: phone,
    sample: gen.phone,
    prefixes: ['', 'call ', 'tel: ', 'Tel. ', 'phone=', '\n'],
    suffixes: ['', '.', ';', ', ext 12', ' (home)', '\n'],
  },
  {
    name: 'email',
    detector: email,
    sample: gen.email,
    prefixes: ['', 'mail ', 'to: ', '<', '\n', 'Contact: '],
    suffixes: ['', '.', '>', ', thanks', '\n', ' '],
  },
  {
    name: 'IBAN',
    detector: iban,
    sample: gen.iban,
    prefixes: ['', 'IBAN ', 'iban: ', '\n'],
    suffixes: ['', '.', ';', ', BIC ABCDEF', '\n'],
  },
  {
    name: 'IP',
    detector: ip,
    sample: gen.ip,
    prefixes: ['', 'from ', 'ip=', '['],
    suffixes: ['', ' ', ']', '.', ', port 5432'],
  },
  {
    name: 'secret',
    detector: secrets,
    sample: gen.secret,
    prefixes: ['', 'key=', 'Bearer ', '\n', '"'],
    suffixes: ['', '"', ';', ' ', '\n'],
  },
];

/** The ASCII digits of `text` once folded. */
function foldedDigits(text: string): string {
  return (foldText(text)?.text ?? text).replace(/\D/g, '');
}

function reverse(text: string): string {
  return [...text].reverse().join('');
}

/**
 * Strings a redaction of `value` must not contain: it and its reverse, and
 * for a number its digits and their reverse. An address whose local part is
 * one character is the exception the documented format makes: `a@example.com`
 * becomes `a***@example.com`, which holds it (see the README).
 */
function traces({ value, keep }: gen.Sample): string[] {
  const all = [value, reverse(value)];
  if (keep !== undefined) all.push(foldedDigits(value), reverse(foldedDigits(value)));
  const oneCharacterLocal = /^.(@|\s*[[({<]|\s+at\s)/iu.test(value);
  return all.filter((t) => t.length >= 5 && !(oneCharacterLocal && t === value));
}

describe('detector properties', () => {
  for (const { name, detector, sample, prefixes, suffixes } of CASES) {
    const inContext = fc.record({
      sample,
      prefix: fc.constantFrom(...prefixes),
      suffix: fc.constantFrom(...suffixes),
    });

    it(`${name}: every generated value is found whole, and its profile admits it`, () => {
      fc.assert(
        fc.property(inContext, ({ sample: { value, kind }, prefix, suffix }) => {
          const text = prefix + value + suffix;
          const found = detector.find(text);
          const whole = found.find(
            (m) => m.start === prefix.length && m.end === prefix.length + value.length,
          );
          assert.ok(whole, `${JSON.stringify(text)}: ${JSON.stringify(found)}`);
          if (kind !== undefined) assert.equal(whole.kind, kind);
          assert.ok(detector.admits(profileText(text)), 'text profile');
          assert.ok(
            detector.admits(profileBytes(Buffer.from(text), emptyProfile())),
            'byte profile',
          );
        }),
        { numRuns: RUNS },
      );
    });

    it(`${name}: the redaction keeps no trace of the value`, () => {
      fc.assert(
        fc.property(inContext, ({ sample, prefix, suffix }) => {
          const { value, keep, redacted } = sample;
          const text = prefix + value + suffix;
          const masked = maskText(text, [detector]);
          assert.ok(masked !== undefined, JSON.stringify(text));
          assert.ok(masked.startsWith(prefix) && masked.endsWith(suffix), masked);
          const out = masked.slice(prefix.length, masked.length - suffix.length);
          if (redacted !== undefined) assert.equal(out, redacted);
          for (const trace of traces(sample)) {
            assert.ok(
              !out.includes(trace),
              `${JSON.stringify(out)} holds ${JSON.stringify(trace)}`,
            );
          }
          // Digit-based values keep exactly their last `keep` digits, in any script.
          if (keep !== undefined) assert.equal(foldedDigits(out), foldedDigits(value).slice(-keep));
          // The same on the wire.
          assert.equal(maskUtf8(Buffer.from(text), [detector])?.toString(), masked);
          // With every detector on, whichever wins the span leaves no trace either.
          const all = maskText(text, ALL) ?? text;
          for (const trace of traces(sample)) {
            assert.ok(
              !all.includes(trace),
              `${JSON.stringify(all)} holds ${JSON.stringify(trace)}`,
            );
          }
        }),
        { numRuns: RUNS },
      );
    });
  }

  it('credit card: a valid number glued into a longer digit string is matched only as that whole string', () => {
    fc.assert(
      fc.property(gen.cardDigits, gen.plainDigits, gen.plainDigits, (card, before, after) => {
        const text = before + card.join('') + after;
        for (const m of creditCard.find(text)) assert.deepEqual([m.start, m.end], [0, text.length]);
      }),
      { numRuns: RUNS },
    );
  });

  it('credit card: a number failing Luhn is no card, plain or with one kind of gap', () => {
    fc.assert(
      fc.property(
        gen.nonLuhnCardDigits.chain((d) => gen.uniformLayout(d)),
        (text) => assert.deepEqual(creditCard.find(text), []),
      ),
      { numRuns: RUNS },
    );
  });

  it('phone and national ID: a plain run of digits is neither', () => {
    fc.assert(
      fc.property(gen.plainDigits, fc.constantFrom('', 'no. ', 'id '), (digits, prefix) => {
        assert.deepEqual(phone.find(prefix + digits), []);
        assert.deepEqual(nationalId.find(prefix + digits), []);
      }),
      { numRuns: RUNS },
    );
  });

  it('SSN: nine valid digits in three or more groups of up to four, one gap kind throughout, are found whole', () => {
    fc.assert(
      fc.property(
        gen.ssnDigits,
        gen.partition(9, 1, 4).filter((sizes) => sizes.length >= 3),
        fc.constantFrom('-', '/', '_', '--', ' - '),
        fc.constantFrom('', 'id ', 'x: ', '('),
        (d, sizes, gap, prefix) => {
          let at = 0;
          const value = sizes.map((size) => d.slice(at, (at += size)).join('')).join(gap);
          const text = prefix + value;
          const found = nationalId.find(text);
          assert.deepEqual(
            found.map((m) => text.slice(m.start, m.end)),
            [value],
            JSON.stringify(text),
          );
          const masked = maskText(text, [nationalId])!;
          assert.ok(!masked.includes(value) && !masked.includes(d.join('')), masked);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('SSN: after a keyword, nine valid digits in any layout (plain too) are found', () => {
    fc.assert(
      fc.property(
        gen.ssnDigits,
        gen.partition(9, 1, 9),
        fc.constantFrom('', ' ', '-', '.', '/'),
        fc.constantFrom(
          'SSN ',
          'ssn: ',
          'SSN#',
          'ss# ',
          'Social Security No. ',
          'social_security_number=',
        ),
        (d, sizes, gap, keyword) => {
          // Four groups of up to three digits joined by dots read as an IPv4 address, keyword or not.
          fc.pre(!(gap === '.' && sizes.length === 4 && sizes.every((size) => size <= 3)));
          let at = 0;
          const value = sizes.map((size) => d.slice(at, (at += size)).join('')).join(gap);
          const text = keyword + value;
          const masked = maskText(text, [nationalId]);
          assert.ok(masked !== undefined, JSON.stringify(text));
          assert.ok(!masked.replace(/\D/g, '').includes(d.join('').slice(0, 5)), masked);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('phone: a local number without its area code (NXX-XXXX, NXX XXXX) is found whole', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 200, max: 999 }).filter((x) => x % 100 !== 11),
        fc.integer({ min: 0, max: 9999 }),
        fc.constantFrom('-', ' '),
        fc.constantFrom('', 'call ', 'tel: '),
        (exchange, line, gap, prefix) => {
          fc.pre(!(line % 100 === 0 && line > exchange));
          const value = `${exchange}${gap}${String(line).padStart(4, '0')}`;
          const text = prefix + value;
          assert.deepEqual(
            phone.find(text).map((m) => text.slice(m.start, m.end)),
            [value],
            JSON.stringify(text),
          );
        },
      ),
      { numRuns: RUNS },
    );
  });

  const others: Array<[string, fc.Arbitrary<string>, Detector[]]> = [
    ['dates and timestamps', gen.dateOrTime, ALL],
    ['UUIDs', gen.uuid, ALL],
    ['IPv4 addresses (to all but the ip detector)', gen.ipv4Text, ALL.filter((d) => d !== ip)],
    ['prices', gen.price, ALL],
    ['version strings', gen.version, ALL],
    ['order numbers', gen.orderNumber, ALL],
  ];
  for (const [what, arb, detectors] of others) {
    it(`leaves ${what} alone, alone and in a sentence`, () => {
      fc.assert(
        fc.property(arb, fc.constantFrom('', 'shipped on ', 'ref: '), (value, prefix) => {
          const text = `${prefix}${value}`;
          assert.deepEqual(findAll(text, detectors), [], JSON.stringify(text));
        }),
        { numRuns: RUNS },
      );
    });
  }
});

/**
 * Where no rule tells a value apart, the rate at which values of the kind
 * are flagged, over a fixed sample (seeded, so the figures are stable).
 * `HOOP_BENCH=1` prints them; the bounds catch a rule that gets looser.
 */
describe('false-positive rates where zero is not achievable', () => {
  const SAMPLE = 20_000;
  const rate = (arb: fc.Arbitrary<string>, detectors: Detector[]): number => {
    let flagged = 0;
    for (const text of fc.sample(arb, { numRuns: SAMPLE, seed: 0x4805 })) {
      if (findAll(text, detectors).length > 0) flagged++;
    }
    return flagged / SAMPLE;
  };
  const report = (what: string, value: number): void => {
    if (process.env.HOOP_BENCH)
      console.log(`false positives, ${what}: ${(value * 100).toFixed(2)}%`);
  };

  const digitRun = (min: number, max: number): fc.Arbitrary<string> =>
    fc
      .integer({ min, max })
      .chain((n) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }))
      .map((d) => d.join(''));

  const cases: Array<[string, fc.Arbitrary<string>, Detector[], number]> = [
    // Luhn passes one in ten; a card prefix starts about four in ten random numbers.
    ['plain 13–19 digit numbers as cards', digitRun(13, 19), [creditCard], 0.06],
    [
      'millisecond and microsecond timestamps of 1970–2100 as cards',
      fc
        .integer({ min: 0, max: 4_102_444_800 })
        .chain((t) => fc.constantFrom(`${t}000`, `${t}000000`)),
      ALL,
      0.06,
    ],
    [
      'lists of 12–19 digits of small numbers (`4 5 3 5 …`) as cards',
      fc
        .array(fc.integer({ min: 0, max: 99 }), { minLength: 6, maxLength: 19 })
        .map((list) => list.join(' '))
        .filter((text) => {
          const digits = text.replace(/\D/g, '').length;
          return digits >= 12 && digits <= 19;
        }),
      [creditCard],
      0.06,
    ],
    [
      'numbers failing Luhn, in mixed layouts (a window of them may pass)',
      gen.nonLuhnCardDigits.chain((d) => gen.cardLayout(d)),
      [creditCard],
      0.06,
    ],
    [
      '`NNN-NNNN` part numbers as local phone numbers',
      digitRun(7, 7).map((d) => `${d.slice(0, 3)}-${d.slice(3)}`),
      [phone],
      0.9,
    ],
    [
      '`NNN NNN NNNN` as North American phone numbers',
      // Area and exchange codes start 2–9 in 64%; a leading 0 reads as a trunk prefix.
      digitRun(10, 10).map((d) => `${d.slice(0, 3)} ${d.slice(3, 6)} ${d.slice(6)}`),
      [phone],
      0.8,
    ],
    [
      'prose with "at" and "dot" as spelled-out addresses',
      fc
        .array(
          fc.constantFrom(
            'we',
            'met',
            'at',
            'the',
            'dot',
            'com',
            'office',
            'look',
            'this',
            'on',
            'a',
            'site',
            'net',
            'home',
            'org',
          ),
          {
            minLength: 3,
            maxLength: 12,
          },
        )
        .map((words) => words.join(' ')),
      [email],
      0.12,
    ],
  ];
  for (const [what, arb, detectors, bound] of cases) {
    it(`${what}: at most ${bound * 100}%`, () => {
      const measured = rate(arb, detectors);
      report(what, measured);
      assert.ok(measured <= bound, `${(measured * 100).toFixed(2)}%`);
    });
  }

  it('four-part version strings are IP addresses to the ip detector (by design)', () => {
    const measured = rate(
      fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((parts) => parts.join('.')),
      [ip],
    );
    report('4-part versions as IP addresses', measured);
    assert.equal(measured, 1);
  });
});
