import { HoopError } from '../../lib/errors.js';
import { OUTPUT_FORMATS, type OutputFormat } from './format.js';
import type { ExecCommandOptions } from './main.js';

/** Every flag of the oclif `Exec` command; a test checks that the two lists agree. */
export const FLAG_NAMES = {
  input: 'i',
  file: 'f',
  output: 'o',
  json: undefined,
  gateway: undefined,
  review: undefined,
  wait: undefined,
} as const;

/** Flags without a value. */
const BOOLEAN_FLAGS = new Set<keyof typeof FLAG_NAMES>(['wait', 'json']);

/** `hoop exec`'s flags as a user spells them, by option name (src/commands/exec.ts). */
const FLAGS = new Map<string, keyof typeof FLAG_NAMES>([
  ['-i', 'input'],
  ['--input', 'input'],
  ['-f', 'file'],
  ['--file', 'file'],
  ['-o', 'output'],
  ['--output', 'output'],
  ['--json', 'json'],
  ['--gateway', 'gateway'],
  ['--review', 'review'],
  ['--wait', 'wait'],
]);

/**
 * Parses `exec NAME` with its flags for the fast path in `bin/run.js`, which
 * skips oclif's start-up: most of what an agent's one-query process would
 * otherwise spend. It accepts only what oclif reads the same way and would
 * run: one name, each flag at most once as `-i VALUE`, `--input VALUE` or
 * `--input=VALUE`, `-i` or `-f` but not both, a known `--output`, no value
 * that starts with `-` (except `-f -`). Anything else (help, usage errors,
 * other spellings) returns undefined and goes to oclif, which then decides
 * and words the error exactly as before.
 *
 * @param argv the arguments after `hoop`.
 */
export function parseExecArgv(argv: readonly string[]): ExecCommandOptions | undefined {
  if (argv[0] !== 'exec') return undefined;
  let name: string | undefined;
  const flags: Partial<Record<keyof typeof FLAG_NAMES, string>> = {};
  for (let i = 1; i < argv.length; i++) {
    const token = argv[i] ?? '';
    if (!token.startsWith('-')) {
      if (name !== undefined || token === '') return undefined;
      name = token;
      continue;
    }
    const equals = token.startsWith('--') ? token.indexOf('=') : -1;
    const flag = FLAGS.get(equals === -1 ? token : token.slice(0, equals));
    if (flag === undefined || flags[flag] !== undefined) return undefined;
    if (BOOLEAN_FLAGS.has(flag)) {
      if (equals !== -1) return undefined;
      flags[flag] = 'true';
      continue;
    }
    const value = equals === -1 ? argv[++i] : token.slice(equals + 1);
    if (value === undefined || value === '' || (value.startsWith('-') && value !== '-')) {
      return undefined;
    }
    flags[flag] = value;
  }
  if (name === undefined || (flags.input !== undefined && flags.file !== undefined)) {
    return undefined;
  }
  if (flags.output !== undefined && !isOutputFormat(flags.output)) return undefined;
  // `--json` with another `--output` is oclif's to refuse, in its words.
  if (flags.json !== undefined && flags.output !== undefined && flags.output !== 'json') {
    return undefined;
  }
  const output = outputFormat(flags.output, flags.json !== undefined);
  if (flags.review !== undefined && flags.wait !== undefined) return undefined;
  return {
    name,
    input: flags.input,
    file: flags.file,
    output,
    gateway: flags.gateway,
    ...(flags.review === undefined ? {} : { review: flags.review }),
    ...(flags.wait === undefined ? {} : { wait: true }),
  };
}

function isOutputFormat(value: string): value is OutputFormat {
  return (OUTPUT_FORMATS as readonly string[]).includes(value);
}

/**
 * The output format from `--output` and `--json` (the same as `--output
 * json`); table by default.
 *
 * @throws HoopError `HOOP_USAGE` for `--json` with another `--output`.
 */
export function outputFormat(output: string | undefined, json: boolean | undefined): OutputFormat {
  if (json && output !== undefined && output !== 'json') {
    throw new HoopError('HOOP_USAGE', `--json asks for JSON, --output for ${output}`, {
      hint: 'Pass one of them: --json is the same as --output json.',
    });
  }
  if (output === undefined) return json ? 'json' : 'table';
  if (!isOutputFormat(output)) {
    throw new HoopError(
      'HOOP_USAGE',
      `--output ${output} is not one of ${OUTPUT_FORMATS.join(', ')}`,
    );
  }
  return output;
}
