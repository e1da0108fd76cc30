import { lex, type Token, type Unknown, type Word } from './lexer.js';
import { unwrap, type Emit } from './wrappers.js';

export type { Unknown } from './lexer.js';

/**
 * What a command line runs, as policy matches it: every simple command
 * (its words after quote removal, the program as written), in the order
 * written, including those inside substitutions, subshells, `sh -c '…'`
 * and behind wrappers (`sudo`, `env`, `xargs`, `find -exec` …). `unknown`
 * is non-empty when part of the line runs something only the target's
 * shell can know (a variable in command position, `eval`, a here-document,
 * a program's inline code): a rule that limits commands cannot be checked
 * against such a line.
 */
export interface ParsedCommandLine {
  commands: string[][];
  unknown: Unknown[];
}

/** Limits on what the reader works through for one line (config `ssh.maxCommandBytes` is checked before). */
export interface ParseLimits {
  /** Nesting of substitutions and `sh -c` strings. */
  maxDepth: number;
  /** Simple commands in one line, nested ones included. */
  maxCommands: number;
}

export const DEFAULT_PARSE_LIMITS: ParseLimits = { maxDepth: 16, maxCommands: 1_000 };

/** Words that start a compound command or separate its parts: the next word is in command position. */
const RESERVED_PREFIX = new Set([
  '!',
  '{',
  '}',
  'if',
  'then',
  'else',
  'elif',
  'fi',
  'while',
  'until',
  'do',
  'done',
  'time',
]);

/** Reads a command line as a POSIX shell (with bash's additions) would, without running any of it. */
export function parseCommandLine(
  line: string,
  limits: ParseLimits = DEFAULT_PARSE_LIMITS,
): ParsedCommandLine {
  const result: ParsedCommandLine = { commands: [], unknown: [] };
  const state = { limits, result };
  readLine(state, line, 0);
  return result;
}

interface State {
  limits: ParseLimits;
  result: ParsedCommandLine;
}

function readLine(state: State, line: string, depth: number): void {
  if (depth > state.limits.maxDepth) {
    addUnknown(state, { reason: 'limit', message: 'nests commands deeper than the gateway reads' });
    return;
  }
  const lexed = lex(line);
  if (!lexed.ok) {
    addUnknown(state, lexed.unknown);
    return;
  }
  let simple: Token[] = [];
  for (const token of lexed.tokens) {
    if (token.type === 'operator') {
      readSimple(state, simple, depth);
      simple = [];
    } else simple.push(token);
  }
  readSimple(state, simple, depth);
}

function addUnknown(state: State, unknown: Unknown): void {
  if (!state.result.unknown.some((u) => u.message === unknown.message)) {
    state.result.unknown.push(unknown);
  }
}

/** One simple command: assignments and redirections around words, the first word the program. */
function readSimple(state: State, tokens: Token[], depth: number): void {
  const argv: string[] = [];
  let commandKnown = true;
  let skipNext = false;
  let skipUntilSeparator = false;
  for (const token of tokens) {
    if (token.type === 'redirect') {
      skipNext = true;
      continue;
    }
    if (token.type !== 'word') continue;
    // Substitutions run wherever they are: in a redirection target, an assignment, an argument.
    for (const part of token.parts) {
      if (part.type === 'substitution') readLine(state, part.line, depth + 1);
    }
    if (skipNext) {
      skipNext = false;
      continue;
    }
    if (skipUntilSeparator) continue;
    if (argv.length === 0) {
      const literal = literalOf(token);
      if (literal !== undefined && RESERVED_PREFIX.has(literal)) continue;
      if (literal === 'for' || literal === 'select') {
        // `for NAME in WORDS`: none of these words is a command; the body follows `do`.
        skipUntilSeparator = true;
        continue;
      }
      if (literal === 'case' || literal === 'esac') {
        addUnknown(state, {
          reason: 'syntax',
          message: 'uses a case statement, which the gateway does not read',
        });
        return;
      }
      if (literal === undefined || literal === '') {
        if (isAssignment(token)) continue;
        commandKnown = false;
        addUnknown(state, {
          reason: 'expansion',
          message: `runs a command whose name is known only when it runs (${token.raw})`,
        });
        argv.push(token.raw);
        continue;
      }
      if (isAssignment(token)) continue;
      argv.push(literal);
      continue;
    }
    argv.push(literalOf(token) ?? token.raw);
  }
  if (argv.length === 0 || !commandKnown) return;
  const emit: Emit = {
    command: (words) => {
      if (state.result.commands.length >= state.limits.maxCommands) {
        addUnknown(state, {
          reason: 'limit',
          message: 'runs more commands than the gateway reads',
        });
        return;
      }
      state.result.commands.push(words);
    },
    line: (text) => readLine(state, text, depth + 1),
    unknown: (unknown) => addUnknown(state, unknown),
  };
  unwrap(argv, emit);
}

/** The word's text when it is all literal; undefined when the shell would expand part of it. */
function literalOf(word: Word): string | undefined {
  let text = '';
  for (const part of word.parts) {
    if (part.type !== 'text') return undefined;
    text += part.text;
  }
  return text;
}

/** `NAME=value` before the program: an assignment, not a command. */
function isAssignment(word: Word): boolean {
  const first = word.parts[0];
  return first?.type === 'text' && /^[A-Za-z_][A-Za-z0-9_]*(?:\[[^\]]*\])?\+?=/.test(first.text);
}
