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
  groupDigits,
  smallestGroup,
  standsApart,
  uniformGaps,
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
 * and a gap holding `.` or `/` only between groups of three or more digits
 * (between smaller ones they write decimals, versions and dates).
 *
 * Inside a longer run of groups, the card is the leftmost-longest window of
 * whole groups that is one, if its groups all have three or more digits or
 * it stands apart (the gaps around it differ from those inside):
 * `ref 4242 4242 4242 4242 2031` and `0 4111111111111111` hold a card. A
 * window never splits a group: a card's digits inside a longer digit string
 * (`994111111111111111199`) are some other number. A run glued to a letter
 * or preceded by `+` (a phone number, a signed amount) is not a card.
 * 12-digit numbers count only with a Maestro prefix (50, 56–69), the one
 * scheme that issues them.
 */
export function createCreditCardDetector(options: CreditCardOptions = {}): Detector {
  const knownIinOnly = options.knownIinOnly ?? true;
  const findFolded = (text: string): Match[] => {
    const out: Match[] = [];
    forEachDigitRun(text, GAPS, MAX_GAP, (run) => {
      if (codeAt(text, run.starts[0]! - 1) === PLUS) return;
      for (let i = 0; i < run.count; i++) {
        let best = -1;
        let digits = 0;
        for (let j = i; j < run.count; j++) {
          digits += run.ends[j]! - run.starts[j]!;
          if (digits > 19) break;
          if (digits >= 12 && layoutOk(text, run, i, j) && isCard(text, run, i, j, knownIinOnly)) {
            best = j;
          }
        }
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

function layoutOk(text: string, run: DigitRun, i: number, j: number): boolean {
  if (!dotsAndSlashesOk(text, run, i, j)) return false;
  const bigGroups = smallestGroup(run, i, j) >= 3;
  const whole = i === 0 && j === run.count - 1;
  if (!whole && !bigGroups && !standsApart(run, i, j)) return false;
  return bigGroups || uniformGaps(run, i, j) || twoGapsBetweenDigits(run, i, j);
}

/**
 * A `.` or `/` only between groups of three or more digits: between smaller
 * ones it writes decimals, versions and dates (`49.99 59.99`, `4/15/2024`).
 */
function dotsAndSlashesOk(text: string, run: DigitRun, i: number, j: number): boolean {
  for (let g = i; g < j; g++) {
    if (run.ends[g]! - run.starts[g]! >= 3 && run.ends[g + 1]! - run.starts[g + 1]! >= 3) continue;
    for (let k = run.ends[g]!; k < run.starts[g + 1]!; k++) {
      const c = text.charCodeAt(k);
      if (c === DOT || c === SLASH) return false;
    }
  }
  return true;
}

/** Every group one digit, and at most two different gaps. */
function twoGapsBetweenDigits(run: DigitRun, i: number, j: number): boolean {
  if (digitCount(run, i, j) !== j - i + 1) return false;
  let other: number | undefined;
  for (let g = i + 1; g < j; g++) {
    const gap = run.gaps[g]!;
    if (gap === run.gaps[i] || gap === other) continue;
    if (other !== undefined) return false;
    other = gap;
  }
  return true;
}

function isCard(text: string, run: DigitRun, i: number, j: number, knownIinOnly: boolean): boolean {
  const digits = groupDigits(text, run, i, j);
  if (knownIinOnly && digits.length === 12 && !maestro(digits)) return false;
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
