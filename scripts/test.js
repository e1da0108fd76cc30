// Runs the TypeScript test files under the given dirs (or files) with Node's test runner.
//
//   node scripts/test.js [dir-or-file ...] [-- node-test-options ...]
//
// Plain JavaScript because it runs before a build. The file list is built here
// rather than left to Node's glob so that finding no tests is an error, not a pass.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

// The adversarial suites join the default run as each passes in full (the
// masking one is run by name until then: npm run test:adversarial).
const DEFAULT_PATHS = [
  'test/unit',
  'test/integration',
  'test/adversarial/postgres-statement-control.test.ts',
  'test/adversarial/postgres-lexing-fuzz.test.ts',
  'test/adversarial/ssh-command-evasion.test.ts',
  'test/adversarial/ssh-channels.test.ts',
];

const args = process.argv.slice(2);
const split = args.indexOf('--');
const paths = split === -1 ? args : args.slice(0, split);
const extra = split === -1 ? [] : args.slice(split + 1);

// Default dirs may not exist yet (git keeps no empty dirs); a path the caller names must.
const roots = paths.length ? paths : DEFAULT_PATHS;
const files = roots.flatMap((path) => testFiles(path, paths.length > 0));
if (files.length === 0) {
  console.error(`No *.test.ts files under ${roots.join(', ')}`);
  process.exit(1);
}

const child = spawn(
  process.execPath,
  [
    ...['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=300000'],
    ...extra,
    ...files,
  ],
  { stdio: 'inherit' },
);
// Pass on signals sent to us alone (a terminal's Ctrl-C reaches the child anyway),
// and stay alive to exit with the child's code.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code) => process.exit(code ?? 1));

/** Sorted test files under `path`, or `path` itself if it is a file. */
function testFiles(path, required) {
  let stat;
  try {
    stat = statSync(path);
  } catch (err) {
    if (!required && err.code === 'ENOENT') return [];
    console.error(`Cannot read ${path}: ${err.message}`);
    process.exit(1);
  }
  if (!stat.isDirectory()) return [path];
  return readdirSync(path, { recursive: true })
    .filter((name) => name.endsWith('.test.ts'))
    .map((name) => join(path, name))
    .sort();
}
