import { codeAt, foldedFinder, isWordChar } from '../chars.js';
import { profileText } from '../profile.js';
import { redactPhone } from '../redact.js';
import { redactPhoneUtf8 } from '../redact-utf8.js';
import type { Detector, Match } from '../types.js';
import {
  forEachDigitRun,
  gapChars,
  gapsHolding,
  readGroups,
  sameSizes,
  standsApart,
  uniformGaps,
  holdsDate,
  type DigitRun,
} from './digit-groups.js';

const PLUS = 0x2b;
const OPEN = 0x28;
const CLOSE = 0x29;
const SPACE = 0x20;
const DASH = 0x2d;
const DOT = 0x2e;

/** Space, `-`, `.`, `/` and the parentheses around an area code. */
const GAPS = gapChars(' -./()');
const MAX_GAP = 3;

/**
 * Phone numbers. Digits come in groups joined by gaps of one to three of
 * space, `-`, `.`, `/` (after folding, so Unicode spaces and dashes count),
 * with parentheses around one group (`(415)`, `+44 (0)20`). A number is:
 *
 * - international: `+` and 8–15 digits, the first not 0, in any grouping
 *   (`+14155552671`, `+44 20 7946 0958`, `+1 (415) 555-2671`,
 *   `+4 4 2 0 7 9 4 6 0 9 5 8`); or `00` instead of the `+` (10–17 digits);
 * - North American: 3-3-4 digits, area and exchange codes starting 2–9
 *   (`415-555-2671`, `415.555.2671`, `(415) 555-2671`, `415 555-2671`), also
 *   after a `1` (`1-415-555-2671`), and with single digits whose more frequent
 *   gap joins them (`4 1 5 - 5 5 5 - 2 6 7 1`);
 * - national with a trunk `0`: 9–13 digits in two or more groups of two or
 *   more digits, the second digit not 0 (`020 7946 0958`, `06 12 34 56 78`,
 *   `030/901820`, `0151 23456789`);
 * - any 9–15 digits whose first group is in parentheses (`(020) 7946 0958`);
 * - local North American: `NXX-XXXX` with one `-` (`555-2671`), the exchange
 *   starting 2–9 and not N11 (`411`), and not a range of round numbers
 *   (`500-1000`).
 *
 * Against false positives, all deliberate:
 * - a plain run of digits without `+` is never a phone (order numbers, IDs,
 *   amounts): `20240115001234`, `4155552671`;
 * - `.` may not be mixed with other gaps and needs three or more groups
 *   (`3.14159265` and `0.5 0.25` are numbers);
 * - a date inside the digits (`01/15/2024`, `2024-01-15`, `15.01.2024`: three
 *   groups joined by the same `/`, `.` or `-` with day, month and year sizes,
 *   standing apart) rules the number out;
 * - digits glued to letters or joined to others by `:` or `,` (times,
 *   versions, thousands) are skipped (`digit-groups.ts`);
 * - inside a longer run of groups a number must stand apart, the gaps
 *   around it differing from those inside (`415-555-2671-99` is none);
 * - SSNs (3-2-4), cards (4-4-4-4) and Aadhaar numbers (4-4-4) have other
 *   shapes and are left to their own detectors.
 */
export const phone: Detector = {
  name: 'phone',
  // Without `+` a phone has separators, so a plain run of digits never is one.
  admits: (p) => p.digits >= 7 && p.length > p.digits,
  mightContain: (text) => phone.admits(profileText(text)),
  find: foldedFinder(findPhones),
  findFolded: findPhones,
  redact: redactPhone,
  redactUtf8: redactPhoneUtf8,
};

function findPhones(text: string): Match[] {
  const out: Match[] = [];
  forEachDigitRun(text, GAPS, MAX_GAP, 7, (run) => {
    let lead = run.starts[0]!;
    const opens = codeAt(text, lead - 1) === OPEN;
    if (opens) lead--;
    const plus = codeAt(text, lead - 1) === PLUS && !isWordChar(codeAt(text, lead - 2));
    let i = 0;
    if (plus) {
      let best = -1;
      let digits = 0;
      for (let j = 0; j < run.count; j++) {
        digits += run.ends[j]! - run.starts[j]!;
        if (digits > 15) break;
        if (digits >= 8 && parensEnd(text, run, 0, j, opens) !== -1 && dotsOk(text, run, 0, j)) {
          best = j;
        }
      }
      // `+0…` is no country code: the run is no phone from its first group.
      if (text.charCodeAt(run.starts[0]!) === 0x30) best = -1;
      if (best !== -1) out.push({ start: lead - 1, end: parensEnd(text, run, 0, best, opens) });
      i = best + 1 || 1;
    }
    const dotted = gapsHolding(text, run, [DOT]);
    for (; i < run.count; i++) {
      const found = longestPhone(text, run, i, i === 0 ? opens : undefined, dotted);
      if (found !== undefined) {
        out.push(found.match);
        i = found.last;
      }
    }
  });
  return out;
}

/**
 * The longest phone number (without `+`) starting at group `i`, and its last
 * group. Grows the window a group at a time, keeping what the rules need, so
 * that each start costs at most 17 cheap steps; only a window a rule could
 * accept by its digit count pays for the layout checks.
 */
function longestPhone(
  text: string,
  run: DigitRun,
  i: number,
  opensRun: boolean | undefined,
  dotted: readonly boolean[],
): { match: Match; last: number } | undefined {
  const open = opensRun ?? text.charCodeAt(run.starts[i]! - 1) === OPEN;
  const d0 = digitAt(text, run, i, 0);
  const d1 = digitAt(text, run, i, 1);
  const closesFirst = open && text.charCodeAt(run.ends[i]!) === CLOSE;
  let found: { match: Match; last: number } | undefined;
  let digits = 0;
  let smallest = Infinity;
  let uniform = true;
  let dots = false;
  const inner: number[] = [];
  for (let j = i; j < run.count; j++) {
    const size = run.ends[j]! - run.starts[j]!;
    digits += size;
    if (digits > 17) break;
    smallest = Math.min(smallest, size);
    if (j > i) {
      const gap = run.gaps[j - 1]!;
      if (gap !== run.gaps[i]) uniform = false;
      if (!inner.includes(gap)) inner.push(gap);
      if (dotted[j - 1]) dots = true;
    }
    // Without `+`, a number is split into groups: a plain run of digits is some other number.
    if (j === i || digits < 7) continue;
    const candidate =
      (d0 === 0 && d1 === 0 && digits >= 10) ||
      (digits <= 15 &&
        (digits === 7 ||
          digits === 10 ||
          digits === 11 ||
          (closesFirst && digits >= 9) ||
          (d0 === 0 && digits >= 9 && digits <= 13 && smallest >= 2)));
    // `.` only on its own, in three or more groups: `3.14159265` is a decimal.
    if (!candidate || (dots && !(uniform && j - i >= 2))) continue;
    if (!(i === 0 && j === run.count - 1) && !standsApart(run, i, j, inner)) continue;
    const end = parensEnd(text, run, i, j, open);
    if (end === -1 || holdsDate(run, i, j) || !accepts(text, run, i, j, digits, open)) continue;
    found = { match: { start: open ? run.starts[i]! - 1 : run.starts[i]!, end }, last: j };
  }
  return found;
}

/**
 * The end of groups `i..j` with their parentheses balanced (a `(` opens right
 * before a group, and its `)` closes right after that group), or -1.
 */
function parensEnd(text: string, run: DigitRun, i: number, j: number, open: boolean): number {
  let inside = open;
  for (let g = i; g < j; g++) {
    const from = run.ends[g]!;
    const to = run.starts[g + 1]!;
    for (let k = from; k < to; k++) {
      const c = text.charCodeAt(k);
      if (c === CLOSE) {
        if (k !== from || !inside) return -1;
        inside = false;
      } else if (c === OPEN) {
        if (k !== to - 1 || inside) return -1;
        inside = true;
      }
    }
    // A `(` closes right after its one group: still inside, this gap must have opened it.
    if (inside && text.charCodeAt(to - 1) !== OPEN) return -1;
  }
  if (!inside) return run.ends[j]!;
  return codeAt(text, run.ends[j]!) === CLOSE ? run.ends[j]! + 1 : -1;
}

/** `.` only on its own, in three or more groups: `3.14159265` is a decimal. */
function dotsOk(text: string, run: DigitRun, i: number, j: number): boolean {
  for (let g = i; g < j; g++) {
    for (let k = run.ends[g]!; k < run.starts[g + 1]!; k++) {
      if (text.charCodeAt(k) === DOT) return j - i >= 2 && uniformGaps(run, i, j);
    }
  }
  return true;
}

/** The rules of `phone` on groups `i..j`, past the cheap tests of `longestPhone`. */
function accepts(
  text: string,
  run: DigitRun,
  i: number,
  j: number,
  digits: number,
  open: boolean,
): boolean {
  const d = (k: number): number => digitAt(text, run, i, k);
  if (d(0) === 0 && d(1) === 0) return digits >= 10 && d(2) !== 0; // `00` + country code
  if (digits > 15) return false;
  const sizes = readGroups(run, i, j);
  return (
    (sameSizes(sizes, [3, 3, 4]) && d(0) >= 2 && d(3) >= 2) || // North American
    (sameSizes(sizes, [1, 3, 3, 4]) && d(0) === 1 && d(1) >= 2 && d(4) >= 2) ||
    (open && text.charCodeAt(run.ends[i]!) === CLOSE && digits >= 9) || // `(020) …`
    (d(0) === 0 && digits >= 9 && digits <= 13 && sizes.every((s) => s >= 2)) || // trunk 0
    (digits === 7 && sameSizes(sizes, [3, 4]) && localNumber(text, run, i))
  );
}

/**
 * `NXX-XXXX`, `NXX XXXX` or `NXX.XXXX` (a local number without its area
 * code): one `-`, space or `.`, exchange 2–9 and not N11, not a range like
 * `500-1000`.
 */
function localNumber(text: string, run: DigitRun, i: number): boolean {
  const gap = text.charCodeAt(run.ends[i]!);
  if (run.ends[i]! + 1 !== run.starts[i + 1]! || (gap !== DASH && gap !== SPACE && gap !== DOT)) {
    return false;
  }
  const exchange = Number(text.slice(run.starts[i]!, run.ends[i]!));
  const line = Number(text.slice(run.starts[i + 1]!, run.ends[i + 1]!));
  if (exchange < 200 || exchange % 100 === 11) return false;
  return !(line % 100 === 0 && line > exchange);
}

/** The `k`-th digit of groups `i…` (0 past the end). */
function digitAt(text: string, run: DigitRun, i: number, k: number): number {
  for (let g = i; g < run.count; g++) {
    const size = run.ends[g]! - run.starts[g]!;
    if (k < size) return text.charCodeAt(run.starts[g]! + k) - 0x30;
    k -= size;
  }
  return 0;
}
