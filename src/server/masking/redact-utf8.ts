import { isAlpha, isDigit } from './chars.js';
import { redactEmail } from './redact.js';

/**
 * The redactions of `redact.ts` computed on UTF-8 bytes, for a detected value
 * that is a whole field straight off the wire: no decode and no re-encode.
 * Each gives exactly the bytes of its string counterpart's output. Letters
 * and digits are ASCII in both encodings and every byte of a multi-byte
 * sequence is ≥ 0x80, so a byte-wise pass that hides ASCII letters or digits
 * and copies every other byte keeps the same layout as the string pass.
 */

/** `keepLast` on `bytes[start, end)`: ASCII letters and digits (or digits only) become `*` but the last `keep`. */
export function keepLastUtf8(
  bytes: Uint8Array,
  start: number,
  end: number,
  keep: number,
  onlyDigits = false,
): Buffer {
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
export function redactEmailUtf8(bytes: Uint8Array, start: number, end: number): Buffer {
  let at = end - 1;
  while (at >= start && bytes[at] !== 0x40) at--;
  // No `@` past the first character, or a first character that is not one ASCII byte
  // (`redactEmail` keeps one UTF-16 unit): the string redaction decides.
  if (at <= start || bytes[start]! >= 0x80) {
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString(
      'utf8',
      start,
      end,
    );
    return Buffer.from(redactEmail(text), 'utf8');
  }
  const out = Buffer.allocUnsafe(4 + end - at);
  out[0] = bytes[start]!;
  out[1] = out[2] = out[3] = 0x2a;
  for (let i = at; i < end; i++) out[4 + i - at] = bytes[i]!;
  return out;
}
