import type { FormatBytes } from './copy-format.js';

/*
 * COPY's text format (sql-copy.html, "Text Format"): one row per line ended
 * by `\n`, columns separated by the delimiter, NULL written as the NULL
 * string, and in values a backslash escapes itself, the delimiter, and
 * control characters (`\b \f \n \r \t \v`); `\digits` (octal) and `\xhh`
 * (hex) name a byte; a backslash before any other character stands for that
 * character. A raw newline never occurs inside a value, so a row ends at the
 * first `\n`.
 */

const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;

/**
 * Splits the row `[start, end)` (newline excluded) into raw fields: writes
 * `[fieldStart, fieldEnd)` pairs to `out` and returns how many there are.
 * An escaped delimiter (`\` + delimiter) does not split.
 */
export function textFields(
  buf: Buffer,
  start: number,
  end: number,
  delimiter: number,
  out: number[],
): number {
  out.length = 0;
  let fieldStart = start;
  for (let i = start; i < end; i++) {
    const c = buf[i];
    if (c === BACKSLASH) i++;
    else if (c === delimiter) {
      out.push(fieldStart, i);
      fieldStart = i + 1;
    }
  }
  out.push(fieldStart, end);
  return out.length / 2;
}

/** True when the raw field is the NULL string (compared before escapes are read, as PostgreSQL does). */
export function isTextNull(buf: Buffer, start: number, end: number, format: FormatBytes): boolean {
  return (
    end - start === format.null.length &&
    buf.compare(format.null, 0, format.null.length, start, end) === 0
  );
}

const SIMPLE_ESCAPES: Record<number, number> = {
  0x62: 0x08, // \b
  0x66: 0x0c, // \f
  0x6e: 0x0a, // \n
  0x72: 0x0d, // \r
  0x74: 0x09, // \t
  0x76: 0x0b, // \v
};

const isOctal = (c: number | undefined): c is number => c !== undefined && c >= 0x30 && c <= 0x37;
function hexValue(c: number | undefined): number {
  if (c === undefined) return -1;
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/** The value a raw (non-NULL) text field stands for, escapes read; a view when there are none. */
export function decodeText(buf: Buffer, start: number, end: number): Buffer {
  const first = buf.indexOf(BACKSLASH, start);
  if (first === -1 || first >= end) return buf.subarray(start, end);
  const out = Buffer.allocUnsafe(end - start);
  let n = buf.copy(out, 0, start, first);
  for (let i = first; i < end; i++) {
    const c = buf[i]!;
    if (c !== BACKSLASH || i + 1 >= end) {
      out[n++] = c;
      continue;
    }
    const next = buf[++i]!;
    const simple = SIMPLE_ESCAPES[next];
    if (simple !== undefined) out[n++] = simple;
    else if (isOctal(next)) {
      let value = next - 0x30;
      for (let k = 0; k < 2 && i + 1 < end && isOctal(buf[i + 1]); k++)
        value = value * 8 + buf[++i]! - 0x30;
      out[n++] = value & 0xff;
    } else if (next === 0x78 && hexValue(buf[i + 1]) >= 0 && i + 1 < end) {
      let value = hexValue(buf[++i]);
      if (i + 1 < end && hexValue(buf[i + 1]) >= 0) value = value * 16 + hexValue(buf[++i]);
      out[n++] = value;
    } else out[n++] = next;
  }
  return out.subarray(0, n);
}

/** A value written for the text format: backslash, delimiter and control characters escaped as PostgreSQL does. */
export function encodeText(value: Buffer, delimiter: number): Buffer {
  let extra = 0;
  for (const c of value) if (needsEscape(c, delimiter)) extra++;
  if (extra === 0) return value;
  const out = Buffer.allocUnsafe(value.length + extra);
  let n = 0;
  for (const c of value) {
    if (!needsEscape(c, delimiter)) {
      out[n++] = c;
      continue;
    }
    out[n++] = BACKSLASH;
    out[n++] = ESCAPE_LETTERS[c] ?? c;
  }
  return out;
}

const ESCAPE_LETTERS: Record<number, number> = {
  0x08: 0x62,
  0x0c: 0x66,
  0x0a: 0x6e,
  0x0d: 0x72,
  0x09: 0x74,
  0x0b: 0x76,
};

function needsEscape(c: number, delimiter: number): boolean {
  return c === BACKSLASH || c === delimiter || ESCAPE_LETTERS[c] !== undefined;
}

/** The end of the row starting at `start` (the index of its `\n`), or -1 when it is not complete yet. */
export function textRowEnd(buf: Buffer, start: number): number {
  return buf.indexOf(NEWLINE, start);
}
