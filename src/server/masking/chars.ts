import type { Match } from './types.js';

/**
 * Character tests and the Unicode fold the detectors scan through.
 *
 * Detectors match ASCII: a digit is `0`–`9`, a separator is `-` or a space.
 * Text can spell the same value with other characters a reader takes for
 * those (`４２４２`, `٤٢٤٢`, `4 242` with a no-break space, `4‐242` with a
 * Unicode hyphen) or hide characters a reader does not see between them
 * (`4\u200b242`). `foldText` maps such text to the ASCII the detectors read,
 * with a map back to the original offsets, so that a match covers (and a
 * redaction hides) the original characters. Per code point, in this order:
 *
 * - tag characters U+E0020–E007E (invisible copies of ASCII) → that ASCII;
 * - a decimal digit of any script (General_Category Nd) → its ASCII digit;
 * - a character whose NFKC form is one printable ASCII character (full-width
 *   forms, superscript and circled digits, mathematical letters and digits,
 *   no-break and other compatibility spaces, `﹫`, `․`) → that character;
 * - other space separators (Zs) → space; dashes (Pd) and U+2212 minus → `-`;
 *   middle dots and bullets used as digit separators, and the ideographic
 *   full stops IDNA reads as dots → `.`;
 * - control and format characters, combining marks and default-ignorable
 *   code points (Cc but TAB, LF, CR; Cf; Mn; Me; Default_Ignorable_Code_Point)
 *   → nothing: they are dropped;
 * - anything else stays as it is.
 *
 * Code points are classified on first sight and cached, so the engine's own
 * Unicode tables decide and nothing is computed at load.
 */

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

/** `foldCode` result: the code point stays as it is. */
export const FOLD_KEEP = -1;
/** `foldCode` result: the code point is dropped (invisible). */
export const FOLD_DROP = -2;

const ND = /^\p{Nd}$/u;
const SPACE = /^\p{Zs}$/u;
const DASH = /^[\p{Pd}\u2212]$/u;
const INVISIBLE = /^[\p{Cc}\p{Cf}\p{Mn}\p{Me}\p{Default_Ignorable_Code_Point}]$/u;
const WORD = /^[\p{L}\p{N}\p{M}]$/u;
/** Middle dots and bullets (`4111·1111`), and the full stops IDNA maps to `.` (`。`, `｡`). */
const DOTS = new Set([0x00b7, 0x2022, 0x2027, 0x2219, 0x22c5, 0x3002, 0x30fb, 0xff61, 0xff65]);

// Per BMP code point: 0 not yet classified, else the fold (an ASCII code, FOLD_KEEP or FOLD_DROP).
const BMP_FOLD = new Int16Array(0x10000);
for (let c = 0; c < 0x80; c++) {
  BMP_FOLD[c] =
    c < 0x20 || c === 0x7f ? (c === 0x09 || c === 0x0a || c === 0x0d ? c : FOLD_DROP) : c;
}
// Astral code points: a bounded cache, since every one of them could be sent.
const astralFold = new Map<number, number>();
const ASTRAL_CACHE = 4096;

/**
 * What code point `cp` reads as (see the module comment): an ASCII code, or
 * `FOLD_KEEP`, or `FOLD_DROP`. ASCII folds to itself, its control characters
 * but TAB, LF and CR to `FOLD_DROP`.
 */
export function foldCode(cp: number): number {
  if (cp < 0x10000) return BMP_FOLD[cp] || (BMP_FOLD[cp] = classify(cp));
  let fold = astralFold.get(cp);
  if (fold === undefined) {
    if (astralFold.size >= ASTRAL_CACHE) astralFold.clear();
    astralFold.set(cp, (fold = classify(cp)));
  }
  return fold;
}

// Per block of 64 BMP code points (`cp >> 6`): 0 not yet looked at, 1 none of them
// folds (all stay as they are), 2 some do.
const BLOCK_FOLDS = new Uint8Array(0x400);

/**
 * Whether any code point of BMP block `block` (`cp >> 6`) folds or is
 * dropped: when not, a scan can pass a character of the block without
 * classifying it (most letters of most scripts). Each block is classified
 * once, on first sight.
 */
export function blockFolds(block: number): boolean {
  return (BLOCK_FOLDS[block] || classifyBlock(block)) === 2;
}

function classifyBlock(block: number): number {
  let state = 1;
  for (let cp = block << 6; cp < (block + 1) << 6 && state === 1; cp++) {
    const fold = foldCode(cp);
    if (fold !== FOLD_KEEP && fold !== cp) state = 2;
  }
  return (BLOCK_FOLDS[block] = state);
}

function classify(cp: number): number {
  if (cp >= 0xe0020 && cp <= 0xe007e) return cp - 0xe0000;
  const ch = String.fromCodePoint(cp);
  if (ND.test(ch)) {
    // Decimal digits come in runs of ten, zero first (Unicode stability policy).
    let zero = cp;
    while (ND.test(String.fromCodePoint(zero - 1))) zero--;
    return 0x30 + ((cp - zero) % 10);
  }
  const nfkc = ch.normalize('NFKC');
  if (nfkc.length === 1 && nfkc.charCodeAt(0) >= 0x20 && nfkc.charCodeAt(0) < 0x7f) {
    return nfkc.charCodeAt(0);
  }
  if (SPACE.test(ch)) return 0x20;
  if (DASH.test(ch)) return 0x2d;
  if (DOTS.has(cp)) return 0x2e;
  if (INVISIBLE.test(ch)) return FOLD_DROP;
  return FOLD_KEEP;
}

// Per BMP code point: 0 not yet classified, 1 no, 2 yes.
const BMP_WORD = new Uint8Array(0x10000);

/**
 * Whether a non-ASCII UTF-16 code unit can be part of a word of some script
 * (a letter, number or mark; surrogates count, so astral letters do): for
 * internationalised email addresses.
 */
export function isUnicodeWord(c: number): boolean {
  if (c < 0x80) return false;
  if (c >= 0xd800 && c <= 0xdfff) return true;
  return (BMP_WORD[c] || (BMP_WORD[c] = WORD.test(String.fromCharCode(c)) ? 2 : 1)) === 2;
}

/** Text as the detectors read it, with `map[i]` the offset in the original of unit `i`. */
export interface Folded {
  text: string;
  /**
   * One entry per UTF-16 unit of `text`, and a last one: the original's
   * length. A match `[s, e)` of the folded text is `[map[s], map[e])` of the
   * original, so dropped characters after a match's last character fall inside it.
   */
  map: Int32Array;
}

/** `text` folded (see the module comment); `undefined` when folding changes nothing. */
export function foldText(text: string): Folded | undefined {
  const n = text.length;
  let i = 0;
  while (i < n) {
    const width = codePointWidth(text, i);
    const fold = foldCode(width === 2 ? text.codePointAt(i)! : text.charCodeAt(i));
    if (fold !== FOLD_KEEP && fold !== text.charCodeAt(i)) break;
    i += width;
  }
  if (i === n) return undefined;
  const map = new Int32Array(n + 1);
  const units: number[] = [];
  for (let k = 0; k < i; k++) {
    units.push(text.charCodeAt(k));
    map[k] = k;
  }
  while (i < n) {
    const width = codePointWidth(text, i);
    const fold = foldCode(width === 2 ? text.codePointAt(i)! : text.charCodeAt(i));
    if (fold >= 0) {
      map[units.length] = i;
      units.push(fold);
    } else if (fold === FOLD_KEEP) {
      for (let w = 0; w < width; w++) {
        map[units.length] = i + w;
        units.push(text.charCodeAt(i + w));
      }
    }
    i += width;
  }
  map[units.length] = n;
  let folded = '';
  for (let k = 0; k < units.length; k += 8192) {
    folded += String.fromCharCode(...units.slice(k, k + 8192));
  }
  return { text: folded, map: map.subarray(0, units.length + 1) };
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** The width in UTF-16 units (1 or 2) of the code point at `i`. */
function codePointWidth(text: string, i: number): number {
  const c = text.charCodeAt(i);
  return c >= 0xd800 && c <= 0xdbff && isLowSurrogate(codeAt(text, i + 1)) ? 2 : 1;
}

/**
 * A detector's `find` from its `findFolded`: folds the text, finds, and maps
 * each match back to the original's offsets.
 */
export function foldedFinder(findFolded: (text: string) => Match[]): (text: string) => Match[] {
  return (text) => {
    const folded = foldText(text);
    if (folded === undefined) return findFolded(text);
    return findFolded(folded.text).map((m) => unfold(m, folded.map));
  };
}

/** A match of a folded text as a match of its original. */
export function unfold<T extends Match>(match: T, map: Int32Array): T {
  return { ...match, start: map[match.start]!, end: map[match.end]! };
}
