import { codeAt, foldedFinder, isDigit, isWordChar } from '../chars.js';
import { profileText } from '../profile.js';
import { redactPhone } from '../redact.js';
import { redactPhoneUtf8 } from '../redact-utf8.js';
import type { Detector, Match } from '../types.js';

const PLUS = 0x2b;
const OPEN = 0x28;
const CLOSE = 0x29;
const SPACE = 0x20;
const DASH = 0x2d;
const DOT = 0x2e;

/**
 * Phone numbers. A number is digit groups joined by one space, `-` or `.`,
 * optionally with the area code in parentheses, and is accepted when:
 *
 * - it starts with `+` (E.164: 8–15 digits, no leading 0 after the `+`;
 *   grouping optional, so `+14155552671` counts), or
 * - it has no `+`, is split into two or more groups, has 9–15 digits, and
 *   either starts with the trunk prefix `0` and an area code (`020 7946 0958`,
 *   `06 12 34 56 78`),
 *   has its first group in parentheses (`(415) 555-2671`), or has the North
 *   American 3-3-4 shape with area and exchange codes starting 2–9
 *   (`415-555-2671`, `415.555.2671`).
 *
 * Heuristics against false positives, all deliberate:
 * - a plain run of digits without `+` is never a phone (order numbers, IDs,
 *   amounts): `20240115001234`, `4155552671`;
 * - `.` may not be mixed with other separators and needs three or more groups
 *   (`3.14159265` and `0.5 0.25` are numbers);
 * - dates (`2024-01-15`, `15.01.2024`) and dotted quads (`192.168.1.100`) fail
 *   the shapes above, and anything glued to letters, to `_`, or continued by
 *   `.`, `:`, `/`, `-` and a digit (times, versions, paths, IPs) is skipped;
 * - SSNs (3-2-4), cards (4-4-4-4) and Aadhaar numbers (4-4-4) have other
 *   shapes and are left to their own detectors.
 */
export const phone: Detector = {
  name: 'phone',
  // Without `+` a phone has separators, so a plain run of digits never is one.
  admits: (p) => p.digits >= 8 && p.length > p.digits,
  mightContain: (text) => phone.admits(profileText(text)),
  find: foldedFinder(findPhones),
  findFolded: findPhones,
  redact: redactPhone,
  redactUtf8: redactPhoneUtf8,
};

interface Group {
  start: number;
  end: number;
  paren: boolean;
}

function findPhones(text: string): Match[] {
  const out: Match[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    const starts =
      (isDigit(c) || ((c === PLUS || c === OPEN) && isDigit(codeAt(text, i + 1)))) &&
      leftBoundaryOk(text, i);
    if (!starts) {
      i++;
      continue;
    }
    const end = parsePhone(text, i);
    if (end !== -1) {
      out.push({ start: i, end });
      i = end;
      continue;
    }
    // Skip the rest of this number or word so no suffix of it is taken as a phone.
    i++;
    while (i < n && (isWordChar(text.charCodeAt(i)) || text.charCodeAt(i) === DOT)) i++;
  }
  return out;
}

function leftBoundaryOk(text: string, i: number): boolean {
  const prev = codeAt(text, i - 1);
  if (prev === -1) return true;
  if (isWordChar(prev) || prev === PLUS) return false;
  if (prev === DOT || prev === DASH || prev === 0x2f || prev === 0x3a || prev === 0x2c) {
    return !isDigit(codeAt(text, i - 2));
  }
  return true;
}

/** End of a phone number starting at `start`, or -1. */
function parsePhone(text: string, start: number): number {
  let i = start;
  const plus = text.charCodeAt(i) === PLUS;
  if (plus) i++;
  const groups: Group[] = [];
  const separators: number[] = [];
  for (;;) {
    const groupStart = i;
    const paren = codeAt(text, i) === OPEN;
    if (paren) i++;
    const digitsStart = i;
    while (isDigit(codeAt(text, i))) i++;
    if (i === digitsStart || (paren && codeAt(text, i) !== CLOSE)) {
      i = groupStart;
      break;
    }
    groups.push({ start: digitsStart, end: i, paren });
    if (paren) i++;
    const sep = codeAt(text, i);
    const after = codeAt(text, i + 1);
    if ((sep === SPACE || sep === DASH || sep === DOT) && (isDigit(after) || after === OPEN)) {
      separators.push(sep);
      i++;
    } else if (sep === OPEN && isDigit(after)) {
      separators.push(0);
    } else break;
  }
  // A separator consumed before a group that did not parse is not part of the number.
  if (groups.length === 0) return -1;
  if (separators.length >= groups.length) separators.length = groups.length - 1;
  const last = groups[groups.length - 1]!;
  const end = last.paren ? last.end + 1 : last.end;
  if (!rightBoundaryOk(text, end)) return -1;
  return accepts(text, plus, groups, separators) ? end : -1;
}

function rightBoundaryOk(text: string, end: number): boolean {
  const next = codeAt(text, end);
  if (next === -1) return true;
  if (isWordChar(next)) return false;
  if (next === DOT || next === DASH || next === 0x2f || next === 0x3a || next === 0x2c) {
    return !isDigit(codeAt(text, end + 1));
  }
  return true;
}

function accepts(text: string, plus: boolean, groups: Group[], separators: number[]): boolean {
  let digits = 0;
  for (const g of groups) digits += g.end - g.start;
  const firstDigit = text.charCodeAt(groups[0]!.start);
  if (plus) return digits >= 8 && digits <= 15 && firstDigit !== 0x30;
  if (groups.length < 2 || digits < 9 || digits > 15) return false;
  // Dots only on their own, and never just two groups: `3.14159265` is a decimal.
  if (separators.includes(DOT) && (groups.length < 3 || separators.some((s) => s !== DOT))) {
    return false;
  }
  if (groups[0]!.paren) return true;
  // A trunk prefix comes with an area code: `020 …`, `06 …`; a lone `0` is `0.5`.
  if (firstDigit === 0x30) return groups[0]!.end - groups[0]!.start >= 2;
  const lengths = groups.map((g) => g.end - g.start);
  return (
    lengths.length === 3 &&
    lengths[0] === 3 &&
    lengths[1] === 3 &&
    lengths[2] === 4 &&
    firstDigit >= 0x32 &&
    text.charCodeAt(groups[1]!.start) >= 0x32
  );
}
