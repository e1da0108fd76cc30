import type { Unknown } from './lexer.js';

/** Where the reader of one simple command sends what it finds. */
export interface Emit {
  /** A simple command that runs, as its words. */
  command(words: string[]): void;
  /** A string the program runs as a shell line (`sh -c`, `su -c`, `watch`, `trap`). */
  line(text: string): void;
  unknown(unknown: Unknown): void;
}

/** The program's name as policy matches it: `/usr/bin/rm` and `./rm` are `rm`. */
export function programName(word: string): string {
  const slash = word.lastIndexOf('/');
  return slash < 0 ? word : word.slice(slash + 1);
}

/**
 * Options of each wrapper that take a value in the next word; any other
 * option is a flag. A wrapper's first operand is the program it runs with
 * the rest as its arguments (`timeout` and `chroot` take one operand first).
 */
interface Wrapper {
  withValue: readonly string[];
  /** Operands before the program (`timeout DURATION`, `chroot NEWROOT`, `taskset MASK`). */
  leading?: number;
  /** What it does with no program: runs a shell on its standard input. */
  shellWhenEmpty?: boolean;
  /** Options that mean the program is not run (`command -v`). */
  noRun?: readonly string[];
}

const WRAPPERS: Record<string, Wrapper> = {
  sudo: {
    withValue: [
      '-u',
      '-g',
      '-C',
      '-h',
      '-p',
      '-r',
      '-t',
      '-U',
      '-D',
      '-R',
      '-T',
      '--user',
      '--group',
    ],
    shellWhenEmpty: true,
    noRun: ['-l', '-v', '-k', '-K', '-V', '--list', '--validate'],
  },
  doas: { withValue: ['-u', '-C'], shellWhenEmpty: true },
  env: { withValue: ['-u', '-C', '--unset', '--chdir'] },
  nice: { withValue: ['-n', '--adjustment'] },
  nohup: { withValue: [] },
  time: { withValue: ['-f', '-o', '--format', '--output'] },
  command: { withValue: [], noRun: ['-v', '-V'] },
  exec: { withValue: ['-a'] },
  builtin: { withValue: [] },
  stdbuf: { withValue: ['-i', '-o', '-e'] },
  timeout: { withValue: ['-s', '-k', '--signal', '--kill-after'], leading: 1 },
  ionice: {
    withValue: ['-c', '-n', '-p', '-P', '-u', '--class', '--classdata'],
    noRun: ['-p', '-P', '-u'],
  },
  setsid: { withValue: [] },
  chroot: { withValue: ['--userspec', '--groups'], leading: 1, shellWhenEmpty: true },
  taskset: { withValue: [], leading: 1, noRun: ['-p', '--pid'] },
  chrt: { withValue: [], leading: 1, noRun: ['-p', '--pid'] },
  unbuffer: { withValue: [] },
  nocache: { withValue: [] },
  flock: { withValue: ['-w', '-E', '--timeout', '--conflict-exit-code'], leading: 1 },
  xargs: {
    withValue: [
      '-a',
      '-d',
      '-E',
      '-e',
      '-I',
      '-i',
      '-L',
      '-l',
      '-n',
      '-P',
      '-s',
      '--arg-file',
      '--delimiter',
      '--max-args',
      '--max-procs',
      '--max-chars',
      '--replace',
      '--process-slot-var',
    ],
  },
  catchsegv: { withValue: [] },
  strace: { withValue: ['-e', '-o', '-p', '-s', '-u', '-E', '-P', '-I', '-b', '-a', '-X'] },
  ltrace: { withValue: ['-e', '-o', '-p', '-s', '-u', '-n', '-a', '-A', '-D', '-F', '-l', '-x'] },
  valgrind: { withValue: [] },
  gdb: { withValue: [] },
  busybox: { withValue: [] },
  'start-stop-daemon': { withValue: [] },
};

/** Shells: `-c STRING` is a line to read; no operand reads commands from standard input. */
const SHELLS = new Set([
  'sh',
  'bash',
  'dash',
  'zsh',
  'ksh',
  'mksh',
  'ash',
  'rbash',
  'yash',
  'fish',
  'csh',
  'tcsh',
]);

/** Shell options that take a value (`-o pipefail`, `-O extglob`, `+o …`). */
const SHELL_OPTIONS_WITH_VALUE = new Set(['-o', '+o', '-O', '+O', '--rcfile', '--init-file']);

/** Programs whose inline code (`-c`, `-e`, `--eval` …) or standard input is a program in another language. */
const INTERPRETER =
  /^(?:python[0-9.]*|pypy[0-9.]*|perl[0-9.]*|ruby[0-9.]*|irb|node|nodejs|deno|bun|php[0-9.]*|lua[0-9.]*|luajit|tclsh[0-9.]*|wish|expect|Rscript|R|pwsh|powershell|osascript|jshell|groovy|scala|julia|guile|racket|sbcl|clisp|ocaml|ghci|runghc|elixir|erl|escript)$/;

/** Programs that run a line of text as shell code or the commands of a file: never knowable. */
const EVALUATORS = new Set([
  'eval',
  'source',
  '.',
  'alias',
  'enable',
  'hash',
  'fc',
  'coproc',
  'at',
  'batch',
  'parallel',
  'script',
  'ssh-agent',
  'dbus-launch',
  'sg',
  'newgrp',
]);

/**
 * Emits the simple command `argv` and, through wrappers and shells, each
 * command it runs in turn. Matching every layer means a rule on `rm *`
 * refuses `sudo -u root env X=1 nice rm -rf /`, and a rule on `sudo *`
 * refuses it too.
 */
export function unwrap(argv: string[], emit: Emit, depth = 0): void {
  if (depth > 16) {
    emit.unknown({ reason: 'limit', message: 'wraps commands deeper than the gateway reads' });
    return;
  }
  const program = programName(argv[0] ?? '');
  emit.command([program, ...argv.slice(1)]);
  const args = argv.slice(1);

  if (EVALUATORS.has(program)) {
    emit.unknown({
      reason: 'evaluation',
      message: `runs code the gateway cannot read (${program})`,
    });
    return;
  }
  if (SHELLS.has(program)) return shell(program, args, emit);
  if (program === 'su' || program === 'runuser') return su(program, args, emit);
  if (program === 'watch') return watch(args, emit);
  if (program === 'trap') {
    if (args[0] !== undefined && !args[0].startsWith('-')) emit.line(args[0]);
    return;
  }
  if (program === 'find') return find(args, emit, depth);
  if (INTERPRETER.test(program)) return interpreter(program, args, emit);
  if (/^(?:g|m|n)?awk$/.test(program)) return awk(args, emit);
  if (program === 'busybox') {
    if (args.length > 0) unwrap(args, emit, depth + 1);
    return;
  }
  const wrapper = WRAPPERS[program];
  if (wrapper === undefined) return;
  const rest = operands(wrapper, program, args, emit);
  if (rest === undefined) return;
  if (rest.length === 0) {
    if (wrapper.shellWhenEmpty) {
      emit.unknown({ reason: 'stdin', message: `opens a shell with ${program}` });
    }
    return;
  }
  unwrap(rest, emit, depth + 1);
}

/** The wrapped program and its arguments, past the wrapper's options and leading operands. */
function operands(
  wrapper: Wrapper,
  program: string,
  args: string[],
  emit: Emit,
): string[] | undefined {
  let i = 0;
  let leading = wrapper.leading ?? 0;
  while (i < args.length) {
    const arg = args[i] as string;
    if (arg === '--') {
      i++;
      break;
    }
    if (program === 'env' && /^[A-Za-z_][A-Za-z0-9_]*=/.test(arg)) {
      i++;
      continue;
    }
    if (
      program === 'env' &&
      (arg === '-S' || arg.startsWith('--split-string') || /^-[^-]*S/.test(arg))
    ) {
      emit.unknown({ reason: 'evaluation', message: 'splits a string into a command with env -S' });
      return undefined;
    }
    if (
      program === 'sudo' &&
      (arg === '-s' || arg === '-i' || arg === '--shell' || arg === '--login')
    ) {
      // The rest runs through the target user's shell as a line.
      emit.line(args.slice(i + 1).join(' '));
      if (i + 1 >= args.length)
        emit.unknown({ reason: 'stdin', message: 'opens a shell with sudo' });
      return undefined;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      if (wrapper.noRun?.includes(arg)) return undefined;
      if (wrapper.withValue.includes(arg)) i += 2;
      else i += 1;
      continue;
    }
    if (leading > 0) {
      leading--;
      i++;
      continue;
    }
    break;
  }
  return args.slice(i);
}

function shell(program: string, args: string[], emit: Emit): void {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (SHELL_OPTIONS_WITH_VALUE.has(arg)) {
      i++;
      continue;
    }
    if (/^-[A-Za-z]*c[A-Za-z]*$/.test(arg)) {
      const line = args[i + 1];
      if (line === undefined) {
        emit.unknown({ reason: 'syntax', message: `runs ${program} -c without a command` });
      } else emit.line(line);
      return;
    }
    if (arg === '-s' || /^-[A-Za-z]*s[A-Za-z]*$/.test(arg)) break;
    if (arg.startsWith('-') || arg.startsWith('+')) continue;
    // A script file: what it runs is in the file, matched by its name like any program.
    emit.command([programName(arg), ...args.slice(i + 1)]);
    return;
  }
  emit.unknown({ reason: 'stdin', message: `runs ${program} reading commands from its input` });
}

function su(program: string, args: string[], emit: Emit): void {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '-c' || arg === '--command' || arg === '--session-command') {
      const line = args[i + 1];
      if (line !== undefined) emit.line(line);
      return;
    }
    if (arg.startsWith('--command=')) {
      emit.line(arg.slice('--command='.length));
      return;
    }
  }
  emit.unknown({ reason: 'stdin', message: `opens a shell with ${program}` });
}

function watch(args: string[], emit: Emit): void {
  const withValue = new Set(['-n', '--interval', '-d', '-q', '--equexit']);
  let i = 0;
  while (i < args.length && (args[i] as string).startsWith('-')) {
    i += withValue.has(args[i] as string) ? 2 : 1;
  }
  // watch runs its arguments, joined by spaces, with sh -c.
  if (i < args.length) emit.line(args.slice(i).join(' '));
}

/** `find … -exec CMD … ;` runs CMD; `-delete` removes what it finds, so it is matched as `rm` too. */
function find(args: string[], emit: Emit, depth: number): void {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '-exec' || arg === '-execdir' || arg === '-ok' || arg === '-okdir') {
      let end = i + 1;
      while (end < args.length && args[end] !== ';' && args[end] !== '+') end++;
      const command = args.slice(i + 1, end);
      if (command.length > 0) unwrap(command, emit, depth + 1);
      i = end;
    } else if (arg === '-delete') {
      emit.command(['rm', ...args.slice(0, i).filter((a) => !a.startsWith('-'))]);
    } else if (arg === '-fprint' || arg === '-fprintf' || arg === '-fls') {
      i++;
    }
  }
}

function interpreter(program: string, args: string[], emit: Emit): void {
  const inline = new Set([
    '-c',
    '-e',
    '-E',
    '-r',
    '-p',
    '-x',
    '--eval',
    '--print',
    '--command',
    '-Command',
    '-command',
  ]);
  if (
    args.length === 0 ||
    args.some((arg) => inline.has(arg) || /^-[A-Za-z]*[ceE]$/.test(arg)) ||
    args.includes('-')
  ) {
    emit.unknown({
      reason: 'interpreter',
      message: `runs ${program} code the gateway cannot read`,
    });
  }
}

/** awk programs may run commands (`system()`, `| getline`, `print | "cmd"`). */
function awk(args: string[], emit: Emit): void {
  const program = args.find((arg) => !arg.startsWith('-'));
  if (args.includes('-f') || program === undefined || /system|\||getline/.test(program)) {
    emit.unknown({ reason: 'interpreter', message: 'runs an awk program that may run commands' });
  }
}
