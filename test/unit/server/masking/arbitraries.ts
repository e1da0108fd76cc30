/**
 * fast-check generators for the detector property tests: valid values in
 * every layout a detector documents (`detectors/*.ts`), disguised the ways
 * the fold reads through, and values of other kinds that must not match.
 *
 * A generated value is first written in ASCII (its fold), then optionally
 * disguised: its digits in another script, its separators as Unicode
 * equivalents, invisible characters between its characters. The folded
 * layout decides what the detector sees, so a disguise never changes whether
 * a value is valid.
 */
import fc from 'fast-check';

import { IBAN_LENGTHS } from '../../../../src/server/masking/detectors/iban.js';
import { luhnValid, verhoeffValid } from '../../../../src/server/masking/checksums.js';

/** A generated value, what redaction must hide of it, and what its redaction must be. */
export interface Sample {
  value: string;
  /** For digit-based values: the digits a redaction keeps visible, last ones. */
  keep?: number;
  /** The exact redaction, when the format fixes it. */
  redacted?: string;
  /** The kind the detector must name the match with. */
  kind?: string;
}

// --- digits and checksums --------------------------------------------------

const digit = fc.integer({ min: 0, max: 9 });
export const digits = (n: number): fc.Arbitrary<number[]> =>
  fc.array(digit, { minLength: n, maxLength: n });

/** `body` followed by the digit that makes the whole pass `valid`. */
function checked(body: number[], valid: (d: readonly number[]) => boolean): number[] {
  for (let c = 0; c < 10; c++) if (valid([...body, c])) return [...body, c];
  throw new Error('no check digit');
}

/** Issuer prefixes and lengths of the schemes `knownIin` accepts. */
const CARD_SCHEMES: ReadonlyArray<[string, number[]]> = [
  ['4', [13, 16, 19]], // Visa
  ['51', [16]],
  ['55', [16]],
  ['2221', [16]],
  ['2720', [16]], // Mastercard
  ['34', [15]],
  ['37', [15]], // Amex
  ['6011', [16, 19]],
  ['65', [16]], // Discover
  ['3528', [16]],
  ['3589', [16]], // JCB
  ['36', [14]],
  ['300', [14]], // Diners
  ['62', [16, 17, 18, 19]], // UnionPay
  ['50', [12, 13, 19]],
  ['6759', [12, 16]], // Maestro
];

/** A Luhn-valid card number of a known scheme, as its digits. */
export const cardDigits: fc.Arbitrary<number[]> = fc
  .constantFrom(...CARD_SCHEMES)
  .chain(([prefix, lengths]) =>
    fc
      .constantFrom(...lengths)
      .chain((length) => digits(length - prefix.length - 1))
      .map((rest) => checked([...[...prefix].map(Number), ...rest], luhnValid)),
  );

/** A card number of a known scheme whose Luhn check fails. */
export const nonLuhnCardDigits: fc.Arbitrary<number[]> = fc
  .tuple(cardDigits, fc.integer({ min: 1, max: 9 }))
  .map(([d, delta]) => [...d.slice(0, -1), (d[d.length - 1]! + delta) % 10]);

// --- layouts ----------------------------------------------------------------

/** Sizes of `min` to `max` digits adding up to `n` (which must allow it). */
export function partition(n: number, min: number, max: number): fc.Arbitrary<number[]> {
  const fewest = Math.ceil(n / max);
  const most = Math.floor(n / min);
  return fc.integer({ min: fewest, max: most }).chain((count) =>
    fc.array(fc.nat({ max: count - 1 }), { minLength: n, maxLength: n }).map((picks) => {
      const sizes = Array.from({ length: count }, () => min);
      let left = n - count * min;
      for (const pick of picks) {
        if (left === 0) break;
        // The first group from `pick` on with room takes one more digit.
        for (let k = 0; k < count; k++) {
          const g = (pick + k) % count;
          if (sizes[g]! < max) {
            sizes[g]!++;
            left--;
            break;
          }
        }
      }
      return sizes;
    }),
  );
}

/** A gap of one to three characters from `chars`. */
const gap = (chars: string): fc.Arbitrary<string> =>
  fc.array(fc.constantFrom(...chars), { minLength: 1, maxLength: 3 }).map((c) => c.join(''));

/** `d` cut into groups of `sizes` joined by `gaps` (cycled). */
function layOut(d: readonly number[], sizes: readonly number[], gaps: readonly string[]): string {
  let out = '';
  let at = 0;
  sizes.forEach((size, g) => {
    if (g > 0) out += gaps[(g - 1) % gaps.length];
    out += d.slice(at, at + size).join('');
    at += size;
  });
  return out;
}

/**
 * A number plain or with one kind of gap between groups of one to eight
 * digits: laid out so that no window of it stands apart from the rest.
 */
export function uniformLayout(d: readonly number[]): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constant(d.join('')),
    fc.tuple(gap(' -_'), partition(d.length, 1, 8)).map(([g, sizes]) => layOut(d, sizes, [g])),
  );
}

/** The card layouts of `credit-card.ts`. */
export function cardLayout(d: readonly number[]): fc.Arbitrary<string> {
  const n = d.length;
  return fc.oneof(
    // Plain: 12-digit numbers only grouped.
    fc.constant(n === 12 ? d.slice(0, 4).join('') + ' ' + d.slice(4).join('') : d.join('')),
    // Every gap the same, any group sizes.
    fc.tuple(gap(' -_'), partition(n, 1, 8)).map(([g, sizes]) => layOut(d, sizes, [g])),
    // Mixed gaps between groups of three or more (`.` and `/` between groups of three to
    // six), except a dotted quad.
    fc
      .tuple(partition(n, 3, 6), fc.array(gap(' -./_'), { minLength: 1, maxLength: 8 }))
      .filter(([sizes, gaps]) => !(sizes.length === 4 && sizes[0] === 3 && gaps[0] === '.'))
      .map(([sizes, gaps]) => layOut(d, sizes, gaps)),
    // Single digits, two kinds of gap.
    fc
      .tuple(gap(' -_'), gap(' -_'), fc.array(fc.boolean(), { minLength: n, maxLength: n }))
      .map(([a, b, which]) =>
        layOut(
          d,
          d.map(() => 1),
          which.map((w) => (w ? a : b)),
        ),
      ),
  );
}

// --- disguises ---------------------------------------------------------------

/** Zero code points of the digit scripts a disguise may use. */
const DIGIT_ZEROS = [0x30, 0x30, 0x30, 0xff10, 0x0660, 0x06f0, 0x0966, 0x0e50, 0x1d7ce];
/** Characters that fold to each separator. */
const LOOKALIKES: Readonly<Record<string, readonly string[]>> = {
  ' ': [' ', '\u00a0', '\u2009', '\u202f', '\u3000'],
  '-': ['-', '\u2010', '\u2011', '\u2013', '\u2212', '\uff0d'],
  '.': ['.', '\uff0e', '\u00b7'],
  '/': ['/', '\uff0f'],
  _: ['_', '\uff3f'],
  '@': ['@', '\uff20', '\ufe6b'],
  '(': ['(', '\uff08'],
  ')': [')', '\uff09'],
  '+': ['+', '\uff0b'],
};
const INVISIBLES = ['\u200b', '\u200c', '\u2060', '\u00ad', '\ufeff'];

/**
 * `value` disguised: its ASCII digits in one other script, its separators
 * as look-alikes, invisible characters between characters (not at either
 * end, which would be outside the value's span). The fold of the result is
 * `value`.
 */
export function disguise(value: string, options: { digits?: boolean } = {}): fc.Arbitrary<string> {
  const chars = [...value];
  return fc
    .record({
      zero: options.digits === false ? fc.constant(0x30) : fc.constantFrom(...DIGIT_ZEROS),
      separators: fc.array(fc.nat(), { minLength: chars.length, maxLength: chars.length }),
      invisible: fc.array(fc.nat({ max: 12 }), {
        minLength: chars.length,
        maxLength: chars.length,
      }),
    })
    .map(({ zero, separators, invisible }) =>
      chars
        .map((c, i) => {
          const code = c.charCodeAt(0);
          let out = code >= 0x30 && code <= 0x39 ? String.fromCodePoint(zero + code - 0x30) : c;
          const alikes = LOOKALIKES[c];
          if (alikes) out = alikes[separators[i]! % alikes.length]!;
          if (i < chars.length - 1 && invisible[i]! < INVISIBLES.length)
            out += INVISIBLES[invisible[i]!];
          return out;
        })
        .join(''),
    );
}

/** `arb`'s values as they are (half the time) or disguised. */
function disguised(
  arb: fc.Arbitrary<Sample>,
  options?: { digits?: boolean },
): fc.Arbitrary<Sample> {
  return arb.chain((sample) =>
    fc.oneof(
      fc.constant(sample),
      disguise(sample.value, options).map((value) => ({ ...sample, value, redacted: undefined })),
    ),
  );
}

// --- valid values per detector ----------------------------------------------

export const card: fc.Arbitrary<Sample> = disguised(
  cardDigits.chain((d) => cardLayout(d)).map((value) => ({ value, keep: 4 })),
);

export const ssnDigits = fc
  .tuple(
    fc.integer({ min: 1, max: 899 }).filter((a) => a !== 666),
    fc.integer({ min: 1, max: 99 }),
    fc.integer({ min: 1, max: 9999 }),
  )
  .map(([a, g, s]) =>
    [String(a).padStart(3, '0'), String(g).padStart(2, '0'), String(s).padStart(4, '0')]
      .join('')
      .split('')
      .map(Number),
  );

/**
 * Groups `sizes` with any gaps, or single digits joined by one gap (not `.`:
 * four of them would read as an IP address) and split by another.
 */
function groupedLayout(d: readonly number[], sizes: readonly number[]): fc.Arbitrary<string> {
  return fc.oneof(
    fc
      .array(gap(' -./_'), { minLength: sizes.length - 1, maxLength: sizes.length - 1 })
      .map((gaps) => layOut(d, sizes, gaps)),
    fc
      .tuple(gap(' -/_'), gap(' -./_'))
      .filter(([minor, major]) => minor !== major)
      .map(([minor, major]) => {
        const ends = new Set(sizes.map((_, g) => sizes.slice(0, g + 1).reduce((a, b) => a + b)));
        return d.map((x, k) => (k === 0 ? '' : ends.has(k) ? major : minor) + x).join('');
      }),
  );
}

export const ssn: fc.Arbitrary<Sample> = disguised(
  ssnDigits
    .chain((d) => groupedLayout(d, [3, 2, 4]))
    .map((value) => ({ value, keep: 4, kind: 'ssn' })),
);

export const aadhaar: fc.Arbitrary<Sample> = disguised(
  fc
    .tuple(fc.integer({ min: 2, max: 9 }), digits(10))
    .map(([first, rest]) => checked([first, ...rest], verhoeffValid))
    .chain((d) => groupedLayout(d, [4, 4, 4]))
    .map((value) => ({ value, keep: 4, kind: 'aadhaar' })),
);

const nanpDigits = fc
  .tuple(fc.integer({ min: 2, max: 9 }), digits(2), fc.integer({ min: 2, max: 9 }), digits(6))
  .map(([a, b, c, d]) => [a, ...b, c, ...d]);

/** Gaps phones take: space, `-`, `/` mixed, or `.` throughout. */
function phoneGaps(count: number): fc.Arbitrary<string[]> {
  return fc.oneof(
    fc.array(gap(' -/'), { minLength: count, maxLength: count }),
    fc.constant(Array.from({ length: count }, () => '.')),
  );
}

export const phone: fc.Arbitrary<Sample> = disguised(
  fc
    .oneof(
      // International: + and 8–15 digits, first not 0, in any grouping.
      fc
        .tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 7, max: 14 }))
        .chain(([first, rest]) => digits(rest).map((d) => [first, ...d]))
        .chain((d) =>
          partition(d.length, 1, 5).chain((sizes) =>
            phoneGaps(sizes.length - 1)
              .filter((gaps) => gaps[0] !== '.' || sizes.length >= 3)
              .map((gaps) => '+' + layOut(d, sizes, gaps)),
          ),
        ),
      // International with the trunk 0 in parentheses: `+44 (0)20 7946 0958`.
      fc
        .tuple(fc.integer({ min: 1, max: 9 }), digits(1), digits(2), digits(4), digits(4))
        .map(
          ([cc, cc2, area, a, b]) =>
            `+${cc}${cc2.join('')} (0)${area.join('')} ${a.join('')} ${b.join('')}`,
        ),
      // North American.
      nanpDigits.chain((d) =>
        fc.oneof(
          phoneGaps(2).map((gaps) => layOut(d, [3, 3, 4], gaps)),
          fc
            .constantFrom('(', '1 (', '1-(')
            .map(
              (open) =>
                `${open}${d.slice(0, 3).join('')}) ${d.slice(3, 6).join('')}-${d.slice(6).join('')}`,
            ),
          phoneGaps(3).map((gaps) => layOut([1, ...d], [1, 3, 3, 4], gaps)),
          fc
            .tuple(gap(' -'), gap(' -'))
            .filter(([minor, major]) => minor !== major)
            .map(([minor, major]) =>
              d.map((x, k) => (k === 0 ? '' : k === 3 || k === 6 ? major : minor) + x).join(''),
            ),
        ),
      ),
      // National with a trunk 0: groups of two or more digits.
      fc
        .tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 7, max: 11 }))
        .chain(([second, rest]) => digits(rest).map((d) => [0, second, ...d]))
        .chain((d) =>
          fc
            .tuple(fc.integer({ min: 2, max: 5 }), fc.constantFrom(' ', '/', '-'))
            .chain(([area, first]) =>
              partition(d.length - area, 2, 4).map((sizes) => {
                const rest = layOut(d.slice(area), sizes, [' ']);
                return `${d.slice(0, area).join('')}${first}${rest}`;
              }),
            ),
        ),
      // Local: NXX-XXXX.
      fc
        .tuple(fc.integer({ min: 200, max: 999 }), fc.integer({ min: 0, max: 9999 }))
        .filter(
          ([exchange, line]) => exchange % 100 !== 11 && !(line % 100 === 0 && line > exchange),
        )
        .map(([exchange, line]) => `${exchange}-${String(line).padStart(4, '0')}`),
    )
    .map((value) => ({ value, keep: 2 })),
);

const ATEXT = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+/=?^_`{|}~-";
const atom = fc
  .array(fc.constantFrom(...ATEXT), { minLength: 1, maxLength: 8 })
  .map((c) => c.join(''));
const letters = (min: number, max: number): fc.Arbitrary<string> =>
  fc
    .array(fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz'), { minLength: min, maxLength: max })
    .map((c) => c.join(''));
const label = fc
  .tuple(
    letters(1, 1),
    fc.array(fc.constantFrom(...'abcxyz0189-'), { maxLength: 8 }),
    letters(0, 1),
  )
  .map(([a, b, c]) => a + b.join('') + c)
  .filter((l) => !l.endsWith('-'));
const unicodeLabel = fc.constantFrom('bücher', 'müller', '例子', 'пример', 'ñandú', 'δοκιμή');
const tld = fc.oneof(letters(2, 6), fc.constantFrom('xn--p1ai', 'xn--fiqs8s', 'рф', '中国'));
const localPart = fc.oneof(
  fc.array(atom, { minLength: 1, maxLength: 3 }).map((a) => a.join('.')),
  fc.constantFrom('zoë', '用户', 'ñandú.pérez', 'δοκιμή'),
);
const domainLabels = fc.array(fc.oneof(label, label, unicodeLabel), { minLength: 1, maxLength: 3 });

/** `a` … `@` … `example.com`, redacted to `a***@example.com`. */
export const email: fc.Arbitrary<Sample> = fc.oneof(
  fc.tuple(localPart, domainLabels, tld).map(([local, labels, top]) => {
    const domain = [...labels, top].join('.');
    const first = String.fromCodePoint(local.codePointAt(0)!);
    return { value: `${local}@${domain}`, redacted: `${first}***@${domain}` };
  }),
  // Quoted local part.
  fc
    .tuple(
      fc.array(fc.constantFrom(...'ab xy12'), { minLength: 1, maxLength: 12 }),
      domainLabels,
      tld,
    )
    .map(([q, labels, top]) => {
      const domain = [...labels, top].join('.');
      return { value: `"${q.join('')}"@${domain}`, redacted: `"***@${domain}` };
    }),
  // Full-width: the whole address.
  fc
    .tuple(fc.array(atom, { minLength: 1, maxLength: 2 }), domainLabels, tld)
    .map(([atoms, labels, top]) => {
      const wide = (s: string): string =>
        [...s]
          .map((c) => (c < '\u0080' ? String.fromCharCode(c.charCodeAt(0) + 0xfee0) : c))
          .join('');
      const local = wide(atoms.join('.'));
      const domain = wide(`@${[...labels, top].join('.')}`);
      return { value: local + domain, redacted: `${local[0]}***${domain}` };
    }),
  // At and dots spelled out.
  fc
    .tuple(
      fc.array(atom, { minLength: 1, maxLength: 2 }),
      fc.constantFrom('[at]', '(at)', '{at}', '<at>', ' [at] ', ' ( at ) ', ' at ', ' AT ', '@'),
      domainLabels,
      tld,
      fc.array(fc.constantFrom('.', '[dot]', ' [dot] ', '(dot)', ' dot ', ' DOT '), {
        minLength: 4,
        maxLength: 4,
      }),
    )
    .map(([atoms, at, labels, top, dots]) => {
      const local = atoms.join('.');
      // A bare at needs a spelled-out dot: the last one.
      if (at.trim().toLowerCase() === 'at') dots[labels.length - 1] = ' dot ';
      const domain = [...labels, top].map((l, k) => (k === 0 ? '' : dots[k - 1]) + l).join('');
      const kind = at === '@' ? undefined : 'spelled';
      return { value: `${local}${at}${domain}`, redacted: `${local[0]}***${at}${domain}`, kind };
    }),
);

function mod97(text: string): number {
  let rest = 0;
  for (const c of text) rest = (rest * (c <= '9' ? 10 : 100) + parseInt(c, 36)) % 97;
  return rest;
}

export const iban: fc.Arbitrary<Sample> = fc
  .constantFrom(...Object.entries(IBAN_LENGTHS))
  .chain(([country, length]) =>
    fc
      .array(fc.constantFrom(...'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'), {
        minLength: length - 4,
        maxLength: length - 4,
      })
      .map((b) => {
        const bban = b.join('');
        const check = String(98 - mod97(`${bban}${country}00`)).padStart(2, '0');
        return `${country}${check}${bban}`;
      }),
  )
  .chain((compact) =>
    fc.boolean().map((grouped) => {
      const value = grouped ? compact.replace(/(.{4})(?!$)/g, '$1 ') : compact;
      // Country code and the last four letters or digits stay.
      let tail = value.length;
      for (let kept = 0; kept < 4;) if (/[A-Z0-9]/.test(value[--tail]!)) kept++;
      const hidden = value.slice(2, tail).replace(/[A-Z0-9]/g, '*');
      return { value, redacted: value.slice(0, 2) + hidden + value.slice(tail) };
    }),
  );

export const ip: fc.Arbitrary<Sample> = fc.oneof(
  fc.ipV4().map((value) => ({ value, kind: 'ipv4', redacted: `${value.split('.')[0]}.x.x.x` })),
  fc
    .ipV6()
    .filter((value) => /[0-9a-f]/i.test(value))
    .map((value) => ({
      value,
      kind: 'ipv6',
      redacted: `${value.split(':')[0] || 'x'}:x:x:x:x:x:x:x`,
    })),
);

const alnum = (
  n: number,
  chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789',
) => fc.array(fc.constantFrom(...chars), { minLength: n, maxLength: n }).map((c) => c.join(''));
const b64url = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';

export const secret: fc.Arbitrary<Sample> = fc
  .oneof(
    fc
      .tuple(fc.constantFrom('AKIA', 'ASIA'), alnum(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'))
      .map(([p, s]) => ['aws_access_key', p + s]),
    fc
      .tuple(fc.constantFrom('ghp_', 'gho_', 'ghs_'), alnum(36))
      .map(([p, s]) => ['github_token', p + s]),
    alnum(24).map((s) => ['stripe_key', `sk_live_${s}`]),
    alnum(35, b64url).map((s) => ['google_api_key', `AIza${s}`]),
    alnum(40, b64url).map((s) => ['hoop_api_key', `hoop_${s}`]),
    fc.tuple(alnum(20, b64url), alnum(30, b64url)).map(([payload, sig]) => {
      const header = Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url');
      return ['jwt', `${header}.${payload}.${sig}`];
    }),
  )
  .map(([kind, value]) => ({ value: value!, kind, redacted: `[REDACTED:${kind}]` }));

// --- values of other kinds ---------------------------------------------------

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

const dateParts = fc.record({
  y: fc.integer({ min: 1900, max: 2099 }),
  m: fc.integer({ min: 1, max: 12 }),
  d: fc.integer({ min: 1, max: 28 }),
  h: fc.integer({ min: 0, max: 23 }),
  min: fc.integer({ min: 0, max: 59 }),
  s: fc.integer({ min: 0, max: 59 }),
  ms: fc.integer({ min: 0, max: 999_999 }),
});

/** Dates and timestamps in the layouts databases and people print. */
export const dateOrTime: fc.Arbitrary<string> = fc.oneof(
  dateParts.chain(({ y, m, d, h, min, s, ms }) =>
    fc.constantFrom(
      `${y}-${pad(m)}-${pad(d)}`,
      `${y}-${pad(m)}-${pad(d)} ${pad(h)}:${pad(min)}:${pad(s)}`,
      `${y}-${pad(m)}-${pad(d)}T${pad(h)}:${pad(min)}:${pad(s)}.${pad(ms, 6)}Z`,
      `${y}-${pad(m)}-${pad(d)} ${pad(h)}:${pad(min)}:${pad(s)}.${pad(ms, 6)}+02`,
      `${pad(d)}/${pad(m)}/${y}`,
      `${m}/${d}/${y}`,
      `${pad(d)}.${pad(m)}.${y}`,
      `${d}.${m}.${y} ${h}:${pad(min)}`,
      `${y}${pad(m)}${pad(d)}${pad(h)}${pad(min)}${pad(s)}`,
      `${y}/${pad(m)}/${pad(d)}`,
      new Date(Date.UTC(y, m - 1, d, h, min, s)).toUTCString(),
    ),
  ),
  // Ranges and lists of dates.
  fc
    .tuple(dateParts, dateParts, fc.constantFrom(' - ', ' ', ' to ', ', ', '–'))
    .chain(([a, b, sep]) =>
      fc.constantFrom(
        `${a.m}/${a.d}/${a.y}${sep}${b.m}/${b.d}/${b.y}`,
        `${pad(a.d)}.${pad(a.m)}.${a.y}${sep}${pad(b.d)}.${pad(b.m)}.${b.y}`,
        `${a.y}-${pad(a.m)}-${pad(a.d)}${sep}${b.y}-${pad(b.m)}-${pad(b.d)}`,
      ),
    ),
  // Epoch seconds, milliseconds, microseconds, 2001–2033. Before and after, milliseconds and
  // microseconds are plain 12–16 digit numbers that may start like a card's: measured below.
  fc
    .integer({ min: 1_000_000_000, max: 1_999_999_999 })
    .chain((t) => fc.constantFrom(String(t), `${t}000`, `${t}000000`, `${t}.${pad(t % 1000, 3)}`)),
);

export const uuid: fc.Arbitrary<string> = fc
  .tuple(fc.uuid(), fc.constantFrom('', 'upper', 'braces'))
  .map(([u, style]) => (style === 'upper' ? u.toUpperCase() : style === 'braces' ? `{${u}}` : u));

export const ipv4Text: fc.Arbitrary<string> = fc.oneof(
  fc.ipV4(),
  fc.tuple(fc.ipV4(), fc.integer({ min: 1, max: 65535 })).map(([a, port]) => `${a}:${port}`),
  fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 32 })).map(([a, bits]) => `${a}/${bits}`),
  fc.tuple(fc.ipV4(), fc.ipV4()).map(([a, b]) => `${a} ${b}`),
);

export const price: fc.Arbitrary<string> = fc.oneof(
  fc
    .tuple(fc.integer({ min: 0, max: 99_999_999 }), fc.integer({ min: 0, max: 99 }))
    .chain(([units, cents]) =>
      fc.constantFrom(
        `$${units.toLocaleString('en-US')}.${pad(cents)}`,
        `${units}.${pad(cents)} EUR`,
        `€${units.toLocaleString('de-DE')},${pad(cents)}`,
        `${units.toLocaleString('fr-FR').replace(/\u202f/g, ' ')},${pad(cents)} €`,
        `USD ${units}`,
      ),
    ),
  // A list of prices.
  fc
    .array(fc.tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 99 })), {
      minLength: 2,
      maxLength: 8,
    })
    .map((list) => list.map(([u, c]) => `${u}.${pad(c)}`).join(' ')),
);

export const version: fc.Arbitrary<string> = fc
  .tuple(
    fc.integer({ min: 0, max: 30 }),
    fc.integer({ min: 0, max: 99 }),
    fc.integer({ min: 0, max: 9999 }),
    fc.constantFrom('', '-beta.1', '-rc.12', '+build.20240115', '+20240115'),
    fc.constantFrom('', 'v', 'version '),
  )
  .map(([a, b, c, suffix, prefix]) => `${prefix}${a}.${b}.${c}${suffix}`);

export const orderNumber: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: 0, max: 999_999 }), fc.integer({ min: 2000, max: 2099 }))
  .chain(([n, y]) =>
    fc.constantFrom(
      `ORD-${y}-${pad(n, 6)}`,
      `#${n}`,
      `INV/${y}/${pad(n, 5)}`,
      `order ${n}`,
      `PO${y}${pad(n, 6)}`,
    ),
  );

/** A run of 1–40 digits, plain. */
export const plainDigits: fc.Arbitrary<string> = fc
  .array(digit, { minLength: 1, maxLength: 40 })
  .map((d) => d.join(''));
