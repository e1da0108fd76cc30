import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, readdirSync, rmSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { onExit } from './cleanup.js';
import { freePort } from './ports.js';

const execFileAsync = promisify(execFile);

export type PgAuthMethod = 'trust' | 'scram-sha-256' | 'md5' | 'password';

export interface PgOptions {
  /** pg_hba method for TCP connections; local (socket) connections are always trusted. */
  authMethod?: PgAuthMethod;
  user?: string;
  password?: string;
  database?: string;
}

export interface PgInstance {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  url: string;
  /** unix socket dir, if we started it */
  socketDir?: string;
  stop(): Promise<void>;
}

const DEFAULT_USER = 'hoop_test';
const DEFAULT_PASSWORD = 'hoop-test-password';
const DEFAULT_DATABASE = 'app';
const START_ATTEMPTS = 5;

/**
 * Starts a throwaway PostgreSQL server on 127.0.0.1 and a free port, or, when
 * TEST_PG_URL names a superuser on a running server, creates a uniquely named
 * database there instead (and a uniquely named role if a user or password is
 * requested). authMethod then does nothing: the server's own pg_hba decides.
 */
export async function startPostgres(options: PgOptions = {}): Promise<PgInstance> {
  const external = process.env.TEST_PG_URL;
  return external ? useExternal(external, options) : startLocal(options);
}

async function startLocal(options: PgOptions): Promise<PgInstance> {
  const user = options.user ?? DEFAULT_USER;
  const password = options.password ?? DEFAULT_PASSWORD;
  const database = options.database ?? DEFAULT_DATABASE;
  const authMethod = options.authMethod ?? 'scram-sha-256';
  const bin = findPgBin();
  const dir = await mkdtemp(join(tmpdir(), 'hoop-pg-'));
  const data = join(dir, 'data');
  // PostgreSQL refuses to run as root, so root hands the cluster to the postgres OS user.
  const asRoot = process.getuid?.() === 0;
  const command = (file: string, args: string[]): [string, string[]] =>
    asRoot ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args];
  const run = (file: string, args: string[]) =>
    execFileAsync(...command(file, args), { cwd: dir, timeout: 60_000 });
  const stopArgs = ['stop', '-D', data, '-m', 'immediate', '-w'];
  const killNow = () => {
    try {
      execFileSync(...command(bin.pgCtl, stopArgs), { cwd: dir, stdio: 'ignore' });
    } catch {
      // Best effort: the server may never have started.
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const forget = onExit(killNow);
  try {
    const pwfile = join(dir, 'pwfile');
    await writeFile(pwfile, `${password}\n`);
    if (asRoot) await execFileAsync('chown', ['-R', 'postgres:', dir]);
    await run(bin.initdb, [
      ...['-D', data, '-U', user, `--pwfile=${pwfile}`, '-E', 'UTF8', '--locale=C'],
      ...[`--auth-host=${authMethod}`, '--auth-local=trust', '--no-sync', '--no-instructions'],
    ]);
    const port = await startServer(run, bin.pgCtl, data, dir);
    await runAdmin({ host: dir, port, user, database: 'postgres' }, (client) => [
      // initdb stores the password as SCRAM, and an md5 rule then negotiates SCRAM
      // instead; re-store it as MD5 so md5 auth is really exercised.
      ...(authMethod === 'md5'
        ? [
            "SET password_encryption = 'md5'",
            `ALTER ROLE ${client.escapeIdentifier(user)} PASSWORD ${client.escapeLiteral(password)}`,
          ]
        : []),
      `CREATE DATABASE ${client.escapeIdentifier(database)}`,
    ]);
    let stopped: Promise<void> | undefined;
    return {
      host: '127.0.0.1',
      port,
      user,
      password,
      database,
      url: pgUrl('127.0.0.1', port, user, password, database),
      socketDir: dir,
      stop: () =>
        (stopped ??= (async () => {
          forget();
          try {
            await run(bin.pgCtl, stopArgs);
          } finally {
            await rm(dir, { recursive: true, force: true });
          }
        })()),
    };
  } catch (err) {
    forget();
    killNow();
    throw err;
  }
}

type Run = (file: string, args: string[]) => Promise<unknown>;

/** pg_ctl start on a fresh free port, retrying when another process took the port first. */
async function startServer(run: Run, pgCtl: string, data: string, dir: string): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    // One log per attempt, so the failure we report is this attempt's.
    const log = join(dir, `postgres-${port}.log`);
    const serverOptions = [
      ...[`-p ${port}`, `-k '${dir}'`, '-c listen_addresses=127.0.0.1', '-c max_connections=200'],
      // Durability is worthless for a throwaway server and costs start-up and test time.
      ...['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off'],
    ].join(' ');
    try {
      await run(pgCtl, ['start', '-D', data, '-l', log, '-w', '-t', '30', '-o', serverOptions]);
      return port;
    } catch (err) {
      const tail = await logTail(log);
      if (attempt < START_ATTEMPTS && /could not bind|already in use/i.test(tail)) continue;
      throw new Error(`PostgreSQL did not start; the end of its log:\n${tail}`, { cause: err });
    }
  }
}

async function useExternal(adminUrl: string, options: PgOptions): Promise<PgInstance> {
  // The server is shared with other test processes, so every name gets a unique suffix.
  const suffix = randomBytes(4).toString('hex');
  const database = `${options.database ?? DEFAULT_DATABASE}_${suffix}`;
  const wantsRole = options.user !== undefined || options.password !== undefined;
  const role = wantsRole ? `${options.user ?? DEFAULT_USER}_${suffix}` : undefined;
  const password = options.password ?? DEFAULT_PASSWORD;
  await runAdmin({ connectionString: adminUrl }, (client) => [
    // The server's password_encryption stays: only its own pg_hba knows what it accepts.
    ...(role
      ? [
          `CREATE ROLE ${client.escapeIdentifier(role)} LOGIN PASSWORD ${client.escapeLiteral(password)}`,
        ]
      : []),
    `CREATE DATABASE ${client.escapeIdentifier(database)}` +
      (role ? ` OWNER ${client.escapeIdentifier(role)}` : ''),
  ]);
  const admin = new URL(adminUrl);
  const user = role ?? decodeURIComponent(admin.username);
  const pass = role ? password : decodeURIComponent(admin.password);
  const port = Number(admin.port || 5432);
  let stopped: Promise<void> | undefined;
  return {
    host: admin.hostname,
    port,
    user,
    password: pass,
    database,
    url: pgUrl(admin.hostname, port, user, pass, database),
    stop: () =>
      (stopped ??= runAdmin({ connectionString: adminUrl }, (client) => [
        // FORCE ends sessions a failed test left open (PostgreSQL 13+).
        `DROP DATABASE IF EXISTS ${client.escapeIdentifier(database)} WITH (FORCE)`,
        ...(role ? [`DROP ROLE IF EXISTS ${client.escapeIdentifier(role)}`] : []),
      ])),
  };
}

/** Runs administrative statements one by one on a short-lived connection. */
async function runAdmin(
  config: pg.ClientConfig,
  statements: (client: pg.Client) => string[],
): Promise<void> {
  const client = new pg.Client(config);
  await client.connect();
  try {
    for (const sql of statements(client)) await client.query(sql);
  } finally {
    await client.end();
  }
}

function pgUrl(host: string, port: number, user: string, password: string, db: string): string {
  const e = encodeURIComponent;
  return `postgres://${e(user)}:${e(password)}@${host}:${port}/${e(db)}`;
}

/** initdb and pg_ctl from one directory: PATH first, then the newest /usr/lib/postgresql/N/bin. */
function findPgBin(): { initdb: string; pgCtl: string } {
  const pathDirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  const dir = [...pathDirs, ...debianPgDirs()].find(
    (d) => isExecutable(join(d, 'initdb')) && isExecutable(join(d, 'pg_ctl')),
  );
  if (!dir) {
    throw new Error(
      'PostgreSQL server binaries (initdb, pg_ctl) were not found on PATH or in ' +
        '/usr/lib/postgresql/*/bin. Install them with `apt-get install -y postgresql`, ' +
        'or set TEST_PG_URL to a superuser URL of a running server.',
    );
  }
  return { initdb: join(dir, 'initdb'), pgCtl: join(dir, 'pg_ctl') };
}

function debianPgDirs(): string[] {
  let versions: string[];
  try {
    versions = readdirSync('/usr/lib/postgresql');
  } catch {
    return [];
  }
  return versions
    .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a))
    .map((v) => join('/usr/lib/postgresql', v, 'bin'));
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function logTail(file: string, lines = 20): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '(no log written)');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
