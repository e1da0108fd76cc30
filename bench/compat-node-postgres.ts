/**
 * npm run compat:node-postgres -- <checkout of brianc/node-postgres> [--only TEXT] [--timeout-ms N]
 *
 * Runs node-postgres's own integration tests (`packages/pg/test/integration`,
 * each `*-tests.js` file as its Makefile runs it: `node FILE`, settings in
 * PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE) twice against one
 * throwaway PostgreSQL: directly, and through a real gateway and `hoop
 * connect` (no password: the gateway holds it). Prints one line per file
 * with the tests passed each way and exits 1 when a file that passes
 * directly fails through hoop for a reason not listed in BY_DESIGN (those
 * are the README's "Compatibility" section).
 *
 * The checkout's code is never copied into this repository: `packages/pg`
 * is copied to a scratch directory, where its runtime and test dependencies
 * come from the npm registry.
 */
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startPostgres } from '../test/helpers/postgres.js';
import { onExit } from './lib/children.js';
import {
  progress,
  report,
  run,
  type ByDesign,
  type CompatRow,
  type FileRun,
} from './lib/compat-report.js';
import { startCompatStack } from './lib/compat-stack.js';
import { positiveOption } from './lib/options.js';

const USAGE =
  'usage: npm run compat:node-postgres -- <node-postgres checkout> [--only TEXT] [--timeout-ms N]';

/**
 * Files whose result through hoop differs from a direct connection by
 * design, with the reason (README, "Compatibility").
 */
const BY_DESIGN: readonly ByDesign[] = [
  {
    match: /^test\/integration\/client\/error-handling-tests\.js$/,
    reason:
      "a wrong user name logs in: the gateway authenticates the caller (the tunnel), not the database user, and logs in as the connection's",
  },
  {
    match: /^test\/integration\/gh-issues\/130-tests\.js$/,
    reason: 'psql to database template1: a connection reaches its own database only (3D000)',
  },
  {
    match: /^test\/integration\/gh-issues\/1105-tests\.js$/,
    kind: 'time',
    reason:
      "5000 statements within the suite's 5 s per test; passes through hoop with the limit raised (16 s both ways in one run on a loaded machine)",
  },
  {
    match: /^test\/integration\/connection-pool\/idle-timeout-tests\.js$/,
    kind: 'time',
    reason:
      "a connection's first query must answer within the pool's 50 ms idle timeout; passes or not by machine load",
  },
];

/** Test-only dependencies of packages/pg the integration files require (its package.json, devDependencies). */
const TEST_DEPENDENCIES = {
  async: '2.6.4',
  bluebird: '3.7.2',
  co: '4.6.0',
  'pg-copy-streams': '0.3.0',
};

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { only: { type: 'string' }, 'timeout-ms': { type: 'string' } },
});
const checkout = positionals[0];
if (!checkout) {
  console.error(USAGE);
  process.exit(2);
}
const timeoutMs = values['timeout-ms']
  ? positiveOption(USAGE)('timeout-ms', values['timeout-ms'])
  : 60_000;

const packageDir = [path.join(checkout, 'packages/pg'), checkout].find((dir) =>
  existsSync(path.join(dir, 'lib/client.js')),
);
if (!packageDir) {
  console.error(`compat: no packages/pg (lib/client.js) under ${checkout}\n${USAGE}`);
  process.exit(2);
}

const scratch = mkdtempSync(path.join(os.tmpdir(), 'hoop-compat-node-postgres-'));
onExit(() => rmSync(scratch, { recursive: true, force: true }));
const suite = path.join(scratch, 'pg');
cpSync(packageDir, suite, {
  recursive: true,
  filter: (source) => !source.includes(`${path.sep}node_modules`),
});
await preparePackage(suite);

const files = listFiles(path.join(suite, 'test/integration'))
  .map((file) => path.relative(suite, file))
  .filter((file) => !values.only || file.includes(values.only))
  .sort();

const postgres = await startPostgres();
onExit(() => void postgres.stop());
const stack = await startCompatStack({
  dir: path.join(scratch, 'hoop'),
  target: postgres,
});
const direct = {
  PGHOST: '127.0.0.1',
  PGPORT: String(postgres.port),
  PGUSER: postgres.user,
  PGPASSWORD: postgres.password,
  PGDATABASE: postgres.database,
};
const throughHoop = { ...direct, PGPORT: String(stack.port), PGPASSWORD: '' };

const rows: CompatRow[] = [];
for (const file of files) {
  const directRun = await runFile(suite, file, direct);
  const hoopRun = await runFile(suite, file, throughHoop);
  rows.push({ file, direct: directRun, hoop: hoopRun });
  progress(file, directRun, hoopRun);
}
await stack.close();
await postgres.stop();

process.exit(report(rows, BY_DESIGN));

/** The package's runtime dependencies and the test-only ones, from the npm registry. */
async function preparePackage(dir: string): Promise<void> {
  const manifest = path.join(dir, 'package.json');
  const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  writeFileSync(
    manifest,
    JSON.stringify({
      name: 'pg-compat-scratch',
      private: true,
      dependencies: pkg.dependencies ?? {},
      devDependencies: TEST_DEPENDENCIES,
    }),
  );
  process.stderr.write(`compat: installing node-postgres's dependencies in ${dir}\n`);
  const npm = await run(
    'npm',
    ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--omit=optional', '--omit=peer'],
    { cwd: dir, timeoutMs: 600_000 },
  );
  if (npm.code !== 0) throw new Error(`npm install failed:\n${npm.output}`);
}

/** The `*-tests.js` files under `dir`, as the Makefile's `find test/integration -name "*-tests.js"`. */
function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return listFiles(full);
    return entry.name.endsWith('-tests.js') ? [full] : [];
  });
}

/** One test file, `node FILE` in the package's directory with `env`. */
async function runFile(dir: string, file: string, env: Record<string, string>): Promise<FileRun> {
  const result = await run(process.execPath, [file], { cwd: dir, env, timeoutMs });
  return {
    passed: result.code === 0,
    tests: result.output.split('✔').length - 1,
    // A file stops at its first failure: the file is what failed.
    failed: result.code === 0 ? [] : [file],
    tail: result.output.trimEnd().split('\n').slice(-12).join('\n'),
  };
}
