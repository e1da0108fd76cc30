/**
 * Check-digit algorithms used by the detectors to tell real identifiers from
 * numbers that merely have the right shape.
 */

/** Luhn (ISO/IEC 7812-1 annex B): payment card numbers. */
export function luhnValid(digits: readonly number[]): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits[i]!;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/**
 * ISO 13616 IBAN check: move the first four characters to the end, letters
 * become 10..35, and the number mod 97 must be 1. Computed piecewise, so no
 * big integers. `iban` is upper-case alphanumerics only.
 */
export function ibanMod97Valid(iban: string): boolean {
  if (iban.length < 5) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let rest = 0;
  for (let i = 0; i < rearranged.length; i++) {
    const c = rearranged.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) rest = (rest * 10 + (c - 0x30)) % 97;
    else if (c >= 0x41 && c <= 0x5a) rest = (rest * 100 + (c - 0x41 + 10)) % 97;
    else return false;
  }
  return rest === 1;
}

// Verhoeff (dihedral group D5): Indian Aadhaar numbers.
const VERHOEFF_D = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
  [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
  [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
  [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
  [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
  [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
  [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
  [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
  [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];
const VERHOEFF_P = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
  [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
  [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
  [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
  [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
  [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
  [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];

export function verhoeffValid(digits: readonly number[]): boolean {
  let c = 0;
  for (let i = 0; i < digits.length; i++) {
    const d = digits[digits.length - 1 - i]!;
    c = VERHOEFF_D[c]![VERHOEFF_P[i % 8]![d]!]!;
  }
  return digits.length > 0 && c === 0;
}

/** Brazilian CPF: two mod-11 check digits over 9 digits; all-equal numbers are invalid. */
export function cpfValid(digits: readonly number[]): boolean {
  if (digits.length !== 11 || digits.every((d) => d === digits[0])) return false;
  for (const n of [9, 10]) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += digits[i]! * (n + 1 - i);
    const check = ((sum * 10) % 11) % 10;
    if (check !== digits[n]) return false;
  }
  return true;
}

const DNI_LETTERS = 'TRWAGMYFPDXBNJZSQVHLCKE';

/** Spanish DNI/NIE control letter for the 8-digit number (NIE: X/Y/Z replaced by 0/1/2). */
export function dniLetter(number: number): string {
  return DNI_LETTERS[number % 23]!;
}
