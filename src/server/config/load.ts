import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

import { LineCounter, parseDocument } from 'yaml';

import { HoopError } from '../../lib/errors.js';
import { fileErrorReason } from '../../lib/file-error.js';
import { buildConfig } from './build.js';
import { fallbackMessage, toProblems, unlessReported } from './issues.js';
import { formatLocated, Locator, type LocatedProblem, type Problem } from './locate.js';
import { configSchema } from './schema.js';
import { resolveSecrets } from './secrets.js';
import { syntaxProblems, toPlain } from './syntax.js';
import type { GatewayConfig } from './types.js';
import { duplicateNames } from './unique.js';

export interface ParseConfigOptions {
  /** The file the text came from, as the user named it; `'<inline>'` when absent. */
  file?: string;
  /** Where `${env:NAME}` looks; `process.env` when absent. */
  env?: NodeJS.ProcessEnv;
}

const INLINE = '<inline>';

/**
 * Parses and validates the text of a `hoop.yaml`, resolves its secrets and
 * applies defaults. Relative paths (a sqlite store, a policy file,
 * `${file:…}`) are relative to the file's directory, or to the working
 * directory for inline text.
 *
 * @throws HoopError `HOOP_CONFIG_INVALID` listing every problem found, one per
 *   line as `file:line:column: key: what is wrong`, with the first problem's
 *   place in `details`; `HOOP_SECRET_MISSING` when the only problems are
 *   secrets that cannot be resolved.
 */
export function parseConfig(text: string, options: ParseConfigOptions = {}): GatewayConfig {
  const file = options.file ?? INLINE;
  const absolute = file === INLINE ? INLINE : resolve(file);
  const dir = file === INLINE ? process.cwd() : dirname(absolute);

  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const locator = new Locator(doc, lineCounter);
  function fail(problems: Problem[]): never {
    throw configError(
      file,
      problems.map((problem) => locator.locate(problem)),
    );
  }

  const syntax = syntaxProblems(doc, text, lineCounter);
  if (syntax.length > 0) fail(syntax);
  const plain = toPlain(doc);
  if ('problems' in plain) fail(plain.problems);
  const raw = plain.value;

  const secrets = resolveSecrets(raw, { dir, env: options.env ?? process.env });
  const result = configSchema.safeParse(secrets.value, { error: fallbackMessage });
  const invalid = result.success
    ? []
    : toProblems(result.error.issues, configSchema, raw, secrets.value);
  // An unknown key is the mistake to fix first: resolving its secret would not help.
  const problems = invalid.filter((problem) => problem.unknownKey === true);
  problems.push(...unlessReported(problems, secrets.problems));
  problems.push(...unlessReported(problems, invalid));
  problems.push(
    ...unlessReported(
      problems,
      duplicateNames(raw, secrets.value, (path) => locator.line(path)),
    ),
  );

  if (problems.length > 0 || !result.success) fail(problems);
  return buildConfig(result.data, absolute, dir);
}

/**
 * Reads and parses a config file (see {@link parseConfig}).
 *
 * @throws HoopError `HOOP_CONFIG_INVALID` naming the path when the file cannot be read.
 */
export async function loadConfig(
  path: string,
  options: { env?: NodeJS.ProcessEnv } = {},
): Promise<GatewayConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const why = fileErrorReason(error);
    throw new HoopError('HOOP_CONFIG_INVALID', `${path}: cannot read the config file: ${why}`, {
      cause: error,
      details: { file: path },
      hint: 'pass the gateway configuration with --config FILE',
    });
  }
  return parseConfig(text, { file: path, ...options });
}

function configError(file: string, located: LocatedProblem[]): HoopError {
  const { problems, text } = formatLocated(file, located);
  const first = problems[0];
  const allSecrets = problems.every((p) => p.secret);
  return new HoopError(allSecrets ? 'HOOP_SECRET_MISSING' : 'HOOP_CONFIG_INVALID', text, {
    details: {
      file,
      line: first?.line,
      column: first?.column,
      key: first?.key,
      problems: problems.map(({ line, column, key, message }) => ({
        line,
        column,
        key,
        message,
      })),
    },
  });
}
