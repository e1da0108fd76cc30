import { codeAt, foldedFinder, isAlnum, isDigit, isUpper } from '../chars.js';
import { ibanMod97Valid } from '../checksums.js';
import { profileText } from '../profile.js';
import { redactIban } from '../redact.js';
import type { Detector, Match } from '../types.js';

/**
 * IBAN lengths by country, from the SWIFT IBAN registry (ISO 13616). A
 * country missing here is not detected: the length check is what keeps
 * random `XX00…` strings out.
 */
// prettier-ignore
export const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27,
  BR: 29, BY: 28, CH: 21, CR: 22, CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28,
  EE: 20, EG: 29, ES: 24, FI: 18, FK: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23,
  GL: 18, GR: 27, GT: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27,
  JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20, LV: 21, LY: 25,
  MC: 27, MD: 24, ME: 22, MK: 19, MN: 20, MR: 27, MT: 31, MU: 30, NI: 28, NL: 18,
  NO: 15, OM: 23, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, RU: 33,
  SA: 24, SC: 31, SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23, ST: 25, SV: 28,
  TL: 23, TN: 24, TR: 26, UA: 29, VA: 22, VG: 24, XK: 20, YE: 30,
};

/**
 * IBANs, electronic (`GB82WEST12345698765432`) or printed in groups of four
 * separated by single spaces (`GB82 WEST 1234 5698 7654 32`). Upper case only,
 * as ISO 13616 writes them. The country's length and the mod-97 check must
 * both hold, so a wrong digit anywhere is not masked.
 */
export const iban: Detector = {
  name: 'iban',
  // The two check digits; a BBAN may be all letters (KW, QA, LC: `4a,22c`…).
  admits: (p) => p.upper >= 2 && p.digits >= 2 && p.length >= 15,
  mightContain: (text) => iban.admits(profileText(text)),
  find: foldedFinder(findIbans),
  findFolded: findIbans,
  redact: redactIban,
};

function findIbans(text: string): Match[] {
  const out: Match[] = [];
  const n = text.length;
  for (let i = 0; i + 4 <= n; i++) {
    if (
      !isUpper(text.charCodeAt(i)) ||
      !isUpper(text.charCodeAt(i + 1)) ||
      !isDigit(text.charCodeAt(i + 2)) ||
      !isDigit(text.charCodeAt(i + 3)) ||
      isAlnum(codeAt(text, i - 1))
    ) {
      continue;
    }
    const length = IBAN_LENGTHS[text.slice(i, i + 2)];
    if (length === undefined) continue;
    const end = ibanEnd(text, i, length);
    if (end !== -1) {
      out.push({ start: i, end });
      i = end - 1;
    }
  }
  return out;
}

/** End of an IBAN of `length` characters at `start`, compact or in groups of four; or -1. */
function ibanEnd(text: string, start: number, length: number): number {
  for (const grouped of [false, true]) {
    let compact = '';
    let i = start;
    let spaced = false;
    while (compact.length < length) {
      const c = codeAt(text, i);
      if (grouped && !spaced && compact.length > 0 && compact.length % 4 === 0) {
        if (c !== 0x20) break;
        i++;
        spaced = true;
        continue;
      }
      if (!isUpper(c) && !isDigit(c)) break;
      compact += text[i];
      i++;
      spaced = false;
    }
    if (compact.length === length && !isAlnum(codeAt(text, i)) && ibanMod97Valid(compact)) {
      return i;
    }
  }
  return -1;
}
