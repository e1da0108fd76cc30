/**
 * How the rows of a COPY are written, from its options.
 * https://www.postgresql.org/docs/current/sql-copy.html
 */
export interface CopyFormat {
  format: 'text' | 'csv' | 'binary';
  /** One single-byte character between columns: tab for text, `,` for CSV. */
  delimiter: string;
  /** How NULL is written: `\N` for text, the empty string (unquoted) for CSV. */
  null: string;
  /** CSV only: the quoting character, `"` by default. */
  quote: string;
  /** CSV only: the character before a quote (or itself) inside quotes; defaults to `quote`. */
  escape: string;
  /** The first line holds the column names (text and CSV). */
  header: boolean;
}

/** A COPY's options with PostgreSQL's defaults filled in for its format. */
export function copyFormat(
  options: Partial<CopyFormat> & { format?: CopyFormat['format'] } = {},
): CopyFormat {
  const format = options.format ?? 'text';
  const csv = format === 'csv';
  const quote = options.quote ?? '"';
  return {
    format,
    delimiter: options.delimiter ?? (csv ? ',' : '\t'),
    null: options.null ?? (csv ? '' : '\\N'),
    quote,
    escape: options.escape ?? quote,
    header: options.header ?? false,
  };
}

/** Byte values of the one-byte characters a codec compares against. */
export interface FormatBytes {
  delimiter: number;
  quote: number;
  escape: number;
  null: Buffer;
}

export function formatBytes(format: CopyFormat): FormatBytes {
  return {
    delimiter: format.delimiter.charCodeAt(0),
    quote: format.quote.charCodeAt(0),
    escape: format.escape.charCodeAt(0),
    null: Buffer.from(format.null, 'utf8'),
  };
}
