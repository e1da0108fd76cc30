import { spawn } from 'node:child_process';

/** One test file's run: whether it passed, and how many of its tests did. */
export interface FileRun {
  passed: boolean;
  tests: number;
  /** What failed, as the suite names it (test ids, or the file when it stops at its first failure). */
  failed: string[];
  /** The last lines of output, for a failure. */
  tail: string;
}

/**
 * A known difference from a direct connection: the failures it explains,
 * and why. `design` is a refusal or behaviour the gateway has on purpose;
 * `time` a test whose fixed time limit the extra hops and the per-statement
 * decision and durable record can exceed on a loaded machine, while the same
 * file passes through hoop with the limit raised.
 */
export interface ByDesign {
  match: RegExp;
  reason: string;
  kind?: 'design' | 'time';
}

export interface CompatRow {
  file: string;
  direct: FileRun;
  hoop: FileRun;
}

/** `pass (N)` or `FAIL (N)`: the file's result and its tests passed. */
function mark(run: FileRun): string {
  return `${run.passed ? 'pass' : 'FAIL'} (${run.tests})`;
}

/** A line on stderr per file as it finishes, with the output's tail where hoop alone failed. */
export function progress(file: string, direct: FileRun, hoop: FileRun): void {
  const tail =
    direct.passed && !hoop.passed
      ? hoop.tail
          .split('\n')
          .map((line) => `    ${line}\n`)
          .join('')
      : '';
  process.stderr.write(`${file}: direct ${mark(direct)}, through hoop ${mark(hoop)}\n${tail}`);
}

/**
 * Why a file that passes directly fails through hoop by design (every one
 * of its failures matched), or undefined.
 */
function explained(row: CompatRow, byDesign: readonly ByDesign[]): string | undefined {
  if (!row.direct.passed || row.hoop.passed || row.hoop.failed.length === 0) return undefined;
  const reasons = new Set<string>();
  for (const failure of row.hoop.failed) {
    const known = byDesign.find((entry) => entry.match.test(failure));
    if (!known) return undefined;
    reasons.add(`${known.kind === 'time' ? 'time-bound' : 'by design'}: ${known.reason}`);
  }
  return [...reasons].join('; ');
}

/**
 * Prints the per-file table and the totals; returns the exit status: 1 when
 * a file passes directly and fails through hoop for a reason not in
 * `byDesign`, else 0.
 */
export function report(rows: CompatRow[], byDesign: readonly ByDesign[]): number {
  const width = Math.max(...rows.map((row) => row.file.length), 4);
  console.log(`\n${'file'.padEnd(width)}  direct      hoop        note`);
  const regressions: CompatRow[] = [];
  for (const row of rows) {
    const reason = explained(row, byDesign);
    let note = reason ?? '';
    if (!row.direct.passed) note = 'fails directly';
    else if (!row.hoop.passed && !reason) {
      note = `NOT BY DESIGN: ${row.hoop.failed.join(', ')}`;
      regressions.push(row);
    }
    console.log(
      `${row.file.padEnd(width)}  ${mark(row.direct).padEnd(10)}  ${mark(row.hoop).padEnd(10)}  ${note}`,
    );
  }
  const count = (pick: (row: CompatRow) => FileRun) => ({
    files: rows.filter((row) => pick(row).passed).length,
    tests: rows.reduce((sum, row) => sum + pick(row).tests, 0),
  });
  const direct = count((row) => row.direct);
  const hoop = count((row) => row.hoop);
  const excused = rows.filter((row) => explained(row, byDesign) !== undefined).length;
  console.log(
    `\nfiles passed: ${direct.files}/${rows.length} directly, ${hoop.files}/${rows.length} through hoop ` +
      `(${excused} more by design or time-bound); tests passed: ${direct.tests} directly, ${hoop.tests} through hoop`,
  );
  if (regressions.length === 0) return 0;
  console.log(`not by design: ${regressions.map((row) => row.file).join(', ')}`);
  return 1;
}

/** A child's exit code (null when killed at the timeout) and its output, stdout and stderr together. */
export function run(
  command: string,
  args: string[],
  options: { cwd: string; env?: Record<string, string>; timeoutMs: number },
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-64 * 1024);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => {
      output += `\n(killed after ${options.timeoutMs} ms)`;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}
