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

// Scratch for the chain being read: one chain at a time, masking is synchronous.
const chainStarts: number[] = [];
const chainEnds: number[] = [];
const chainGaps: number[] = [];
const chainSpaced: boolean[] = [];
const tainted: boolean[] = [];
const run: DigitRun = { count: 0, starts: [], ends: [], gaps: [] };

/**
 * Calls `visit` for each run of digit groups in `text`, left to right:
 *
 * - a group is a maximal sequence of ASCII digits;
 * - two groups join when 1 to `maxGap` characters of `gaps` separate them;
 * - a group touching an ASCII letter (`A1`, `4242x`), or touching `:` or `,`
 *   that a digit follows or precedes (`10:30`, `1,234`), belongs to a word or
 *   to a number of another kind. It taints every group joined to it by gaps
 *   without a space (`v1.415.555.2671`, `id=A415-555-2671`): those are left
 *   out, and the groups around them form separate runs;
 * - a UUID whose hex digits happen to be all decimal
 *   (`12345678-1234-4123-8123-123456789012`) is left out too.
 *
 * Linear in the length of `text`.
 */
export function forEachDigitRun(
  text: string,
  gaps: Uint8Array,
  maxGap: number,
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
    for (;;) {
      const start = i;
      while (i < n && isDigit(text.charCodeAt(i))) i++;
      chainStarts[count] = start;
      chainEnds[count] = i;
      tainted[count] = touchesWord(text, start - 1, -1) || touchesWord(text, i, 1);
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
    taintTokens(count);
    if (count === 5) taintUuid();
    emitRuns(count, visit);
  }
}

/** Whether the character at `at` (before a group: `step` -1, after it: 1) glues the group to a word. */
function touchesWord(text: string, at: number, step: number): boolean {
  if (at < 0 || at >= text.length) return false;
  const c = text.charCodeAt(at);
  if (isAlpha(c)) return true;
  if (c !== COLON && c !== COMMA) return false;
  const beyond = at + step;
  return beyond >= 0 && beyond < text.length && isDigit(text.charCodeAt(beyond));
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
const DASH = 0x2d;

/** Leaves out a chain of five groups laid out as a UUID: 8-4-4-4-12 digits joined by single dashes. */
function taintUuid(): void {
  for (let g = 0; g < 5; g++) {
    if (chainEnds[g]! - chainStarts[g]! !== UUID_GROUPS[g]) return;
    if (g < 4 && chainGaps[g] !== DASH) return;
  }
  for (let g = 0; g < 5; g++) tainted[g] = true;
}

function emitRuns(count: number, visit: (run: DigitRun) => void): void {
  let g = 0;
  while (g < count) {
    if (tainted[g]) {
      g++;
      continue;
    }
    run.count = 0;
    while (g < count && !tainted[g]) {
      run.starts[run.count] = chainStarts[g]!;
      run.ends[run.count] = chainEnds[g]!;
      if (g < count - 1) run.gaps[run.count] = chainGaps[g]!;
      run.count++;
      g++;
    }
    visit(run);
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

/** The fewest digits of any group in `i..j`. */
export function smallestGroup(run: DigitRun, i: number, j: number): number {
  let min = Infinity;
  for (let g = i; g <= j; g++) min = Math.min(min, run.ends[g]! - run.starts[g]!);
  return min;
}

/**
 * Whether groups `i..j` stand apart from the rest of their run: each gap
 * just outside them differs from every gap inside, so the reader sees where
 * the number ends (`123-45-6789 2024-01-15`, not `123-45-6789-0000`).
 */
export function standsApart(run: DigitRun, i: number, j: number): boolean {
  for (const outer of [
    i > 0 ? run.gaps[i - 1] : undefined,
    j < run.count - 1 ? run.gaps[j] : undefined,
  ]) {
    if (outer === undefined) continue;
    for (let g = i; g < j; g++) if (run.gaps[g] === outer) return false;
  }
  return true;
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
