/**
 * npm run compat:psycopg2 -- <checkout of psycopg/psycopg2 at the installed version> [--only TEXT] [--timeout-ms N] [--python PATH]
 *
 * Runs psycopg2's own test suite (`tests/test_*.py`, one module at a time
 * with `python3 -m unittest tests.MODULE`, settings in PSYCOPG2_TESTDB,
 * PSYCOPG2_TESTDB_HOST, _PORT, _USER, _PASSWORD) against the psycopg2
 * Debian installs (`apt-get install python3-psycopg2`; libpq underneath),
 * twice against one throwaway PostgreSQL: directly, and through a real
 * gateway and `hoop connect` (no password). Check the checkout out at the
 * tag of the installed version (`git archive 2_9_5 tests`). Prints one line
 * per module with the tests passed each way, and exits 1 when a module that
 * passes directly fails through hoop for a reason not in BY_DESIGN.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
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
  'usage: npm run compat:psycopg2 -- <psycopg2 checkout> [--only TEXT] [--timeout-ms N] [--python PATH]';

/**
 * Tests whose result through hoop differs from a direct connection by
 * design, by unittest id, with the reason (README, "Compatibility").
 */
const BY_DESIGN: readonly ByDesign[] = [
  {
    match: /^tests\.test_lobject\./,
    reason:
      'large objects go through the fastpath FunctionCall, refused: policy decides functions called in SQL (lo_get, lo_put, lo_from_bytea)',
  },
  {
    match:
      /^tests\.(test_connection\.ConnectionTests\.test_encoding_name|test_quote\.QuotingTestCase\.test_(koi8|latin1)|test_copy\.CopyTests\.test_copy_(bytes|text|expert_textiobase))$/,
    reason:
      'client_encoding other than UTF8 or SQL_ASCII is refused: in other encodings the server could split a string differently than the gateway',
  },
  {
    match: /^tests\.test_types_extras\.JsonTestCase\.test_scs$/,
    reason:
      'standard_conforming_strings=off is refused: a backslash would escape a quote for the server and not for the gateway',
  },
  {
    match: /^tests\.test_(async\.AsyncTests|green\.GreenTestCase)\.test_flush_on_write$/,
    reason:
      "a 1 MB statement is past the classifier's sql.maxLength (1 MiB by default, configurable): refused 54000 HOOP_SQL_TOO_LONG",
  },
];

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    only: { type: 'string' },
    'timeout-ms': { type: 'string' },
    // Debian's python3-psycopg2 is for the system's Python, whatever else is first on PATH.
    python: { type: 'string', default: '/usr/bin/python3' },
  },
});
const checkout = positionals[0];
if (!checkout || !existsSync(path.join(checkout, 'tests/testconfig.py'))) {
  console.error(`compat: no tests/testconfig.py under ${checkout ?? '(nothing)'}\n${USAGE}`);
  process.exit(2);
}
const timeoutMs = values['timeout-ms']
  ? positiveOption(USAGE)('timeout-ms', values['timeout-ms'])
  : 300_000;
const python = values.python;
const version = await run(python, ['-c', 'import psycopg2; print(psycopg2.__version__)'], {
  cwd: os.tmpdir(),
  timeoutMs: 30_000,
});
if (version.code !== 0) {
  console.error(`compat: ${python} cannot import psycopg2 (apt-get install -y python3-psycopg2)`);
  process.exit(2);
}
process.stderr.write(`compat: psycopg2 ${version.output.trim()} with ${python}\n`);

const scratch = mkdtempSync(path.join(os.tmpdir(), 'hoop-compat-psycopg2-'));
onExit(() => rmSync(scratch, { recursive: true, force: true }));
cpSync(path.join(checkout, 'tests'), path.join(scratch, 'tests'), { recursive: true });
const modules = readdirSync(path.join(scratch, 'tests'))
  .filter((name) => /^test_.*\.py$/.test(name))
  .map((name) => name.slice(0, -3))
  .filter((name) => !values.only || name.includes(values.only))
  .sort();

const postgres = await startPostgres();
onExit(() => void postgres.stop());
const stack = await startCompatStack({ dir: path.join(scratch, 'hoop'), target: postgres });
const direct = {
  PSYCOPG2_TESTDB: postgres.database,
  PSYCOPG2_TESTDB_HOST: '127.0.0.1',
  PSYCOPG2_TESTDB_PORT: String(postgres.port),
  PSYCOPG2_TESTDB_USER: postgres.user,
  PSYCOPG2_TESTDB_PASSWORD: postgres.password,
};
const throughHoop = {
  ...direct,
  PSYCOPG2_TESTDB_PORT: String(stack.port),
  PSYCOPG2_TESTDB_PASSWORD: '',
};

const rows: CompatRow[] = [];
for (const module of modules) {
  const directRun = await runModule(module, direct);
  const hoopRun = await runModule(module, throughHoop);
  rows.push({ file: module, direct: directRun, hoop: hoopRun });
  progress(module, directRun, hoopRun);
}
await stack.close();
await postgres.stop();
process.exit(report(rows, BY_DESIGN));

/**
 * One module under unittest. Its summary says `Ran N tests` and then `OK`
 * or `FAILED (failures=F, errors=E, skipped=S)`; tests passed are N less
 * those.
 */
async function runModule(module: string, env: Record<string, string>): Promise<FileRun> {
  const result = await run(python, ['-m', 'unittest', `tests.${module}`], {
    cwd: scratch,
    env,
    timeoutMs,
  });
  const ran = Number(/^Ran (\d+) tests?/m.exec(result.output)?.[1] ?? 0);
  const counted = (what: string) =>
    Number(new RegExp(`\\b${what}=(\\d+)`).exec(result.output.slice(-400))?.[1] ?? 0);
  const failed = [...result.output.matchAll(/^(?:ERROR|FAIL): \S+ \(([^)]+)\)/gm)].map(
    (match) => match[1]!,
  );
  return {
    passed: result.code === 0,
    tests: ran - counted('failures') - counted('errors') - counted('skipped'),
    failed: result.code === 0 || failed.length > 0 ? failed : [module],
    tail: result.output
      .split('\n')
      .filter((line) => /^(ERROR|FAIL):|^psycopg2\.|Error:|^Ran /.test(line))
      .slice(-20)
      .join('\n'),
  };
}
