/** ASCII character tests on UTF-16 code units; detectors scan strings by hand to stay linear. */

export function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

export function isUpper(c: number): boolean {
  return c >= 0x41 && c <= 0x5a;
}

export function isAlpha(c: number): boolean {
  return (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a;
}

export function isAlnum(c: number): boolean {
  return isDigit(c) || isAlpha(c);
}

/** Letters, digits and `_`: what continues a word, so a match cannot start or end inside one. */
export function isWordChar(c: number): boolean {
  return isAlnum(c) || c === 0x5f;
}

/** Code unit at `i`, or -1 outside the string: boundary checks need no range tests. */
export function codeAt(text: string, i: number): number {
  return i >= 0 && i < text.length ? text.charCodeAt(i) : -1;
}

/** The ASCII digits of `text[start, end)` as numbers. */
export function digitsOf(text: string, start = 0, end = text.length): number[] {
  const out: number[] = [];
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (isDigit(c)) out.push(c - 0x30);
  }
  return out;
}
