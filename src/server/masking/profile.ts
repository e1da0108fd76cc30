import type { TextProfile } from './types.js';

const DIGIT = 1;
const UPPER = 2;
const AT = 4;
const DOT = 8;
const COLON = 16;
/** Part of a base64/base64url/token run: `[A-Za-z0-9_+/=-]`. */
const TOKEN = 32;

/** Character class of each ASCII code; 0 for everything else. */
const CLASS = new Uint8Array(256);
for (let c = 0x30; c <= 0x39; c++) CLASS[c] = DIGIT | TOKEN;
for (let c = 0x41; c <= 0x5a; c++) CLASS[c] = UPPER | TOKEN;
for (let c = 0x61; c <= 0x7a; c++) CLASS[c] = TOKEN;
for (const c of '_+/=-') CLASS[c.charCodeAt(0)] = TOKEN;
CLASS[0x40] = AT;
CLASS[0x2e] = DOT;
CLASS[0x3a] = COLON;

/** A zeroed profile, for callers that keep one and refill it. */
export function emptyProfile(): TextProfile {
  return { length: 0, digits: 0, upper: 0, at: 0, dots: 0, colons: 0, tokenRun: 0 };
}

/**
 * Fills `out` from `bytes[start, end)` (UTF-8). One pass, no allocation.
 * Bytes of multi-byte sequences are all ≥ 0x80, so they never look like ASCII.
 */
export function profileBytes(
  bytes: Uint8Array,
  out: TextProfile,
  start = 0,
  end = bytes.length,
): TextProfile {
  let digits = 0;
  let upper = 0;
  let at = 0;
  let dots = 0;
  let colons = 0;
  let run = 0;
  let tokenRun = 0;
  for (let i = start; i < end; i++) {
    const c = CLASS[bytes[i]!]!;
    if (c === 0) {
      run = 0;
      continue;
    }
    if (c & TOKEN) {
      if (++run > tokenRun) tokenRun = run;
    } else run = 0;
    if (c & DIGIT) digits++;
    else if (c & UPPER) upper++;
    else if (c & AT) at++;
    else if (c & DOT) dots++;
    else if (c & COLON) colons++;
  }
  out.length = end - start;
  out.digits = digits;
  out.upper = upper;
  out.at = at;
  out.dots = dots;
  out.colons = colons;
  out.tokenRun = tokenRun;
  return out;
}

/** Fills `out` from a string's UTF-16 code units; same counts as `profileBytes` on its UTF-8. */
export function profileText(text: string, out: TextProfile = emptyProfile()): TextProfile {
  let digits = 0;
  let upper = 0;
  let at = 0;
  let dots = 0;
  let colons = 0;
  let run = 0;
  let tokenRun = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const c = code < 128 ? CLASS[code]! : 0;
    if (c === 0) {
      run = 0;
      continue;
    }
    if (c & TOKEN) {
      if (++run > tokenRun) tokenRun = run;
    } else run = 0;
    if (c & DIGIT) digits++;
    else if (c & UPPER) upper++;
    else if (c & AT) at++;
    else if (c & DOT) dots++;
    else if (c & COLON) colons++;
  }
  out.length = text.length;
  out.digits = digits;
  out.upper = upper;
  out.at = at;
  out.dots = dots;
  out.colons = colons;
  out.tokenRun = tokenRun;
  return out;
}
