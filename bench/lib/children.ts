import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The built CLI, run the way a user runs it (`bench:tunnel` builds first). */
const HOOP_BIN = path.join(ROOT, 'bin/run.js');

/** Output kept per child for error messages; the rest is dropped. */
const MAX_OUTPUT_CHARS = 16 * 1024;

/** Every child still running, killed on exit whatever the reason (error, Ctrl-C, watchdog). */
const running = new Set<ChildProcess>();
const exitHooks: (() => void)[] = [];
let hooksInstalled = false;

/**
 * Kills the children and runs `hook`s when this process exits, also on
 * Ctrl-C, SIGTERM and a crash. Synchronous on purpose: an `exit` listener
 * cannot wait, and SIGKILL needs no waiting.
 */
export function onExit(hook: () => void): void {
  exitHooks.push(hook);
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => {
    for (const child of running) child.kill('SIGKILL');
    for (const run of exitHooks.splice(0).reverse()) {
      try {
        run();
      } catch {
        // Best effort: one failed hook must not keep the others from running.
      }
    }
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      process.stderr.write(`\nbench: ${signal}, stopping children\n`);
      process.exit(130);
    });
  }
}

export interface NodeProcess {
  readonly label: string;
  readonly pid: number;
  /** Resolves with the first match of `pattern` on stdout or stderr; rejects if the child exits first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resident set size now, in bytes (`VmRSS`). */
  rss(): number;
  /** Peak resident set size since start or the last {@link resetPeak} (`VmHWM`). */
  peakRss(): number;
  /** Resets `VmHWM` to the current RSS (proc(5) `clear_refs` value 5); false where not allowed. */
  resetPeak(): boolean;
  /** CPU time used so far, user plus system, in seconds (`utime` + `stime`). */
  cpuSeconds(): number;
  /** SIGTERM (a graceful stop for `hoop server` and `hoop connect`), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** Starts `node bin/run.js ARGS` as a separate process with its own event loop. */
export function spawnHoop(label: string, args: string[], env: NodeJS.ProcessEnv): NodeProcess {
  return spawnNode(label, [HOOP_BIN, ...args], env);
}

/**
 * Starts `node ARGV` with its output collected for {@link NodeProcess.waitFor}.
 * `HOOP_BENCH_NODE_ARGS` adds options to every child's node command line, e.g.
 * `--cpu-prof --cpu-prof-dir=/tmp/prof` (which NODE_OPTIONS does not allow).
 */
export function spawnNode(label: string, argv: string[], env: NodeJS.ProcessEnv = {}): NodeProcess {
  const nodeArgs = (process.env.HOOP_BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, ...argv], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`${label}: could not start node ${argv.join(' ')}`);
  const pid = child.pid;
  running.add(child);
  let output = '';
  const waiters = new Set<() => void>();
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-MAX_OUTPUT_CHARS);
    for (const waiter of waiters) waiter();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      running.delete(child);
      for (const waiter of waiters) waiter();
      resolve();
    }),
  );
  const alive = (): boolean => child.exitCode === null && child.signalCode === null;

  return {
    label,
    pid,
    waitFor(pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const match = output.match(pattern);
          if (match) {
            done();
            resolve(match);
          } else if (!alive()) {
            done();
            reject(new Error(`${label} exited before printing ${pattern}:\n${output}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`${label} did not print ${pattern} in ${timeoutMs} ms:\n${output}`));
        }, timeoutMs);
        const done = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    rss: () => procStatus(pid, 'VmRSS'),
    peakRss: () => procStatus(pid, 'VmHWM'),
    cpuSeconds: () => cpuSeconds(pid),
    resetPeak() {
      try {
        writeFileSync(`/proc/${pid}/clear_refs`, '5');
        return true;
      } catch {
        return false;
      }
    },
    async stop(graceMs = 5_000) {
      if (!alive()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A `kB` field of /proc/PID/status (proc(5)), in bytes. */
function procStatus(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  if (!match?.[1]) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

/** Clock ticks per second of /proc/PID/stat times: USER_HZ, 100 on every Linux architecture Node runs on. */
const USER_HZ = 100;

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name, which may itself hold spaces (proc(5)).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15; the slice starts at field 3.
  return (Number(fields[11]) + Number(fields[12])) / USER_HZ;
}

/** Samples a process's RSS every `intervalMs` and keeps the largest value seen. */
export function sampleRss(
  target: NodeProcess,
  intervalMs = 50,
): { stop(): number; readonly max: number } {
  let max = target.rss();
  const timer = setInterval(() => {
    try {
      max = Math.max(max, target.rss());
    } catch {
      // The process ended; the caller notices on its own.
    }
  }, intervalMs);
  return {
    get max() {
      return max;
    },
    stop() {
      clearInterval(timer);
      return max;
    },
  };
}
