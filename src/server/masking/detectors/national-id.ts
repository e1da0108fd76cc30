import { cpfValid, dniLetter, verhoeffValid } from '../checksums.js';
import { foldedFinder } from '../chars.js';
import { leftmostLongest } from '../overlaps.js';
import { profileText } from '../profile.js';
import { redactNationalId } from '../redact.js';
import type { Detector, Match } from '../types.js';
import {
  forEachDigitRun,
  gapChars,
  groupDigits,
  holdsDate,
  readGroups,
  sameSizes,
  standsApart,
  type DigitRun,
} from './digit-groups.js';

/** Space, `-`, `.`, `/`, `_`, one to three of them: the gaps an SSN or Aadhaar number may have. */
const GAPS = gapChars(' -./_');
const MAX_GAP = 3;

/**
 * National identity numbers, each only in its printed layout so that plain
 * numbers of the same length are not taken for one, and each with its own
 * validity rule:
 *
 * | kind | layout | check |
 * | --- | --- | --- |
 * | `ssn` (US) | 3-2-4 digits: `123-45-6789`, `123 45 6789`, `123.45.6789`, `123-45 6789`, `1 2 3 - 4 5 - 6 7 8 9` | area not 000, 666 or 9xx; group not 00; serial not 0000 |
 * | `aadhaar` (India) | 4-4-4 digits: `2345 6789 0124`, `2345-6789-0124`, `2345.6789 0124` | first digit 2–9; Verhoeff check digit |
 * | `cpf` (Brazil) | `123.456.789-09` | two mod-11 check digits; not all digits equal |
 * | `nino` (UK) | `AB123456C`, `AB 12 34 56 C` | HMRC prefix letters (no D F I Q U V, second not O; not BG GB KN NK NT TN ZZ); suffix A–D |
 * | `dni` / `nie` (Spain) | `12345678Z`, `12345678-Z`, `X1234567L` | control letter (number mod 23) |
 *
 * SSN and Aadhaar groups are read as `digit-groups.ts` reads them: gaps of one
 * to three of space, `-`, `.`, `/`, `_`, mixed freely; a layout of single
 * digits whose more frequent gap joins digits and whose other gap separates
 * the groups. A plain run of nine or twelve digits is not taken for one (most
 * nine-digit numbers would pass the SSN rules). Inside a longer run of groups
 * the number must stand apart: `SSN 123-45-6789 2024-01-15` holds one,
 * `123-45-6789-0000` does not.
 */
export const nationalId: Detector = {
  name: 'national_id',
  // Every layout has a separator or a letter: a plain run of digits is never one.
  admits: (p) => p.digits >= 6 && p.length > p.digits,
  mightContain: (text) => nationalId.admits(profileText(text)),
  find: foldedFinder(findIds),
  findFolded: findIds,
  redact: redactNationalId,
};

function findIds(text: string): Match[] {
  const out: Match[] = [];
  forEachDigitRun(text, GAPS, MAX_GAP, 9, (run) => {
    for (let i = 0; i < run.count; i++) {
      let digits = 0;
      let found: Match | undefined;
      for (let j = i; j < run.count; j++) {
        digits += run.ends[j]! - run.starts[j]!;
        if (digits > 12) break;
        if (digits !== 9 && digits !== 11 && digits !== 12) continue;
        if (!(i === 0 && j === run.count - 1) && !standsApart(run, i, j)) continue;
        const kind = kindOf(text, run, i, j, digits);
        if (kind !== undefined) found = { start: run.starts[i]!, end: run.ends[j]!, kind };
      }
      if (found !== undefined) {
        out.push(found);
        while (i < run.count - 1 && run.ends[i]! < found.end) i++;
      }
    }
  });
  if (/[A-Z]/.test(text)) {
    findAll(NINO, text, out, 'nino', ninoValid);
    findAll(DNI, text, out, 'dni', (m) => dniLetter(Number(m[1])) === m[2]);
    findAll(NIE, text, out, 'nie', (m) => {
      const number = Number('XYZ'.indexOf(m[1]!) + m[2]!);
      return dniLetter(number) === m[3];
    });
  }
  return leftmostLongest(out);
}

function kindOf(
  text: string,
  run: DigitRun,
  i: number,
  j: number,
  digits: number,
): string | undefined {
  if (digits === 11) return isCpf(text, run, i, j) ? 'cpf' : undefined;
  const groups = readGroups(run, i, j);
  const values = groupDigits(text, run, i, j);
  if (digits === 9)
    return ssnLayout(text, run, i, j, groups) && ssnValid(values) ? 'ssn' : undefined;
  return sameSizes(groups, [4, 4, 4]) && values[0]! >= 2 && verhoeffValid(values)
    ? 'aadhaar'
    : undefined;
}

/**
 * Whether nine digits laid out as `groups` are read as an SSN: 3-2-4 always;
 * another grouping of three or more groups of at most four digits with one
 * kind of gap throughout (`53-690-4381`, `536/904/381`, `5-3-6-9-0-4-3-8-1`,
 * `53 69 04 38 1`) unless it is printed like a number of another kind:
 * thousands grouping (`536 904 381`, `1.234.567`), single digits spaced like
 * a list (`1 2 3 4 5 6 7 8 9`) or a date. A plain run, two groups
 * (`5369-04381`, a ZIP+4 `12345-6789`, `INV/2001/00001`) and mixed gaps
 * (`0.01 1000.01`) are an SSN only after a keyword (`SSN 536904381`,
 * `social security no. …`).
 */
function ssnLayout(
  text: string,
  run: DigitRun,
  i: number,
  j: number,
  groups: readonly number[],
): boolean {
  if (sameSizes(groups, [3, 2, 4])) return true;
  if (SSN_KEYWORD.test(text.slice(Math.max(0, run.starts[i]! - 32), run.starts[i]!))) return true;
  if (groups.length < 3 || groups.some((size) => size > 4) || holdsDate(run, i, j)) return false;
  const gap = run.gaps[i]!;
  for (let g = i; g < j; g++) if (run.gaps[g] !== gap) return false;
  if (gap === SPACE && groups.every((size) => size === 1)) return false;
  // Thousands: one space or `.` between groups of three after a first of one to three.
  return !((gap === SPACE || gap === DOT) && groups.slice(1).every((size) => size === 3));
}

/** `SSN`, `SSN#`, `SS#`, `social security (number|no.)` and a short gap, just before the digits. */
const SSN_KEYWORD =
  /(?:\bssn|\bss#|\bsocial[\s_-]*security(?:[\s_-]*(?:number|num|no))?)[\s#:=.'"-]{0,4}$/i;
const SPACE = 0x20;

function ssnValid(d: readonly number[]): boolean {
  const area = d[0]! * 100 + d[1]! * 10 + d[2]!;
  const group = d[3]! * 10 + d[4]!;
  const serial = d[5]! * 1000 + d[6]! * 100 + d[7]! * 10 + d[8]!;
  return area !== 0 && area !== 666 && area < 900 && group !== 0 && serial !== 0;
}

const DOT = 0x2e;
const DASH = 0x2d;

/** `123.456.789-09`: exactly that punctuation, and the two check digits. */
function isCpf(text: string, run: DigitRun, i: number, j: number): boolean {
  if (!sameSizes(readGroups(run, i, j), [3, 3, 3, 2])) return false;
  if (run.gaps[i] !== DOT || run.gaps[i + 1] !== DOT || run.gaps[i + 2] !== DASH) return false;
  return cpfValid(groupDigits(text, run, i, j));
}

const NINO =
  /\b([A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z])(?:\d{6}|(?: \d\d){3} ?)[A-D](?![A-Za-z0-9_])/g;
const NINO_UNALLOCATED = new Set(['BG', 'GB', 'KN', 'NK', 'NT', 'TN', 'ZZ']);
const DNI = /\b(\d{8})[ -]?([A-Z])\b/g;
const NIE = /\b([XYZ])[ -]?(\d{7})[ -]?([A-Z])\b/g;

function ninoValid(m: RegExpExecArray): boolean {
  return !NINO_UNALLOCATED.has(m[1]!);
}

function findAll(
  pattern: RegExp,
  text: string,
  out: Match[],
  kind: string,
  valid: (m: RegExpExecArray) => boolean,
): void {
  pattern.lastIndex = 0;
  for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
    if (valid(m)) out.push({ start: m.index, end: m.index + m[0].length, kind });
  }
}
