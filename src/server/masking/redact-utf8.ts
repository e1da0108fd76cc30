import { isAlpha, isDigit } from './chars.js';
import { keepLast, redactEmail } from './redact.js';

/**
 * The redactions of `redact.ts` computed on UTF-8 bytes, for a detected value
 * that is a whole field straight off the wire: no decode and no re-encode.
 * Each gives exactly the bytes of its string counterpart's output. For an
 * ASCII value, letters and digits are the same bytes in both encodings, so a
 * byte-wise pass that hides ASCII letters or digits and copies every other
 * byte keeps the same layout as the string pass. A value with any byte ≥ 0x80
 * may hold digits of other scripts or full-width forms, which the string
 * redactions hide too: it is decoded and redacted as a string.
 */

function decode(bytes: Uint8Array, start: number, end: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8', start, end);
}

function isAscii(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (bytes[i]! >= 0x80) return false;
  return true;
}

/** `keepLast` on `bytes[start, end)`: ASCII letters and digits (or digits only) become `*` but the last `keep`. */
export function keepLastUtf8(
  bytes: Uint8Array,
  start: number,
  end: number,
  keep: number,
  onlyDigits = false,
): Buffer {
  if (!isAscii(bytes, start, end)) {
    return Buffer.from(keepLast(decode(bytes, start, end), keep, onlyDigits), 'utf8');
  }
  const out = Buffer.allocUnsafe(end - start);
  let kept = 0;
  for (let i = end - 1; i >= start; i--) {
    const c = bytes[i]!;
    const hidden = onlyDigits ? isDigit(c) : isDigit(c) || isAlpha(c);
    out[i - start] = hidden && kept++ >= keep ? 0x2a : c;
  }
  return out;
}

/** `redactCard` on UTF-8: the last four digits and the separators stay. */
export function redactCardUtf8(bytes: Uint8Array, start: number, end: number): Buffer {
  return keepLastUtf8(bytes, start, end, 4, true);
}

/** `redactPhone` on UTF-8: the last two digits, `+` and the separators stay. */
export function redactPhoneUtf8(bytes: Uint8Array, start: number, end: number): Buffer {
  return keepLastUtf8(bytes, start, end, 2, true);
}

/** `redactEmail` on UTF-8: `jane.doe@example.com` → `j***@example.com`. */
export function redactEmailUtf8(
  bytes: Uint8Array,
  start: number,
  end: number,
  kind?: string,
): Buffer {
  // The last `@`, and whether the domain after it is ASCII: a `＠` there, or a first
  // character of several bytes, or a spelled-out at, and the string redaction decides.
  let at = end - 1;
  let ascii = true;
  for (; at >= start && bytes[at] !== 0x40; at--) if (bytes[at]! >= 0x80) ascii = false;
  if (at <= start || !ascii || kind === 'spelled' || bytes[start]! >= 0x80) {
    return Buffer.from(redactEmail(decode(bytes, start, end), kind), 'utf8');
  }
  const out = Buffer.allocUnsafe(4 + end - at);
  out[0] = bytes[start]!;
  out[1] = out[2] = out[3] = 0x2a;
  for (let i = at; i < end; i++) out[4 + i - at] = bytes[i]!;
  return out;
}
