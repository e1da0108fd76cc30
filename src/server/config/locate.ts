import { isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

/** A key path into the config, as zod reports it: `['connections', 0, 'port']`. */
export type KeyPath = readonly PropertyKey[];

/** One thing wrong with a config file, before it is given a line and column. */
export interface Problem {
  path: KeyPath;
  message: string;
  /** Source offset when the problem is not tied to a key (YAML syntax errors). */
  offset?: number;
  /** `HOOP_SECRET_MISSING` for secrets that cannot be resolved; config errors otherwise. */
  secret?: boolean;
  /** The key itself is not allowed here; other problems at its path are moot. */
  unknownKey?: boolean;
}

/** A problem with its place in the file, 1-based. */
export interface LocatedProblem {
  line: number;
  column: number;
  key: string;
  message: string;
  secret: boolean;
}

/**
 * Maps key paths to places in the source. A key that is present points at the
 * key itself (`port:` in `port: abc`), so that a nested block value still gets
 * the line that names it; a list item points at the item; a missing key points
 * at the nearest ancestor that is present.
 */
export class Locator {
  constructor(
    private readonly doc: Document,
    private readonly lineCounter: LineCounter,
  ) {}

  offset(path: KeyPath): number {
    for (let n = path.length; n > 0; n--) {
      const at = this.ownOffset(path.slice(0, n));
      if (at !== undefined) return at;
    }
    return rangeStart(this.doc.contents) ?? 0;
  }

  position(offset: number): { line: number; column: number } {
    const { line, col } = this.lineCounter.linePos(offset);
    return { line, column: col };
  }

  line(path: KeyPath): number {
    return this.position(this.offset(path)).line;
  }

  locate(problem: Problem): LocatedProblem {
    const place = this.position(problem.offset ?? this.offset(problem.path));
    return {
      ...place,
      key: formatKeyPath(problem.path),
      message: problem.message,
      secret: problem.secret === true,
    };
  }

  private ownOffset(path: KeyPath): number | undefined {
    const parent = path.length === 1 ? this.doc.contents : this.doc.getIn(path.slice(0, -1), true);
    const last = path[path.length - 1];
    if (isMap(parent)) {
      const pair = parent.items.find(
        (p) => isScalar(p.key) && String(p.key.value) === String(last),
      );
      return pair === undefined ? undefined : (rangeStart(pair.key) ?? rangeStart(pair.value));
    }
    if (isSeq(parent) && typeof last === 'number') return rangeStart(parent.items[last]);
    return undefined;
  }
}

function rangeStart(node: unknown): number | undefined {
  return (node as Node | null | undefined)?.range?.[0];
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** `connections[0].port`; keys that are not identifiers are quoted: `auth["my key"]`. */
export function formatKeyPath(path: KeyPath): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && IDENTIFIER.test(key)) out += out === '' ? key : `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

/** Reads the value at a key path of a plain JS tree; `undefined` when absent. */
export function valueAt(tree: unknown, path: KeyPath): unknown {
  let value = tree;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    if (!Object.hasOwn(value, key)) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** Names a value for "got …" in a message, the way a user would recognise it in the file. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list';
  if (value instanceof Uint8Array) return 'binary data';
  if (value instanceof Date) return 'a date';
  return 'a mapping';
}

/**
 * Sorts located problems by place and words each one the way compilers do,
 * `file:line:column: key: what is wrong`, one per line.
 */
export function formatLocated(
  file: string,
  located: readonly LocatedProblem[],
): { problems: LocatedProblem[]; text: string } {
  const problems = [...located].sort((a, b) => a.line - b.line || a.column - b.column);
  const text = problems
    .map((p) => `${file}:${p.line}:${p.column}: ${p.key === '' ? '' : `${p.key}: `}${p.message}`)
    .join('\n');
  return { problems, text };
}
