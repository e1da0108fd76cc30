import { valueAt, type KeyPath, type Problem } from './locate.js';

/** Lists whose entries are referred to by name, so two entries may not share one. */
const NAMED_LISTS = [
  { path: ['connections'], what: 'connection' },
  { path: ['auth', 'apiKeys'], what: 'API key' },
] as const;

/**
 * Finds entries that reuse a name. Names are compared without case, since
 * `hoop connect PG-PROD` and a policy naming `pg-prod` must not reach two
 * different targets. The later entry is reported, pointing back at the first.
 *
 * @param raw the config as written, for quoting names
 * @param input the config with references resolved, for comparing them
 */
export function duplicateNames(
  raw: unknown,
  input: unknown,
  lineOf: (path: KeyPath) => number,
): Problem[] {
  const problems: Problem[] = [];
  for (const list of NAMED_LISTS) {
    const entries = valueAt(input, list.path);
    if (!Array.isArray(entries)) continue;
    const first = new Map<string, number>();
    entries.forEach((entry: unknown, index) => {
      const name = valueAt(entry, ['name']);
      if (typeof name !== 'string') return;
      const seen = first.get(name.toLowerCase());
      if (seen === undefined) {
        first.set(name.toLowerCase(), index);
        return;
      }
      const path = [...list.path, index, 'name'];
      const firstPath = [...list.path, seen, 'name'];
      problems.push({
        path,
        message:
          `duplicate ${list.what} name ${JSON.stringify(valueAt(raw, path))}, ` +
          `already used by ${formatIndex(list.path, seen)} on line ${lineOf(firstPath)}`,
      });
    });
  }
  return problems;
}

function formatIndex(path: readonly string[], index: number): string {
  return `${path.join('.')}[${index}]`;
}
