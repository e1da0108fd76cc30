import { isAlpha, isDigit } from '../chars.js';

/**
 * A chain of digit groups joined by short gaps of separator characters, as
 * numbers are printed: `4111-1111 1111.1111`, `123 45 6789`, `(415) 555-2671`.
 * Offsets are UTF-16 offsets of the (folded) text. The arrays are reused from
 * one run to the next: read them inside `visit`, never keep them.
 */
export interface DigitRun {
  /** Number of groups. */
  count: number;
  /** Group `g` holds the digits `[starts[g], ends[g])`. */
  starts: number[];
  ends: number[];
  /**
   * The gap after group `g` (for `g < count - 1`) as a key: two gaps have the
   * same key exactly when they are the same separator text.
   */
  gaps: number[];
}

/** The set of characters that may make up a gap, by ASCII code. */
export function gapChars(chars: string): Uint8Array {
  const set = new Uint8Array(128);
  for (const c of chars) set[c.charCodeAt(0)] = 1;
  return set;
}

const SPACE = 0x20;
const COLON = 0x3a;
const COMMA = 0x2c;
const DASH = 0x2d;
const DOT = 0x2e;
const UNDERSCORE = 0x5f;
const PLUS = 0x2b;

// Scratch for the chain being read: one chain at a time, masking is synchronous.
const chainStarts: number[] = [];
const chainEnds: number[] = [];
const chainGaps: number[] = [];
const chainSpaced: boolean[] = [];
const tainted: boolean[] = [];
const run: DigitRun = { count: 0, starts: [], ends: [], gaps: [] };

/**
 * Calls `visit` for each run of digit groups in `text` holding `minDigits`
 * or more digits, left to right:
 *
 * - a group is a maximal sequence of ASCII digits;
 * - two groups join when 1 to `maxGap` characters of `gaps` separate them;
 * - a group touching an ASCII letter (`A1`, `4242x`), or joined to one by `-`
 *   or `_` (`ORD-2024`, `card_4242…`), or touching `:` or `,` that a digit
 *   follows or precedes (`10:30`, `1,234`), belongs to a word or to a number
 *   of another kind. It taints every group joined to it by gaps without a
 *   space (`v1.415.555.2671`, `id=A415-555-2671`, a UUID's `…a716-446655…`):
 *   those are left out, and the groups around them form separate runs;
 * - a dotted quad (`10.0.0.1`, an address or a version: four decimal octets
 *   joined by single dots, not after `+`) and a UUID whose hex digits happen
 *   to be all decimal (`12345678-1234-4123-8123-123456789012`) are left out
 *   too.
 *
 * Linear in the length of `text`.
 */
export function forEachDigitRun(
  text: string,
  gaps: Uint8Array,
  maxGap: number,
  minDigits: number,
  visit: (run: DigitRun) => void,
): void {
  const n = text.length;
  let i = 0;
  while (i < n) {
    if (!isDigit(text.charCodeAt(i))) {
      i++;
      continue;
    }
    let count = 0;
    let digits = 0;
    for (;;) {
      const start = i;
      while (i < n && isDigit(text.charCodeAt(i))) i++;
      chainStarts[count] = start;
      chainEnds[count] = i;
      digits += i - start;
      let j = i;
      let key = 0;
      let spaced = false;
      while (j < n && j - i < maxGap) {
        const c = text.charCodeAt(j);
        if (c >= 128 || gaps[c] !== 1) break;
        key = key * 128 + c;
        if (c === SPACE) spaced = true;
        j++;
      }
      count++;
      if (j === i || j === n || !isDigit(text.charCodeAt(j))) break;
      chainGaps[count - 1] = key;
      chainSpaced[count - 1] = spaced;
      i = j;
    }
    // Too few digits for the caller's numbers: not worth the checks below.
    if (digits < minDigits) continue;
    for (let g = 0; g < count; g++) {
      tainted[g] =
        touchesWord(text, chainStarts[g]! - 1, -1) || touchesWord(text, chainEnds[g]!, 1);
    }
    taintTokens(count);
    if (count === 5) taintUuid();
    if (count >= 4) taintDottedQuads(text, count);
    emitRuns(count, minDigits, visit);
  }
}

/**
 * Whether the character at `at` (before a group: `step` -1, after it: 1)
 * glues the group to a word: a letter, a letter behind `-` or `_` (`ORD-2024`,
 * `a716-4466…` in a UUID), or `:` or `,` with a digit behind (`10:30`, `1,234`).
 */
function touchesWord(text: string, at: number, step: number): boolean {
  if (at < 0 || at >= text.length) return false;
  const c = text.charCodeAt(at);
  if (isAlpha(c)) return true;
  const beyond = at + step;
  if (beyond < 0 || beyond >= text.length) return false;
  if (c === DASH || c === UNDERSCORE) return isAlpha(text.charCodeAt(beyond));
  return (c === COLON || c === COMMA) && isDigit(text.charCodeAt(beyond));
}

/** Spreads each group's taint over its token: the groups joined by gaps without a space. */
function taintTokens(count: number): void {
  let first = 0;
  for (let g = 0; g < count; g++) {
    if (g === count - 1 || chainSpaced[g]) {
      let any = false;
      for (let k = first; k <= g; k++) any ||= tainted[k]!;
      if (any) for (let k = first; k <= g; k++) tainted[k] = true;
      first = g + 1;
    }
  }
}

const UUID_GROUPS = [8, 4, 4, 4, 12];

/** Leaves out a chain of five groups laid out as a UUID: 8-4-4-4-12 digits joined by single dashes. */
function taintUuid(): void {
  for (let g = 0; g < 5; g++) {
    if (chainEnds[g]! - chainStarts[g]! !== UUID_GROUPS[g]) return;
    if (g < 4 && chainGaps[g] !== DASH) return;
  }
  for (let g = 0; g < 5; g++) tainted[g] = true;
}

/**
 * Leaves out dotted quads (`10.0.0.1`): four groups joined by single dots,
 * each a decimal octet (0–255, no leading zero), not after a `+`.
 */
function taintDottedQuads(text: string, count: number): void {
  for (let g = 0; g + 3 < count; g++) {
    if (g > 0 && chainGaps[g - 1] === DOT) continue;
    let quad = g > 0 || text.charCodeAt(chainStarts[0]! - 1) !== PLUS;
    for (let k = g; k < g + 4 && quad; k++) {
      quad =
        octet(text, chainStarts[k]!, chainEnds[k]!) &&
        (k === g + 3 ? k === count - 1 || chainGaps[k] !== DOT : chainGaps[k] === DOT);
    }
    if (quad) for (let k = g; k < g + 4; k++) tainted[k] = true;
  }
}

function octet(text: string, start: number, end: number): boolean {
  if (end - start > 3 || (end - start > 1 && text.charCodeAt(start) === 0x30)) return false;
  return Number(text.slice(start, end)) <= 255;
}

function emitRuns(count: number, minDigits: number, visit: (run: DigitRun) => void): void {
  let g = 0;
  while (g < count) {
    if (tainted[g]) {
      g++;
      continue;
    }
    run.count = 0;
    let digits = 0;
    while (g < count && !tainted[g]) {
      run.starts[run.count] = chainStarts[g]!;
      run.ends[run.count] = chainEnds[g]!;
      if (g < count - 1) run.gaps[run.count] = chainGaps[g]!;
      digits += chainEnds[g]! - chainStarts[g]!;
      run.count++;
      g++;
    }
    if (digits >= minDigits) visit(run);
  }
}

/** Digits in groups `i..j` of `run`. */
export function digitCount(run: DigitRun, i: number, j: number): number {
  let digits = 0;
  for (let g = i; g <= j; g++) digits += run.ends[g]! - run.starts[g]!;
  return digits;
}

/** Whether every gap inside groups `i..j` is the same. */
export function uniformGaps(run: DigitRun, i: number, j: number): boolean {
  for (let g = i + 1; g < j; g++) if (run.gaps[g] !== run.gaps[i]) return false;
  return true;
}

/**
 * Whether groups `i..j` stand apart from the rest of their run: each gap
 * just outside them differs from every gap inside, so the reader sees where
 * the number ends (`123-45-6789 2024-01-15`, not `123-45-6789-0000`).
 * `inner`, when given, lists the distinct gaps inside (window scans keep it
 * as they grow, so the test costs no rescan).
 */
export function standsApart(
  run: DigitRun,
  i: number,
  j: number,
  inner: readonly number[] = innerGaps(run, i, j),
): boolean {
  if (i > 0 && inner.includes(run.gaps[i - 1]!)) return false;
  return j === run.count - 1 || !inner.includes(run.gaps[j]!);
}

function innerGaps(run: DigitRun, i: number, j: number): number[] {
  const inner: number[] = [];
  for (let g = i; g < j; g++) if (!inner.includes(run.gaps[g]!)) inner.push(run.gaps[g]!);
  return inner;
}

/** For each gap of `run`, whether it holds one of `chars` (char codes). */
export function gapsHolding(text: string, run: DigitRun, chars: readonly number[]): boolean[] {
  const out: boolean[] = [];
  for (let g = 0; g < run.count - 1; g++) {
    let holds = false;
    for (let k = run.ends[g]!; k < run.starts[g + 1]! && !holds; k++) {
      holds = chars.includes(text.charCodeAt(k));
    }
    out.push(holds);
  }
  return out;
}

/**
 * The group sizes of `i..j` as a reader sees them. Groups of digits as they
 * are, except in a layout where every digit stands alone and exactly two
 * gaps occur: then the more frequent one joins digits into groups and the
 * other separates groups (`1 2 3 - 4 5 - 6 7 8 9` reads as 3-2-4). With two
 * gaps as frequent as each other, nothing is joined.
 */
export function readGroups(run: DigitRun, i: number, j: number): number[] {
  const sizes: number[] = [];
  for (let g = i; g <= j; g++) sizes.push(run.ends[g]! - run.starts[g]!);
  if (j === i || sizes.some((size) => size !== 1)) return sizes;
  const first = run.gaps[i]!;
  let second: number | undefined;
  let firstCount = 0;
  for (let g = i; g < j; g++) {
    const gap = run.gaps[g]!;
    if (gap === first) firstCount++;
    else if (second === undefined || gap === second) second = gap;
    else return sizes; // three different gaps
  }
  const secondCount = j - i - firstCount;
  if (second === undefined || firstCount === secondCount) return sizes;
  const joiner = firstCount > secondCount ? first : second;
  const read: number[] = [1];
  for (let g = i; g < j; g++) {
    if (run.gaps[g] === joiner) read[read.length - 1] = read[read.length - 1]! + 1;
    else read.push(1);
  }
  return read;
}

/** Whether `sizes` is exactly `expected`. */
export function sameSizes(sizes: readonly number[], expected: readonly number[]): boolean {
  return sizes.length === expected.length && sizes.every((size, k) => size === expected[k]);
}

/** The digits of groups `i..j` as numbers. */
export function groupDigits(text: string, run: DigitRun, i: number, j: number): number[] {
  const out: number[] = [];
  for (let g = i; g <= j; g++) {
    for (let k = run.starts[g]!; k < run.ends[g]!; k++) out.push(text.charCodeAt(k) - 0x30);
  }
  return out;
}

const SLASH = 0x2f;

/**
 * Whether groups `i..j` hold a date: three groups of day, month and year
 * sizes (1–2, 1–2, 2 or 4; or 4, 1–2, 1–2) joined by the same single `/`, `.`
 * or `-`, with no more groups joined by it on either side.
 */
export function holdsDate(run: DigitRun, i: number, j: number): boolean {
  for (let g = i; g + 2 <= j; g++) {
    const gap = run.gaps[g]!;
    if (gap !== SLASH && gap !== DOT && gap !== DASH) continue;
    if (run.gaps[g + 1] !== gap) continue;
    if ((g > 0 && run.gaps[g - 1] === gap) || (g + 2 < run.count - 1 && run.gaps[g + 2] === gap)) {
      continue;
    }
    const a = run.ends[g]! - run.starts[g]!;
    const b = run.ends[g + 1]! - run.starts[g + 1]!;
    const c = run.ends[g + 2]! - run.starts[g + 2]!;
    if (a <= 2 && b <= 2 && (c === 2 || c === 4)) return true;
    if (a === 4 && b <= 2 && c <= 2) return true;
  }
  return false;
}
