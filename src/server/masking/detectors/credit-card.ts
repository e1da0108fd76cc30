import { luhnValid } from '../checksums.js';
import { codeAt, foldedFinder } from '../chars.js';
import { profileText } from '../profile.js';
import { redactCard } from '../redact.js';
import { redactCardUtf8 } from '../redact-utf8.js';
import type { Detector, Match } from '../types.js';
import {
  digitCount,
  forEachDigitRun,
  gapChars,
  gapsHolding,
  groupDigits,
  standsApart,
  type DigitRun,
} from './digit-groups.js';

export interface CreditCardOptions {
  /**
   * Also require a known issuer prefix (Visa, Mastercard, Amex, Discover,
   * JCB, Diners, UnionPay, Maestro). Default true: it drops the one in ten
   * random 13–19 digit numbers that pass Luhn by chance but start with 0, 1,
   * 7, 8 or 9.
   */
  knownIinOnly?: boolean;
}

/** Space, `-`, `.`, `/`, `_`: what people and programs put between the digits of a card. */
const GAPS = gapChars(' -./_');
const MAX_GAP = 3;
const PLUS = 0x2b;
const DOT = 0x2e;
const SLASH = 0x2f;

/**
 * Payment card numbers: 12–19 digits passing Luhn, in any grouping. The
 * digits may be split into groups by gaps of one to three separators (space,
 * `-`, `.`, `/`, `_`, after folding: `4111‐1111 1111 1111` with a Unicode
 * hyphen counts), in one of these layouts:
 *
 * - every gap the same, whatever the group sizes (`4111111111111111`,
 *   `4111 1111 1111 1111`, `41 11 11 11 11 11 11 11`, `4 1 1 1 …`,
 *   `4111 - 1111 - 1111 - 1111`);
 * - mixed gaps between groups of three or more digits (`4111-1111 1111.1111`);
 * - one digit per group with two kinds of gap (`4 1 1 1 - 1 1 1 1 - …`);
 *
 * A gap holding `.` or `/` must sit between groups of three to six digits.
 *
 * Inside a longer run of groups, the card is the leftmost-longest window of
 * whole groups that is one, if it stands apart (the gaps around it differ
 * from those inside: `0 4111111111111111`), or if the run has more than 19
 * digits (it cannot be one card) and the window's groups all have three or
 * more (`ref 4242 4242 4242 4242 2031`). A run of up to 19 digits is
 * otherwise judged whole, so a mistyped number's groups do not yield a card
 * by chance. A window never splits a group: a card's digits inside a longer
 * digit string (`994111111111111111199`) are some other number. A run glued
 * to a word (`digit-groups.ts`) or preceded by `+` (a phone number, a signed
 * amount) is not a card.
 * 12-digit numbers count only grouped and with a Maestro prefix (50, 56–69),
 * the one scheme that issues them: plain 12-digit numbers are too common
 * (timestamps in milliseconds before 2001, EAN codes, account numbers).
 */
export function createCreditCardDetector(options: CreditCardOptions = {}): Detector {
  const knownIinOnly = options.knownIinOnly ?? true;
  const findFolded = (text: string): Match[] => {
    const out: Match[] = [];
    forEachDigitRun(text, GAPS, MAX_GAP, 12, (run) => {
      if (codeAt(text, run.starts[0]! - 1) === PLUS) return;
      const total = digitCount(run, 0, run.count - 1);
      const dotted = gapsHolding(text, run, [DOT, SLASH]);
      for (let i = 0; i < run.count; i++) {
        const best = longestCard(text, run, i, total, dotted, knownIinOnly);
        if (best !== -1) {
          out.push({ start: run.starts[i]!, end: run.ends[best]! });
          i = best;
        }
      }
    });
    return out;
  };
  const detector: Detector = {
    name: 'credit_card',
    admits: (p) => p.digits >= 12,
    mightContain: (text) => detector.admits(profileText(text)),
    find: foldedFinder(findFolded),
    findFolded,
    redact: redactCard,
    redactUtf8: redactCardUtf8,
  };
  return detector;
}

/**
 * The last group of the longest card starting at group `i`, or -1. Grows the
 * window a group at a time, keeping what the layout rules need, so that each
 * start costs at most 19 steps and a Luhn check only where the layout allows
 * a card.
 */
function longestCard(
  text: string,
  run: DigitRun,
  i: number,
  total: number,
  dotted: readonly boolean[],
  knownIinOnly: boolean,
): number {
  let best = -1;
  let digits = 0;
  let smallest = Infinity;
  let largest = 0;
  let uniform = true;
  const inner: number[] = [];
  for (let j = i; j < run.count; j++) {
    const size = run.ends[j]! - run.starts[j]!;
    digits += size;
    if (digits > 19) break;
    smallest = Math.min(smallest, size);
    largest = Math.max(largest, size);
    if (j > i) {
      const gap = run.gaps[j - 1]!;
      if (gap !== run.gaps[i]) uniform = false;
      if (!inner.includes(gap)) inner.push(gap);
      // A `.` or `/` between groups of other sizes than a card's: no longer window mends it.
      if (dotted[j - 1] && !(cardGroup(run, j - 1) && cardGroup(run, j))) break;
    }
    if (digits < 12) continue;
    const big = smallest >= 3;
    const whole = i === 0 && j === run.count - 1;
    // A run that could be one number is judged as one: a window inside it must stand apart.
    if (!whole && !(big && total > 19) && !standsApart(run, i, j, inner)) continue;
    if (!big && !uniform && !(largest === 1 && inner.length <= 2)) continue;
    if (isCard(text, run, i, j, knownIinOnly)) best = j;
  }
  return best;
}

/**
 * A `.` or `/` only between groups of three to six digits, as a card's groups
 * are: around smaller or longer ones it writes decimals, versions and dates
 * (`49.99 59.99`, `4/15/2024`, `1705312200.123`).
 */
function cardGroup(run: DigitRun, g: number): boolean {
  const size = run.ends[g]! - run.starts[g]!;
  return size >= 3 && size <= 6;
}

function isCard(text: string, run: DigitRun, i: number, j: number, knownIinOnly: boolean): boolean {
  const digits = groupDigits(text, run, i, j);
  if (knownIinOnly && digits.length === 12 && (i === j || !maestro(digits))) return false;
  return luhnValid(digits) && (!knownIinOnly || knownIin(digits));
}

/** Maestro's ranges, the only scheme with 12-digit cards: 50, 56–69. */
function maestro(digits: readonly number[]): boolean {
  const p2 = digits[0]! * 10 + digits[1]!;
  return p2 === 50 || (p2 >= 56 && p2 <= 69);
}

/** Issuer identification number ranges of the major schemes (ISO/IEC 7812 registrations). */
export function knownIin(digits: readonly number[]): boolean {
  const p2 = digits[0]! * 10 + digits[1]!;
  const p3 = p2 * 10 + digits[2]!;
  const p4 = p3 * 10 + digits[3]!;
  switch (digits[0]) {
    case 2:
      return p4 >= 2221 && p4 <= 2720; // Mastercard 2-series
    case 3:
      return (
        p2 === 34 ||
        p2 === 37 || // American Express
        (p3 >= 300 && p3 <= 305) ||
        p2 === 36 ||
        p2 === 38 ||
        p2 === 39 || // Diners Club
        (p4 >= 3528 && p4 <= 3589) // JCB
      );
    case 4:
      return true; // Visa
    case 5:
      return true; // Mastercard 51–55, Maestro 50, 56–59
    case 6:
      return true; // Discover 6011/644–649/65, UnionPay 62, Maestro 6x
    default:
      return false;
  }
}

export const creditCard = createCreditCardDetector();
