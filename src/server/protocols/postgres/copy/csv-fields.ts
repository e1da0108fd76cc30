import { PgProtocolError } from '../protocol/index.js';
import type { FormatBytes } from './copy-format.js';

/*
 * COPY's CSV format (sql-copy.html, "CSV Format"): columns separated by the
 * delimiter; a value holding the delimiter, QUOTE, CR or LF is quoted, with
 * QUOTE and ESCAPE inside quotes preceded by ESCAPE; NULL is the NULL string
 * unquoted, and a value equal to the NULL string is quoted. Quoted values may
 * hold newlines, so a row ends at the first `\n` outside quotes. The reading
 * below follows PostgreSQL's CopyReadLineText and CopyReadAttributesCSV.
 */

const NEWLINE = 0x0a;
const CR = 0x0d;

/** Where a scan for the end of a CSV row stopped, to resume when more bytes arrive. */
export interface CsvScan {
  /** Next byte to look at. */
  pos: number;
  inQuote: boolean;
  lastWasEscape: boolean;
}

/**
 * Advances `scan` to the `\n` that ends the row, returning its index, or -1
 * (with `scan` at `end`) when the row is not complete yet.
 */
export function csvRowEnd(buf: Buffer, end: number, scan: CsvScan, format: FormatBytes): number {
  const { quote } = format;
  // When ESCAPE is QUOTE, the quote alone toggles (a doubled quote toggles twice), as PostgreSQL reads it.
  const escape = format.escape === quote ? -1 : format.escape;
  let { pos, inQuote, lastWasEscape } = scan;
  for (; pos < end; pos++) {
    const c = buf[pos]!;
    if (inQuote && c === escape) lastWasEscape = !lastWasEscape;
    if (c === quote && !lastWasEscape) inQuote = !inQuote;
    if (c !== escape) lastWasEscape = false;
    if (c === NEWLINE && !inQuote) {
      scan.pos = pos + 1;
      scan.inQuote = false;
      scan.lastWasEscape = false;
      return pos;
    }
  }
  scan.pos = pos;
  scan.inQuote = inQuote;
  scan.lastWasEscape = lastWasEscape;
  return -1;
}

/** One CSV field: its raw bytes `[start, end)`, and whether any of it was quoted. */
export interface CsvField {
  start: number;
  end: number;
  quoted: boolean;
}

/**
 * Splits the row `[start, end)` (newline excluded) into fields.
 *
 * @throws PgProtocolError `PG_BAD_VALUE` on a quoted field that does not end.
 */
export function csvFields(
  buf: Buffer,
  start: number,
  end: number,
  format: FormatBytes,
): CsvField[] {
  const { delimiter, quote, escape } = format;
  const fields: CsvField[] = [];
  let fieldStart = start;
  let quoted = false;
  let i = start;
  for (;;) {
    // Unquoted part: up to a delimiter, a quote or the end of the row.
    let closed = false;
    while (i < end) {
      const c = buf[i++]!;
      if (c === delimiter) {
        fields.push({ start: fieldStart, end: i - 1, quoted });
        fieldStart = i;
        quoted = false;
        continue;
      }
      if (c === quote) {
        quoted = true;
        closed = true;
        break;
      }
    }
    if (!closed) {
      fields.push({ start: fieldStart, end, quoted });
      return fields;
    }
    // Quoted part: up to the quote that closes it.
    for (;;) {
      if (i >= end)
        throw new PgProtocolError('PG_BAD_VALUE', 'COPY CSV row ends inside a quoted value');
      const c = buf[i++]!;
      if (c === escape && i < end && (buf[i] === escape || buf[i] === quote)) {
        i++;
        continue;
      }
      if (c === quote) break;
    }
  }
}

/** The value of a non-NULL field, quotes and escapes read; a view when it holds none. */
export function decodeCsv(buf: Buffer, field: CsvField, format: FormatBytes): Buffer {
  if (!field.quoted) return buf.subarray(field.start, field.end);
  const { quote, escape } = format;
  const out = Buffer.allocUnsafe(field.end - field.start);
  let n = 0;
  let inQuote = false;
  for (let i = field.start; i < field.end; i++) {
    const c = buf[i]!;
    if (!inQuote) {
      if (c === quote) inQuote = true;
      else out[n++] = c;
      continue;
    }
    if (c === escape && i + 1 < field.end && (buf[i + 1] === escape || buf[i + 1] === quote)) {
      out[n++] = buf[++i]!;
    } else if (c === quote) inQuote = false;
    else out[n++] = c;
  }
  return out.subarray(0, n);
}

/** True when the field stands for NULL: unquoted and equal to the NULL string. */
export function isCsvNull(buf: Buffer, field: CsvField, format: FormatBytes): boolean {
  const length = field.end - field.start;
  return (
    !field.quoted &&
    length === format.null.length &&
    buf.compare(format.null, 0, length, field.start, field.end) === 0
  );
}

/**
 * A value written for CSV, quoted when PostgreSQL would quote it: it holds
 * the delimiter, QUOTE, CR or LF, equals the NULL string, or starts with
 * `\.` (an end-of-data marker to older readers).
 */
export function encodeCsv(value: Buffer, format: FormatBytes): Buffer {
  const { delimiter, quote, escape } = format;
  let needsQuotes = value.equals(format.null) || (value[0] === 0x5c && value[1] === 0x2e);
  let extra = 0;
  for (const c of value) {
    if (c === delimiter || c === quote || c === NEWLINE || c === CR) needsQuotes = true;
    if (c === quote || c === escape) extra++;
  }
  if (!needsQuotes) return value;
  const out = Buffer.allocUnsafe(value.length + extra + 2);
  let n = 0;
  out[n++] = quote;
  for (const c of value) {
    if (c === quote || c === escape) out[n++] = escape;
    out[n++] = c;
  }
  out[n++] = quote;
  return out.subarray(0, n);
}
