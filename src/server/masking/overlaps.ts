import type { Match } from './types.js';

/**
 * Keeps a non-overlapping subset of `matches`, leftmost first and, among
 * matches starting at the same place, longest first; ties keep the earlier
 * entry (callers list higher-priority matches first). Sorts in place.
 */
export function leftmostLongest<T extends Match>(matches: T[]): T[] {
  if (matches.length < 2) return matches;
  const order = new Map(matches.map((m, i) => [m, i]));
  matches.sort((a, b) => a.start - b.start || b.end - a.end || order.get(a)! - order.get(b)!);
  const out: T[] = [];
  let floor = -1;
  for (const m of matches) {
    if (m.start >= floor) {
      out.push(m);
      floor = m.end;
    }
  }
  return out;
}
