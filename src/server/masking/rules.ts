import { HoopError } from '../../lib/errors.js';

/**
 * Column selectors of mask rules, protocol-neutral.
 *
 * A selector is one to three dot-separated parts, each a name or a glob with
 * `*` (any run of characters, possibly empty):
 *
 * | selector | matches |
 * | --- | --- |
 * | `email`, `*email*` | a column of that name in any table, and a result column of that name with no known source |
 * | `customers.email`, `*.ssn`, `customers.*` | that table and column **in any schema**: `public.customers.email` and `crm.customers.email` |
 * | `public.customers.email`, `public.*.*` | that schema, table and column |
 *
 * Names compare case-insensitively, as unquoted SQL identifiers do (and as
 * MySQL table names do on most systems); a part in double quotes
 * (`"Customers".email`) compares exactly, as a quoted identifier does.
 *
 * A result column whose source table is unknown (an expression, a function, a
 * driver that does not say) is matched on its result name by the column part
 * of every selector: when in doubt, mask (fail closed). `SELECT email AS e`
 * from an unknown source is not caught by a selector, which is what content
 * detectors are for.
 */
export interface ColumnSelector {
  /** The selector as written, for messages and audit. */
  readonly text: string;
  readonly schema?: NamePattern;
  readonly table?: NamePattern;
  readonly column: NamePattern;
}

/** One part of a selector: a literal or a glob. */
export interface NamePattern {
  readonly exact: boolean;
  test(name: string): boolean;
}

/** Where a result column comes from, as far as the protocol can tell. */
export interface ColumnSource {
  schema?: string;
  table: string;
  column: string;
}

export function parseSelector(text: string): ColumnSelector {
  const parts = splitParts(text);
  if (parts === undefined || parts.length === 0 || parts.length > 3) {
    throw new HoopError('HOOP_CONFIG_INVALID', `invalid mask column selector "${text}"`, {
      hint: 'Write table.column, schema.table.column or a column name; * is a wildcard.',
    });
  }
  const patterns = parts.map(namePattern);
  const column = patterns.pop()!;
  const table = patterns.pop();
  const schema = patterns.pop();
  return {
    text,
    column,
    ...(table === undefined ? {} : { table }),
    ...(schema === undefined ? {} : { schema }),
  };
}

/** Whether `selector` picks a result column with this source (if known) and result name. */
export function selectorMatches(
  selector: ColumnSelector,
  source: ColumnSource | undefined,
  name: string,
): boolean {
  if (source === undefined) return selector.column.test(name);
  if (!selector.column.test(source.column)) return false;
  if (selector.table !== undefined && !selector.table.test(source.table)) return false;
  if (selector.schema !== undefined) {
    // A selector that names a schema cannot be satisfied by a source that does not: fail closed.
    return source.schema === undefined || selector.schema.test(source.schema);
  }
  return true;
}

interface Part {
  value: string;
  quoted: boolean;
}

/** Splits on dots outside double quotes; `""` inside quotes is a quote. Undefined when malformed. */
function splitParts(text: string): Part[] | undefined {
  const parts: Part[] = [];
  let i = 0;
  for (;;) {
    let value = '';
    let quoted = false;
    if (text[i] === '"') {
      quoted = true;
      i++;
      for (;;) {
        if (i >= text.length) return undefined;
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += text[i++];
      }
    } else {
      while (i < text.length && text[i] !== '.') value += text[i++];
      value = value.trim();
    }
    if (value === '') return undefined;
    parts.push({ value, quoted });
    if (i >= text.length) return parts;
    if (text[i] !== '.') return undefined;
    i++;
  }
}

function namePattern({ value, quoted }: Part): NamePattern {
  if (quoted) return { exact: true, test: (name) => name === value };
  const lower = value.toLowerCase();
  if (lower === '*') return { exact: false, test: () => true };
  if (!lower.includes('*')) return { exact: true, test: (name) => name.toLowerCase() === lower };
  const pieces = lower.split('*').map((p) => p.replace(/[\\^$.|?+()[\]{}]/g, '\\$&'));
  const regex = new RegExp(`^${pieces.join('.*')}$`, 's');
  return { exact: false, test: (name) => regex.test(name.toLowerCase()) };
}
