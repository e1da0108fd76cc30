import { codeAt, foldedFinder, isAlnum, isAlpha, isUnicodeWord } from '../chars.js';
import { leftmostLongest } from '../overlaps.js';
import { profileText } from '../profile.js';
import { redactEmail } from '../redact.js';
import { redactEmailUtf8 } from '../redact-utf8.js';
import type { Detector, Match, TextProfile } from '../types.js';

/**
 * Email addresses, found by expanding around each `@` (or spelled-out at)
 * instead of a regex, so a long run of word characters cannot make the scan
 * quadratic. After folding, so `ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ` is one.
 *
 * - Local part: an RFC 5322 dot-atom (letters, digits, ``!#$%&'*+/=?^_`{|}~-``
 *   and inner dots) that may hold letters, digits and marks of any script
 *   (RFC 6531), or a quoted string (`"john doe"@example.com`, up to 64
 *   characters). Not limited to 64 characters: a longer one is masked too.
 * - Domain: two or more labels of letters (any script: IDN U-labels like
 *   `bücher.de`), digits and inner hyphens; the last label has two or more
 *   letters or is an A-label (`xn--p1ai`).
 * - At and dots spelled out, as people write addresses to keep them from
 *   harvesters: `[at]`, `(at)`, `{at}`, `<at>` and `[dot]`, `(dot)`, `{dot}`,
 *   `<dot>` in any case, with up to two spaces inside and around, and the
 *   bare words ` at ` and ` dot ` between spaces:
 *   `alice [at] example [dot] com`, `alice(at)example.com`,
 *   `alice at example dot com`, `alice@example dot com`. A bare ` at `
 *   counts only with a dot spelled out too: `sign up at example.com` is
 *   prose. These matches have kind `spelled`.
 */
export const email: Detector = {
  name: 'email',
  admits: (p) => (p.at > 0 && p.length >= 6) || (p.atWords > 0 && p.length >= 9),
  mightContain: (text) => email.admits(profileText(text)),
  find: foldedFinder(findEmails),
  findFolded: findEmails,
  redact: redactEmail,
  redactUtf8: redactEmailUtf8,
};

/** atext of RFC 5322 §3.2.3, plus `.`, by ASCII code. */
const LOCAL_CHARS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  if (isAlnum(c) || "!#$%&'*+/=?^_`{|}~.-".includes(String.fromCharCode(c))) LOCAL_CHARS[c] = 1;
}

function isLocalChar(c: number): boolean {
  return c >= 0 && (c < 128 ? LOCAL_CHARS[c] === 1 : isUnicodeWord(c));
}

function isLabelChar(c: number): boolean {
  return c >= 0 && (c < 128 ? isAlnum(c) || c === HYPHEN : isUnicodeWord(c));
}

const DOT = 0x2e;
const HYPHEN = 0x2d;
const QUOTE = 0x22;
const SPACE = 0x20;
/** The closing bracket of each opening one of a spelled-out at or dot, by char code. */
const CLOSING = new Uint8Array(128);
CLOSING[0x5b] = 0x5d;
CLOSING[0x28] = 0x29;
CLOSING[0x7b] = 0x7d;
CLOSING[0x3c] = 0x3e;

/** The bracket closing `c`, or 0 when `c` opens none. */
function closing(c: number): number {
  return c >= 0 && c < 128 ? CLOSING[c]! : 0;
}
/** Spaces allowed inside and around a spelled-out at or dot. */
const SPACES = 2;

function findEmails(text: string, profile?: TextProfile): Match[] {
  const out: Match[] = [];
  if (profile === undefined || profile.at > 0) findAtSigns(text, out);
  if (profile !== undefined && profile.atWords === 0) return out;
  const signs = out.length;
  findSpelled(text, out);
  return signs > 0 && out.length > signs ? leftmostLongest(out) : out;
}

function findAtSigns(text: string, out: Match[]): void {
  let floor = 0; // a match may not start inside the previous one
  for (let at = text.indexOf('@'); at !== -1; at = text.indexOf('@', at + 1)) {
    const start = localStart(text, at, floor, true);
    if (start === -1) continue;
    const end = domainEnd(text, at + 1);
    if (end === -1) continue;
    out.push({ start, end });
    floor = end;
    at = end - 1;
  }
}

const AT_WORD = /at/gi;

function findSpelled(text: string, out: Match[]): void {
  let floor = 0;
  AT_WORD.lastIndex = 0;
  for (let m = AT_WORD.exec(text); m !== null; m = AT_WORD.exec(text)) {
    const marker = atMarker(text, m.index);
    if (marker === undefined) continue;
    const start = localStart(text, marker.start, floor, false);
    if (start === -1) continue;
    const end = domainEnd(text, marker.end);
    if (end === -1 || (marker.bare && !domainSpelled)) continue;
    out.push({ start, end, kind: 'spelled' });
    floor = end;
    AT_WORD.lastIndex = end;
  }
}

/** The spelled-out at around the `at` at `p`: `[at]`, `( at )`, ` at `; or undefined. */
function atMarker(
  text: string,
  p: number,
): { start: number; end: number; bare: boolean } | undefined {
  let left = spacesBefore(text, p);
  let right = spacesAfter(text, p + 2);
  const open = codeAt(text, left - 1);
  const close = closing(open);
  if (close !== 0 && codeAt(text, right) === close) {
    left = spacesBefore(text, left - 1);
    right = spacesAfter(text, right + 1);
    return { start: left, end: right, bare: false };
  }
  if (left < p && right > p + 2) return { start: left, end: right, bare: true };
  return undefined;
}

function spacesBefore(text: string, i: number): number {
  let k = i;
  while (k > i - SPACES && codeAt(text, k - 1) === SPACE) k--;
  return k;
}

function spacesAfter(text: string, i: number): number {
  let k = i;
  while (k < i + SPACES && codeAt(text, k) === SPACE) k++;
  return k;
}

/**
 * Start of the local part that ends at `end` (where the at begins), or -1: a
 * dot-atom not reaching back before `floor`, or (when `quoted` may be) a
 * quoted string.
 */
function localStart(text: string, end: number, floor: number, quoted: boolean): number {
  if (quoted && codeAt(text, end - 1) === QUOTE) {
    for (let k = end - 2; k >= Math.max(floor, end - 66); k--) {
      const c = text.charCodeAt(k);
      if (c === 0x0a || c === 0x0d) return -1;
      if (c === QUOTE && codeAt(text, k - 1) !== 0x5c) return k < end - 2 ? k : -1;
    }
    return -1;
  }
  let start = end;
  while (start > floor && isLocalChar(codeAt(text, start - 1))) start--;
  while (start < end && codeAt(text, start) === DOT) start++; // no leading dot
  if (start === end || codeAt(text, end - 1) === DOT) return -1; // nor a trailing one
  return start;
}

/** Whether the domain `domainEnd` last accepted had a dot spelled out. */
let domainSpelled = false;

/**
 * End of a host name of two or more labels starting at `from`, or -1. A
 * trailing dot (end of a sentence) is not part of it.
 */
function domainEnd(text: string, from: number): number {
  let i = from;
  let labels = 0;
  let end = -1;
  let spelled = false;
  domainSpelled = false;
  for (;;) {
    const labelStart = i;
    while (isLabelChar(codeAt(text, i))) i++;
    if (i === labelStart || codeAt(text, labelStart) === HYPHEN || codeAt(text, i - 1) === HYPHEN) {
      break;
    }
    // Every label but the first may be the last (the TLD); a trailing one that is not
    // (`example.com.1`) leaves the address at the one before.
    if (++labels >= 2 && tldOk(text, labelStart, i)) {
      end = i;
      domainSpelled = spelled;
    }
    const c = codeAt(text, i);
    if (c === DOT) {
      i++;
      continue;
    }
    if (c !== SPACE && closing(c) === 0) break;
    const next = spelledDotEnd(text, i);
    if (next === -1) break;
    spelled = true;
    i = next;
  }
  return end;
}

/** End of a spelled-out dot between labels at `i`: `[dot]`, `( dot )`, ` dot `; or -1. */
function spelledDotEnd(text: string, i: number): number {
  let k = spacesAfter(text, i);
  const close = closing(codeAt(text, k));
  if (close !== 0) k = spacesAfter(text, k + 1);
  else if (k === i) return -1;
  if (!isWord(text, k, 'dot')) return -1;
  k += 3;
  if (close !== 0) {
    k = spacesAfter(text, k);
    if (codeAt(text, k) !== close) return -1;
    return spacesAfter(text, k + 1);
  }
  const after = spacesAfter(text, k);
  return after > k ? after : -1;
}

/** Whether `text` holds `word` (lower-case ASCII) at `i`, in any case. */
function isWord(text: string, i: number, word: string): boolean {
  for (let k = 0; k < word.length; k++) {
    if ((codeAt(text, i + k) | 0x20) !== word.charCodeAt(k)) return false;
  }
  return true;
}

/** A top-level label: two or more letters (of any script), or an A-label `xn--…`. */
function tldOk(text: string, start: number, end: number): boolean {
  if (end - start < 2) return false;
  let i = start;
  while (i < end && isAlpha(text.charCodeAt(i))) i++;
  for (; i < end; i++) {
    const c = text.charCodeAt(i);
    if (!isAlpha(c) && !isUnicodeWord(c)) return end - start > 4 && isWord(text, start, 'xn--');
  }
  return true;
}
