import { luhnValid } from '../checksums.js';
import { digitsOf, foldedFinder } from '../chars.js';
import { profileText } from '../profile.js';
import { redactCard } from '../redact.js';
import { redactCardUtf8 } from '../redact-utf8.js';
import type { Detector, Match } from '../types.js';
import { forEachDigitRun } from './digit-groups.js';

export interface CreditCardOptions {
  /**
   * Also require a known issuer prefix (Visa, Mastercard, Amex, Discover,
   * JCB, Diners, UnionPay, Maestro). Default true: it drops the one in ten
   * random 13–19 digit numbers that pass Luhn by chance but start with 0, 1,
   * 7, 8 or 9.
   */
  knownIinOnly?: boolean;
}

const SPACE = 0x20;
const DASH = 0x2d;

/**
 * Payment card numbers: 13–19 digits, plain or grouped with spaces or dashes
 * (one kind of separator per number), passing Luhn. In a longer grouped run
 * (`4242 4242 4242 4242 2031`) the leftmost-longest window of whole groups
 * that is a valid card is taken. A plain run of more than 19 digits is some
 * other number and is left alone.
 */
export function createCreditCardDetector(options: CreditCardOptions = {}): Detector {
  const knownIinOnly = options.knownIinOnly ?? true;
  const findFolded = (text: string): Match[] => {
    const out: Match[] = [];
    forEachDigitRun(text, [SPACE, DASH], (run) => {
      const { groups, separators } = run;
      for (let first = 0; first < groups.length; first++) {
        let best = -1;
        let count = 0;
        for (let last = first; last < groups.length; last++) {
          if (last > first && separators[last - 1] !== separators[first]) break;
          count += groups[last]![1] - groups[last]![0];
          if (count > 19) break;
          if (count >= 13 && isCard(text, groups[first]![0], groups[last]![1], knownIinOnly)) {
            best = last;
          }
        }
        if (best !== -1) {
          out.push({ start: groups[first]![0], end: groups[best]![1] });
          first = best;
        }
      }
    });
    return out;
  };
  const detector: Detector = {
    name: 'credit_card',
    admits: (p) => p.digits >= 13,
    mightContain: (text) => detector.admits(profileText(text)),
    find: foldedFinder(findFolded),
    findFolded,
    redact: redactCard,
    redactUtf8: redactCardUtf8,
  };
  return detector;
}

function isCard(text: string, start: number, end: number, knownIinOnly: boolean): boolean {
  const digits = digitsOf(text, start, end);
  return luhnValid(digits) && (!knownIinOnly || knownIin(digits));
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
