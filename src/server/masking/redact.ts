import { createHmac } from 'node:crypto';
import { foldCode, foldText, isAlnum, isDigit } from './chars.js';

/**
 * Redactions. Choices, so that masked output stays a valid value of a text
 * column and still tells a human what was there:
 *
 * - Format-keeping redactions (card, phone, national IDs, IBAN) keep the
 *   original layout: every hidden letter or digit becomes `*`, separators stay,
 *   so the output has as many characters as the input and never outgrows a
 *   `varchar(n)` or a fixed-width report. Letters and digits are those the
 *   detectors read (`chars.ts`): a full-width `４` or an Arabic-Indic `٤` is a
 *   digit and is hidden like `4`.
 * - Emails keep the first character of the local part and the domain.
 * - IP addresses keep the first group (private vs public is often what matters).
 * - Secrets are replaced whole by `[REDACTED:<kind>]`: no part of a credential
 *   is safe to show.
 * - Output is ASCII plus whatever the input kept, so it is valid UTF-8 and
 *   valid text in any client encoding.
 * - A masked value of a non-text column (numeric, date, json…) cannot hold `*`;
 *   `redactColumn` returns `null` for it and the caller sends SQL NULL.
 */

/**
 * Replaces every letter and digit with `*` except the last `keep` of them;
 * separators stay. Letters and digits as folded (`chars.ts`): any script's
 * digits and full-width forms are hidden too, one `*` per code point.
 */
export function keepLast(value: string, keep: number, onlyDigits = false): string {
  const hides = onlyDigits ? isDigit : isAlnum;
  let ascii = true;
  for (let i = 0; i < value.length && ascii; i++) ascii = value.charCodeAt(i) < 0x80;
  if (!ascii) return keepLastFolded(value, keep, hides);
  const codes = new Array<number>(value.length);
  let kept = 0;
  for (let i = value.length - 1; i >= 0; i--) {
    const c = value.charCodeAt(i);
    codes[i] = hides(c) && kept++ >= keep ? 0x2a : c;
  }
  return String.fromCharCode(...codes);
}

function keepLastFolded(value: string, keep: number, hides: (c: number) => boolean): string {
  const parts: string[] = [];
  let kept = 0;
  for (let end = value.length; end > 0;) {
    const low = value.charCodeAt(end - 1);
    const pair = low >= 0xdc00 && low <= 0xdfff && end >= 2 && isHighSurrogate(value, end - 2);
    const start = pair ? end - 2 : end - 1;
    const fold = foldCode(value.codePointAt(start)!);
    const hidden = fold >= 0 && hides(fold) && kept++ >= keep;
    parts.push(hidden ? '*' : value.slice(start, end));
    end = start;
  }
  return parts.reverse().join('');
}

function isHighSurrogate(value: string, i: number): boolean {
  const c = value.charCodeAt(i);
  return c >= 0xd800 && c <= 0xdbff;
}

/** `test`'s offset in the fold of `value`, as an offset in `value` (negative stays negative). */
function foldedIndex(value: string, test: (folded: string) => number): number {
  const folded = foldText(value);
  if (folded === undefined) return test(value);
  const at = test(folded.text);
  return at < 0 ? at : folded.map[at]!;
}

/** The spelled-out at of an address of kind `spelled`: the last one, as its domain holds none. */
const SPELLED_AT = /\s{0,2}[[({<]\s{0,2}at\s{0,2}[\])}>]\s{0,2}|\s{1,2}at\s{1,2}/gi;

/**
 * `jane.doe@example.com` → `j***@example.com`: the first character of the
 * local part, `***`, and everything from the at on (`＠` or a spelled-out
 * ` at ` of kind `spelled` included).
 */
export function redactEmail(value: string, kind?: string): string {
  const at = foldedIndex(value, (text) => {
    if (kind !== 'spelled') return text.lastIndexOf('@');
    let last = -1;
    SPELLED_AT.lastIndex = 0;
    for (let m = SPELLED_AT.exec(text); m !== null; m = SPELLED_AT.exec(text)) last = m.index;
    return last;
  });
  const first = value.length > 0 ? String.fromCodePoint(value.codePointAt(0)!) : '';
  if (at < 1 || at < first.length) return redactText(value);
  return `${first}***${value.slice(at)}`;
}

/** `4242 4242 4242 4242` → `**** **** **** 4242`: last four digits and the separators stay. */
export function redactCard(value: string): string {
  return keepLast(value, 4, true);
}

/** `+1 (415) 555-2671` → `+* (***) ***-**71`: last two digits, `+` and separators stay. */
export function redactPhone(value: string): string {
  return keepLast(value, 2, true);
}

/**
 * National IDs: `123-45-6789` → `***-**-6789` (SSN and Aadhaar keep four, as
 * printed on their own statements); the others keep their last two characters.
 */
export function redactNationalId(value: string, kind?: string): string {
  return keepLast(value, kind === 'ssn' || kind === 'aadhaar' ? 4 : 2);
}

/** `GB82 WEST 1234 5698 7654 32` → `GB** **** **** **** **54 32`: country and last four. */
export function redactIban(value: string): string {
  const tail = keepLast(value.slice(2), 4);
  return value.slice(0, 2) + tail;
}

/** `10.1.2.3` → `10.x.x.x`; `2001:db8::1` → `2001:x:x:x:x:x:x:x`. */
export function redactIp(value: string, kind?: string): string {
  const v6 = kind === 'ipv6' || (kind === undefined && value.includes(':'));
  const end = foldedIndex(value, (text) => text.indexOf(v6 ? ':' : '.'));
  const first = end < 0 ? '' : value.slice(0, end);
  return v6 ? `${first || 'x'}:x:x:x:x:x:x:x` : `${first || 'x'}.x.x.x`;
}

/** `[REDACTED:jwt]`, `[REDACTED:aws_access_key]`… */
export function redactSecret(_value: string, kind = 'secret'): string {
  return `[REDACTED:${kind}]`;
}

/**
 * A whole masked text value: its first character and `***`, or `****` when
 * it is shorter than six characters (showing one of four would say too much).
 * The empty string stays empty: there is nothing to hide, and `''` is not NULL.
 */
export function redactText(value: string): string {
  if (value.length === 0) return value;
  let points = 0;
  for (const _ of value) if (++points >= 6) break;
  return points < 6 ? '****' : `${String.fromCodePoint(value.codePointAt(0)!)}***`;
}

/**
 * `redactText` on UTF-8 bytes, without decoding: the first code point's bytes
 * and `***`, or `****`. Returns `undefined` for an empty value (it stays empty).
 */
export function redactUtf8Text(bytes: Uint8Array): Buffer | undefined {
  if (bytes.length === 0) return undefined;
  let points = 0;
  let firstEnd = bytes.length;
  for (let i = 0; i < bytes.length && points < 6; i++) {
    if ((bytes[i]! & 0xc0) !== 0x80) {
      if (points === 1) firstEnd = i;
      points++;
    }
  }
  if (points < 6) return Buffer.from('****', 'latin1');
  const out = Buffer.allocUnsafe(firstEnd + 3);
  out.set(bytes.subarray(0, firstEnd));
  out.fill(0x2a, firstEnd);
  return out;
}

/** A masked column value: redacted text for text columns, `null` (SQL NULL) for any other type. */
export function redactColumn(value: string, text: boolean): string | null {
  return text ? redactText(value) : null;
}

/**
 * A deterministic stand-in for rules with `hashAllowed: true`: equal inputs
 * give equal outputs (joins, GROUP BY and COUNT DISTINCT still work), and the
 * gateway's key keeps it from being a dictionary-attackable plain hash.
 * 64 bits of HMAC-SHA-256, hex: `h:` + 16 characters.
 */
export function redactHash(value: string | Uint8Array, key: string | Uint8Array): string {
  return 'h:' + createHmac('sha256', key).update(value).digest('hex').slice(0, 16);
}
