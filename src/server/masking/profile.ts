import { blockFolds, codeAt, FOLD_DROP, FOLD_KEEP, foldCode } from './chars.js';
import type { TextProfile } from './types.js';

const DIGIT = 1;
const UPPER = 2;
const AT = 4;
const DOT = 8;
const COLON = 16;
/** Part of a base64/base64url/token run: `[A-Za-z0-9_+/=-]`. */
const TOKEN = 32;
/** An ASCII control character the fold drops. */
const DROP = 64;
/** Space or an opening bracket: may start the word `at` of a spelled-out address. */
const OPENS = 128;

/**
 * Character class of each byte (and of each ASCII code unit). Bytes ≥ 0x80
 * are 0 here: the loops decode and fold them on the path class 0 takes.
 */
const CLASS = new Uint8Array(256);
for (let c = 0x30; c <= 0x39; c++) CLASS[c] = DIGIT | TOKEN;
for (let c = 0x41; c <= 0x5a; c++) CLASS[c] = UPPER | TOKEN;
for (let c = 0x61; c <= 0x7a; c++) CLASS[c] = TOKEN;
for (const c of '_+/=-') CLASS[c.charCodeAt(0)] = TOKEN;
for (let c = 0; c < 0x20; c++) if (c !== 0x09 && c !== 0x0a && c !== 0x0d) CLASS[c] = DROP;
CLASS[0x7f] = DROP;
CLASS[0x40] = AT;
CLASS[0x2e] = DOT;
CLASS[0x3a] = COLON;
for (const c of ' [({<') CLASS[c.charCodeAt(0)] = OPENS;

/**
 * Whether the UTF-8 character at `bytes[k]` (a control or a byte ≥ 0x80) may
 * fold to something or to nothing: a control character, a character that
 * folds, a malformed sequence. A letter that stays as it is cannot be the
 * `a` or `t` of `at`.
 */
function bytesMayFold(bytes: Uint8Array, k: number, end: number): boolean {
  if (bytes[k]! < 0x80) return true;
  const cp = decodeAt(bytes, k, end);
  return cp < 0 || foldCode(cp) !== FOLD_KEEP;
}

/** `bytesMayFold` for a UTF-16 code unit (≥ 0x80, or a control). */
function unitMayFold(unit: number): boolean {
  return unit < 0x80 || (unit >= 0xd800 && unit <= 0xdfff) || foldCode(unit) !== FOLD_KEEP;
}

/**
 * Whether the bytes after an opening (space or bracket) at `i` may fold to
 * `at`. What is not ASCII and may fold, and ASCII controls (dropped), count:
 * the count never misses one, and is at least the decoded text's.
 */
function bytesStartAtWord(bytes: Uint8Array, i: number, end: number): boolean {
  if (i + 1 >= end) return false;
  const c1 = bytes[i + 1]!;
  if ((c1 | 0x20) === 0x61) {
    if (i + 2 >= end) return false;
    const c2 = bytes[i + 2]!;
    return (
      (c2 | 0x20) === 0x74 ||
      ((c2 >= 0x80 || (CLASS[c2]! & DROP) !== 0) && bytesMayFold(bytes, i + 2, end))
    );
  }
  return (c1 >= 0x80 || (CLASS[c1]! & DROP) !== 0) && bytesMayFold(bytes, i + 1, end);
}

/** `bytesStartAtWord` on a string's code units. */
function textStartsAtWord(text: string, i: number): boolean {
  const c1 = codeAt(text, i + 1);
  if (c1 < 0) return false;
  if ((c1 | 0x20) === 0x61) {
    const c2 = codeAt(text, i + 2);
    if (c2 < 0) return false;
    return (c2 | 0x20) === 0x74 || ((c2 >= 0x80 || (CLASS[c2]! & DROP) !== 0) && unitMayFold(c2));
  }
  return (c1 >= 0x80 || (CLASS[c1]! & DROP) !== 0) && unitMayFold(c1);
}

/** Whether a character folded from a non-ASCII one is part of `at` or opens it: counted blindly. */
function foldsToAtWord(fold: number): boolean {
  return (fold | 0x20) === 0x61 || (fold | 0x20) === 0x74 || (CLASS[fold]! & OPENS) !== 0;
}

/** A zeroed profile, for callers that keep one and refill it. */
export function emptyProfile(): TextProfile {
  return {
    length: 0,
    digits: 0,
    upper: 0,
    at: 0,
    dots: 0,
    colons: 0,
    tokenRun: 0,
    folds: 0,
    atWords: 0,
  };
}

/**
 * Fills `out` from `bytes[start, end)` (UTF-8). One pass, no allocation.
 * A multi-byte sequence counts as the character its code point folds to
 * (`chars.ts`): a full-width `４` as a digit. A sequence that does not decode
 * counts as nothing, as the U+FFFD the text decoder makes of it; where this
 * decoder is laxer (an overlong form), it counts more, never less, so the
 * byte profile admits at least what the decoded text's profile would.
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
  let folds = 0;
  let atWords = 0;
  for (let i = start; i < end; i++) {
    const lead = bytes[i]!;
    let c = CLASS[lead]!;
    if (c === 0) {
      if (lead < 0x80) {
        run = 0;
        continue;
      }
      // Characters of blocks where nothing folds (most letters of most scripts) are passed
      // over without decoding them whole, a stretch at a time; their continuation bytes are
      // checked, so a malformed sequence never swallows an ASCII character.
      const next = skipPlain(bytes, i, end);
      if (next > i) {
        i = next - 1;
        run = 0;
        continue;
      }
      const fold = foldUtf8At(bytes, i, end);
      i += foldedWidth - 1;
      if (fold < 0) {
        // Dropped characters are invisible: they do not end a token run.
        if (fold === FOLD_DROP) folds++;
        else run = 0;
        continue;
      }
      folds++;
      if (foldsToAtWord(fold)) atWords++;
      c = CLASS[fold]!;
      if (c === 0 || c & OPENS) {
        run = 0;
        continue;
      }
    } else if (c & (DROP | OPENS)) {
      if (c & DROP) {
        folds++;
        continue;
      }
      // After a space, mostly a letter that is not `a`: one test, and further only then.
      if (i + 1 < end) {
        const c1 = bytes[i + 1]!;
        if (
          ((c1 | 0x20) === 0x61 || c1 >= 0x80 || CLASS[c1]! & DROP) &&
          bytesStartAtWord(bytes, i, end)
        ) {
          atWords++;
        }
      }
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
  out.folds = folds;
  out.atWords = atWords;
  return out;
}

/**
 * The end of the stretch of well-formed two- and three-byte UTF-8 characters
 * from `i` whose blocks hold nothing that folds (`i` when there is none).
 */
function skipPlain(bytes: Uint8Array, i: number, end: number): number {
  let k = i;
  while (k < end) {
    const lead = bytes[k]!;
    if (lead >= 0xe0 && lead < 0xf0) {
      if (k + 2 >= end || (bytes[k + 1]! & 0xc0) !== 0x80 || (bytes[k + 2]! & 0xc0) !== 0x80) break;
      if (blockFolds(((lead & 0x0f) << 6) | (bytes[k + 1]! & 0x3f))) break;
      k += 3;
    } else if (lead >= 0xc2 && lead < 0xe0) {
      if (k + 1 >= end || (bytes[k + 1]! & 0xc0) !== 0x80 || blockFolds(lead & 0x1f)) break;
      k += 2;
    } else break;
  }
  return k;
}

/** Bytes the last `foldUtf8At` read. */
let foldedWidth = 1;

/**
 * The fold (`foldCode`) of the UTF-8 sequence at `bytes[i]` (a byte ≥ 0x80),
 * `FOLD_KEEP` when it does not decode (a U+FFFD), with its length in
 * `foldedWidth`. Off the profile loops' main path, so they stay small.
 */
function foldUtf8At(bytes: Uint8Array, i: number, end: number): number {
  const cp = decodeAt(bytes, i, end);
  if (cp < 0) {
    foldedWidth = 1;
    return FOLD_KEEP;
  }
  const lead = bytes[i]!;
  foldedWidth = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
  return foldCode(cp);
}

/**
 * The code point of the UTF-8 sequence at `bytes[i]` (a byte ≥ 0x80), or -1
 * when it is not a lead byte followed by its continuation bytes within `end`.
 * Overlong forms and surrogates are not rejected: see `profileBytes`.
 */
function decodeAt(bytes: Uint8Array, i: number, end: number): number {
  const b = bytes[i]!;
  const need = b >= 0xf0 ? (b <= 0xf4 ? 3 : -1) : b >= 0xe0 ? 2 : b >= 0xc2 ? 1 : -1;
  if (need < 0 || i + need >= end) return -1;
  let cp = b & (0x3f >> need);
  for (let k = 1; k <= need; k++) {
    const next = bytes[i + k]!;
    if ((next & 0xc0) !== 0x80) return -1;
    cp = (cp << 6) | (next & 0x3f);
  }
  return cp <= 0x10ffff ? cp : -1;
}

/** Fills `out` from a string's UTF-16 code units; the same counts as `profileBytes` on its UTF-8. */
export function profileText(text: string, out: TextProfile = emptyProfile()): TextProfile {
  let digits = 0;
  let upper = 0;
  let at = 0;
  let dots = 0;
  let colons = 0;
  let run = 0;
  let tokenRun = 0;
  let folds = 0;
  let atWords = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    let c = unit < 0x80 ? CLASS[unit]! : 0;
    if (c === 0) {
      if (unit < 0x80 || ((unit < 0xd800 || unit > 0xdfff) && !blockFolds(unit >> 6))) {
        run = 0;
        continue;
      }
      let cp = unit;
      if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
        const low = text.charCodeAt(i + 1);
        if (low >= 0xdc00 && low <= 0xdfff) {
          cp = 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
          i++;
        }
      }
      const fold = foldCode(cp);
      if (fold === FOLD_KEEP) {
        run = 0;
        continue;
      }
      folds++;
      if (fold === FOLD_DROP) continue;
      if (foldsToAtWord(fold)) atWords++;
      c = CLASS[fold]!;
      if (c === 0 || c & OPENS) {
        run = 0;
        continue;
      }
    } else if (c & (DROP | OPENS)) {
      if (c & DROP) {
        folds++;
        continue;
      }
      if (textStartsAtWord(text, i)) atWords++;
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
  out.folds = folds;
  out.atWords = atWords;
  return out;
}
