import { spawn } from 'node:child_process';
import { accessSync, constants, readdirSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';

/** Where a PostgreSQL client listens: the server itself, or a `hoop connect` port. */
export interface PgEndpoint {
  port: number;
  user: string;
  /** Empty through hoop: the tunnel is already authenticated. */
  password: string;
  database: string;
}

/**
 * A PostgreSQL client program (pgbench, psql) on PATH, else in the newest
 * /usr/lib/postgresql/N/bin, where Debian keeps pgbench off PATH.
 */
export function findPgTool(name: string): string {
  let versions: string[] = [];
  try {
    versions = readdirSync('/usr/lib/postgresql');
  } catch {
    // No Debian-style install; PATH alone decides.
  }
  versions.sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
  const dirs = [
    ...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean),
    ...versions.map((v) => path.join('/usr/lib/postgresql', v, 'bin')),
  ];
  for (const dir of dirs) {
    const file = path.join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // Not here; try the next directory.
    }
  }
  throw new Error(
    `${name} was not found on PATH or in /usr/lib/postgresql/*/bin; ` +
      'install it with `apt-get install -y postgresql-contrib postgresql-client`',
  );
}

/** Output kept for error messages and parsing; pgbench and psql print little. */
const MAX_OUTPUT_CHARS = 64 * 1024;

/**
 * Runs a client program to completion (asynchronously: the bench process
 * keeps its timers) and resolves with its output and wall time in ms.
 */
export function run(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  options: { cwd?: string; timeoutMs?: number } = {},
): Promise<{ stdout: string; stderr: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout = (stdout + chunk.toString()).slice(-MAX_OUTPUT_CHARS);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-MAX_OUTPUT_CHARS);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const ms = performance.now() - start;
      if (code === 0) resolve({ stdout, stderr, ms });
      else
        reject(
          new Error(
            `${path.basename(file)} ${args.join(' ')} exited with ${code ?? signal}:\n${stderr}${stdout}`,
          ),
        );
    });
  });
}

const connArgs = (at: PgEndpoint): string[] => [
  ...['-h', '127.0.0.1', '-p', String(at.port), '-U', at.user],
];
const connEnv = (at: PgEndpoint): NodeJS.ProcessEnv => ({
  PGPASSWORD: at.password,
  PGCONNECT_TIMEOUT: '10',
  PGAPPNAME: 'hoop-bench',
});

export interface PgbenchOptions {
  clients: number;
  seconds: number;
  mode: 'simple' | 'prepared';
  /** Write per-transaction latencies into this directory and return them. */
  logDir?: string;
}

/**
 * `pgbench -S` (the built-in select-only script) for `seconds`, without the
 * pre-run vacuum. Resolves with the TPS pgbench reports, excluding connection
 * time, and with `logDir` the latency of every transaction in µs.
 */
export async function pgbenchSelect(
  pgbench: string,
  at: PgEndpoint,
  options: PgbenchOptions,
): Promise<{ tps: number; latenciesUs: number[] }> {
  const threads = Math.min(options.clients, 2);
  const prefix = options.logDir ? path.join(options.logDir, 'pgbench') : undefined;
  const { stdout } = await run(
    pgbench,
    [
      ...connArgs(at),
      ...['-S', '-n', '-M', options.mode],
      ...['-c', String(options.clients), '-j', String(threads), '-T', String(options.seconds)],
      ...(prefix ? ['--log', `--log-prefix=${prefix}`] : []),
      at.database,
    ],
    connEnv(at),
    { timeoutMs: (options.seconds + 60) * 1000 },
  );
  const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(stdout);
  if (!tps?.[1]) throw new Error(`pgbench printed no tps:\n${stdout}`);
  const latenciesUs: number[] = [];
  if (options.logDir) {
    // One file per thread, `pgbench.PID[.THREAD]`; lines are
    // `client_id transaction_no time script_no time_epoch time_us`, time in µs.
    for (const name of await readdir(options.logDir)) {
      if (!name.startsWith('pgbench.')) continue;
      const file = path.join(options.logDir, name);
      for (const line of (await readFile(file, 'utf8')).split('\n')) {
        const latency = Number(line.split(' ')[2]);
        if (line && Number.isFinite(latency)) latenciesUs.push(latency);
      }
      await rm(file);
    }
  }
  return { tps: Number(tps[1]), latenciesUs };
}

/** Wall time in ms of `psql -c SQL` with every row read and thrown away (`-o /dev/null`). */
export async function psqlDiscard(psql: string, at: PgEndpoint, sql: string): Promise<number> {
  const { ms } = await run(
    psql,
    [
      ...connArgs(at),
      '-X',
      '-q',
      '-v',
      'ON_ERROR_STOP=1',
      '-o',
      '/dev/null',
      '-c',
      sql,
      at.database,
    ],
    connEnv(at),
  );
  return ms;
}

/** Runs administrative SQL with psql (table set-up), failing on the first error. */
export async function psqlRun(psql: string, at: PgEndpoint, sql: string): Promise<string> {
  const { stdout } = await run(
    psql,
    [...connArgs(at), '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-c', sql, at.database],
    connEnv(at),
  );
  return stdout;
}

/** `pgbench -i -s SCALE` against the server itself (data set-up, not measured). */
export async function pgbenchInit(pgbench: string, at: PgEndpoint, scale: number): Promise<void> {
  await run(pgbench, [...connArgs(at), '-i', '-q', '-s', String(scale), at.database], connEnv(at));
}
