import { cpfValid, dniLetter, verhoeffValid } from '../checksums.js';
import { digitsOf, foldedFinder } from '../chars.js';
import { leftmostLongest } from '../overlaps.js';
import { profileText } from '../profile.js';
import { redactNationalId } from '../redact.js';
import type { Detector, Match } from '../types.js';
import { forEachDigitRun, type DigitRun } from './digit-groups.js';

/**
 * National identity numbers, each only in its printed layout so that plain
 * numbers of the same length are not taken for one, and each with its own
 * validity rule:
 *
 * | kind | layout | check |
 * | --- | --- | --- |
 * | `ssn` (US) | `123-45-6789`, `123 45 6789` | area not 000, 666 or 9xx; group not 00; serial not 0000 |
 * | `nino` (UK) | `AB123456C`, `AB 12 34 56 C` | HMRC prefix letters (no D F I Q U V, second not O; not BG GB KN NK NT TN ZZ); suffix A–D |
 * | `cpf` (Brazil) | `123.456.789-09` | two mod-11 check digits; not all digits equal |
 * | `dni` / `nie` (Spain) | `12345678Z`, `12345678-Z`, `X1234567L` | control letter (number mod 23) |
 * | `aadhaar` (India) | `2345 6789 0123`, `2345-6789-0123` | first digit 2–9; Verhoeff check digit |
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
  // Separate passes: a space may follow a CPF (`…-25 12…`) without joining the two.
  forEachDigitRun(text, [0x2d, 0x20], (run) => {
    const kind = isSsn(text, run) ? 'ssn' : isAadhaar(text, run) ? 'aadhaar' : undefined;
    if (kind !== undefined) out.push({ start: run.start, end: run.end, kind });
  });
  if (text.includes('.')) {
    forEachDigitRun(text, [0x2e, 0x2d], (run) => {
      if (isCpf(text, run)) out.push({ start: run.start, end: run.end, kind: 'cpf' });
    });
  }
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

function hasGroups(run: DigitRun, lengths: readonly number[]): boolean {
  const { groups } = run;
  if (groups.length !== lengths.length) return false;
  for (let i = 0; i < lengths.length; i++) {
    if (groups[i]![1] - groups[i]![0] !== lengths[i]) return false;
  }
  return true;
}

function sameSeparator(run: DigitRun): boolean {
  return run.separators.every((s) => s === run.separators[0]);
}

function isSsn(text: string, run: DigitRun): boolean {
  if (!hasGroups(run, [3, 2, 4]) || !sameSeparator(run)) return false;
  const [area, group, serial] = run.groups.map(([s, e]) => Number(text.slice(s, e)));
  return area !== 0 && area !== 666 && area! < 900 && group !== 0 && serial !== 0;
}

function isAadhaar(text: string, run: DigitRun): boolean {
  if (!hasGroups(run, [4, 4, 4]) || !sameSeparator(run)) return false;
  const digits = digitsOf(text, run.start, run.end);
  return digits[0]! >= 2 && verhoeffValid(digits);
}

function isCpf(text: string, run: DigitRun): boolean {
  const [a, b, c] = run.separators;
  if (!hasGroups(run, [3, 3, 3, 2]) || a !== 0x2e || b !== 0x2e || c !== 0x2d) return false;
  return cpfValid(digitsOf(text, run.start, run.end));
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
