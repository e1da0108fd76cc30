import { codeAt, isAlnum, isDigit } from '../chars.js';

/** A run of digit groups joined by single separators, e.g. `4242 4242 4242 4242`. */
export interface DigitRun {
  start: number;
  end: number;
  /** [start, end) of each group of digits. */
  groups: Array<[number, number]>;
  /** The separator after each group but the last. */
  separators: number[];
}

/**
 * Scans the digit runs in `text` whose groups are joined by one of
 * `separators` (char codes). A run must not touch letters or digits on either
 * side, so `A4242…` or `…4242x` are not runs. Calls `visit` for each run.
 */
export function forEachDigitRun(
  text: string,
  separators: readonly number[],
  visit: (run: DigitRun) => void,
): void {
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (!isDigit(c)) {
      i++;
      continue;
    }
    const start = i;
    const groups: Array<[number, number]> = [];
    const seps: number[] = [];
    for (;;) {
      const groupStart = i;
      while (i < n && isDigit(text.charCodeAt(i))) i++;
      groups.push([groupStart, i]);
      const next = codeAt(text, i);
      if (separators.includes(next) && isDigit(codeAt(text, i + 1))) {
        seps.push(next);
        i++;
        continue;
      }
      break;
    }
    const end = i;
    if (!isAlnum(codeAt(text, start - 1)) && !isAlnum(codeAt(text, end))) {
      visit({ start, end, groups, separators: seps });
    }
    // Skip the rest of an alphanumeric word so its digits are not scanned again.
    while (i < n && isAlnum(text.charCodeAt(i))) i++;
  }
}
