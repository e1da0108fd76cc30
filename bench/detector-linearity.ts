/**
 * `npm run bench:linearity`: scanning stays linear. Text built to make a
 * backtracking regex or a careless rescan go quadratic is masked by every
 * detector at once, at 256 KiB and at 1 MiB; a linear scan takes about four
 * times as long for four times the text, a quadratic one sixteen. Each time is
 * the best of two passes, so a loaded machine blurs the figures less.
 * (A timing check, so it lives here and not in the test suite.)
 *
 * Exit status: 0 when every input grew less than eight times (or took under
 * 100 ms at 1 MiB, where the ratio is noise), 1 otherwise.
 */
import { DETECTORS } from '../src/server/masking/detectors.js';
import { maskText, maskUtf8 } from '../src/server/masking/scan.js';
import { randomText, seeded } from '../test/unit/server/masking/samples.js';
import { table } from './lib/stats.js';

const ALL = Object.values(DETECTORS);
const MIB = 1 << 20;
/** Growth from 256 KiB to 1 MiB above which an input counts as not linear. */
const MAX_GROWTH = 8;

function repeat(unit: string, length = MIB): string {
  return unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
}

function random(length: number): string {
  const next = seeded(7);
  let text = '';
  while (text.length < length) text += randomText(next) + ' ';
  return text.slice(0, length);
}

const INPUTS: Array<[string, (length: number) => string]> = [
  ['digits split by spaces', (n) => repeat('1 ', n)],
  ['digits split by dashes', (n) => repeat('1-', n)],
  ['card-sized groups', (n) => repeat('4111 ', n)],
  ['mixed gaps', (n) => repeat('4111-1111 1111.', n)],
  ['one long digit string', (n) => repeat('4', n)],
  ['dotted digits', (n) => repeat('1.', n)],
  ['dotted quads', (n) => repeat('10.0.0.1 ', n)],
  ['parenthesised groups', (n) => repeat('(1) ', n)],
  ['plus signs and digits', (n) => repeat('+1 ', n)],
  ['trunk zeros', (n) => repeat('0 ', n)],
  ['dates', (n) => repeat('12/12/2024 ', n)],
  ['digits glued to letters', (n) => repeat('x1', n)],
  ['thousands', (n) => repeat('1,', n)],
  ['full-width digits', (n) => repeat('４ ', n)],
  ['invisible characters between digits', (n) => repeat('\u200b1', n)],
  ['a long local part before one @', (n) => repeat('a', n - 1) + '@'],
  ['@ signs', (n) => repeat('a@', n)],
  ['dots and @ signs', (n) => repeat('.@a', n)],
  ['a long domain', (n) => 'a@' + repeat('a.', n - 2)],
  ['quotes and @ signs', (n) => repeat('"a"@', n)],
  ['spelled-out ats', (n) => repeat(' at ', n)],
  ['spelled-out address parts', (n) => repeat('a at b dot ', n)],
  ['bracketed ats', (n) => repeat('[at]', n)],
  ['a long JWT-looking token', (n) => 'eyJ' + repeat('a', n - 3)],
  ['JWT-looking parts', (n) => repeat('eyJaaaa.', n)],
  ['AWS key prefixes', (n) => repeat('AKIA', n)],
  ['PEM headers', (n) => repeat('-----BEGIN RSA PRIVATE KEY-----', n)],
  ['IBAN starts', (n) => repeat('GB82', n)],
  ['colons and hex', (n) => repeat('f:', n)],
  ['colons, digits and dots', (n) => repeat('1:1.', n)],
  ['random text around samples', random],
];

/** Best of two passes, in milliseconds. */
function best(pass: () => void): number {
  let fastest = Infinity;
  for (let i = 0; i < 2; i++) {
    const started = performance.now();
    pass();
    fastest = Math.min(fastest, performance.now() - started);
  }
  return fastest;
}

const rows: string[][] = [];
let failed = 0;
for (const [what, build] of INPUTS) {
  const figures = [MIB / 4, MIB].map((length) => {
    const text = build(length);
    const bytes = Buffer.from(text, 'utf8');
    return { text: best(() => maskText(text, ALL)), bytes: best(() => maskUtf8(bytes, ALL)) };
  });
  const [small, large] = figures as [(typeof figures)[0], (typeof figures)[0]];
  const growth = Math.max(large.text / small.text, large.bytes / small.bytes);
  // Below a tenth of a second a pass is mostly warm-up and the machine's noise.
  const ok = growth < MAX_GROWTH || Math.max(large.text, large.bytes) < 100;
  if (!ok) failed += 1;
  rows.push([
    what,
    `${large.text.toFixed(0)} ms`,
    `${large.bytes.toFixed(0)} ms`,
    `${growth.toFixed(1)}×`,
    ok ? 'ok' : 'NOT LINEAR',
  ]);
  process.stderr.write(`${what}: ${growth.toFixed(1)}×\n`);
}
console.log(
  table([['1 MiB of', 'maskText', 'maskUtf8', 'growth from 256 KiB', 'result'], ...rows]),
);
console.log(
  failed
    ? `\n${failed} input(s) grew more than ${MAX_GROWTH}×.`
    : '\nEvery input scanned in linear time.',
);
process.exitCode = failed ? 1 : 0;
