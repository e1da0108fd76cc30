import {
  isMap,
  isScalar,
  isSeq,
  visit,
  type Document,
  type LineCounter,
  type Node,
  type YAMLError,
} from 'yaml';

import { describeValue, type KeyPath, type Problem } from './locate.js';

const SETTINGS = 'settings such as listen:, store: and connections:';

/**
 * Problems with the YAML itself, before any key is looked at: syntax errors
 * and warnings from the parser (an unknown tag is as likely a mistake as a
 * syntax error), duplicate keys, keys that are not plain text, and a file with
 * no settings at all.
 *
 * Parse with `uniqueKeys: false`: duplicates are found here, with their key path.
 *
 * @param settings what the top-level mapping holds, for the messages about an
 *   empty file or a top level that is not a mapping (a `hoop.yaml` by default).
 */
export function syntaxProblems(
  doc: Document,
  text: string,
  lineCounter: LineCounter,
  settings: string = SETTINGS,
): Problem[] {
  const problems: Problem[] = [...doc.errors, ...doc.warnings].map((error) => ({
    path: [],
    offset: error.pos[0],
    message: `YAML syntax error: ${parserMessage(error, text)}`,
  }));
  if (problems.length > 0) return problems;

  const root = doc.contents;
  if (root === null) return [{ path: [], message: `the file is empty; expected ${settings}` }];
  if (!isMap(root)) {
    const got = isSeq(root) ? 'a list' : describeValue(isScalar(root) ? root.value : undefined);
    return [{ path: [], message: `expected a mapping of ${settings}, got ${got}` }];
  }
  checkKeys(root, [], lineCounter, problems);
  return problems;
}

function checkKeys(node: unknown, path: KeyPath, lines: LineCounter, problems: Problem[]): void {
  if (isSeq(node)) {
    node.items.forEach((item, i) => checkKeys(item, [...path, i], lines, problems));
    return;
  }
  if (!isMap(node)) return;
  const first = new Map<string, number>();
  for (const pair of node.items) {
    const offset = start(pair.key) ?? start(pair.value) ?? 0;
    if (pair.key !== null && !isScalar(pair.key)) {
      // toJS would turn a list or mapping key into its YAML text; no setting is named like that.
      problems.push({ path, offset, message: 'YAML syntax error: a key must be plain text' });
      continue;
    }
    const key = String(pair.key?.value ?? '');
    const seen = first.get(key);
    if (seen !== undefined) {
      const line = lines.linePos(seen).line;
      problems.push({
        path: [...path, key],
        offset,
        message: `duplicate key, already set on line ${line}`,
      });
    } else {
      first.set(key, offset);
    }
    checkKeys(pair.value, [...path, key], lines, problems);
  }
}

function parserMessage(error: YAMLError, text: string): string {
  if (error.code === 'MULTIPLE_DOCS') {
    return 'expected one YAML document, but `---` starts a second one';
  }
  const message = error.message.replace(/\.$/, '');
  // `listen: [::1]:8009` reads as the start of a YAML list.
  const lineStart = text.lastIndexOf('\n', error.pos[0] - 1) + 1;
  const lineEnd = text.indexOf('\n', lineStart);
  const line = text.slice(lineStart, lineEnd < 0 ? undefined : lineEnd);
  return /:\s*\[[0-9a-f:.]*\]:\d/i.test(line)
    ? `${message}; quote an IPv6 address and port: "[::1]:8009"`
    : message;
}

/**
 * Converts the document to plain values. `toJS` throws for an alias to an
 * anchor that is not defined before it, or for too many aliases (a "billion
 * laughs"); those become problems at the alias.
 */
export function toPlain(doc: Document): { value: unknown } | { problems: Problem[] } {
  try {
    return { value: doc.toJS() };
  } catch (error) {
    const problems: Problem[] = [];
    let firstAlias: number | undefined;
    visit(doc, {
      Alias(_, alias) {
        const offset = start(alias) ?? 0;
        firstAlias ??= offset;
        if (alias.resolve(doc) === undefined) {
          problems.push({
            path: [],
            offset,
            message: `YAML syntax error: alias *${alias.source} has no anchor &${alias.source} before it`,
          });
        }
      },
    });
    if (problems.length > 0) return { problems };
    const message = error instanceof Error ? error.message : String(error);
    return {
      problems: [{ path: [], offset: firstAlias ?? 0, message: `YAML syntax error: ${message}` }],
    };
  }
}

function start(node: unknown): number | undefined {
  return (node as Node | null | undefined)?.range?.[0];
}
