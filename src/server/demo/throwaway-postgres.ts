import { execFile, execFileSync } from 'node:child_process';
import { accessSync, constants, readdirSync, rmSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const execFileAsync = promisify(execFile);

export type PgAuthMethod = 'trust' | 'scram-sha-256' | 'md5' | 'password';

export interface ThrowawayPostgresOptions {
  user: string;
  password: string;
  database: string;
  /** pg_hba method for TCP connections; local (socket) connections are always trusted. Default scram-sha-256. */
  authMethod?: PgAuthMethod;
  /** Prefix of the temporary directory (cluster, socket, logs). Default `hoop-pg-`. */
  prefix?: string;
  /**
   * Registers a synchronous clean-up (stop the server, remove its directory)
   * for a process that ends without calling stop(); returns the function that
   * unregisters it. Default: the process's `exit` event.
   */
  onExit?: (cleanup: () => void) => () => void;
}

export interface ThrowawayPostgres {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  url: string;
  /** The temporary directory: the unix socket lives here, the cluster in `dataDir`. */
  dir: string;
  dataDir: string;
  /** Stops the server and removes its directory; later calls return the first call's promise. */
  stop(): Promise<void>;
}

/** initdb and pg_ctl were found neither on PATH nor in /usr/lib/postgresql/N/bin. */
export class PostgresNotInstalledError extends Error {
  /** What to run to get them. */
  readonly install = 'apt-get install -y postgresql';

  constructor() {
    super(
      'PostgreSQL server binaries (initdb, pg_ctl) were not found on PATH or in ' +
        '/usr/lib/postgresql/*/bin. Install them with `apt-get install -y postgresql`.',
    );
    this.name = 'PostgresNotInstalledError';
  }
}

const START_ATTEMPTS = 5;

/**
 * Starts a throwaway PostgreSQL server: initdb into a temporary directory, a
 * free port on 127.0.0.1 only, `user` as the superuser with `password`, and an
 * empty `database`. PostgreSQL refuses to run as root, so root hands the
 * cluster to the `postgres` OS user. Durability is switched off: the data is
 * gone at stop() anyway.
 *
 * @throws PostgresNotInstalledError when the server binaries are missing.
 */
export async function startThrowawayPostgres(
  options: ThrowawayPostgresOptions,
): Promise<ThrowawayPostgres> {
  const { user, password, database } = options;
  const authMethod = options.authMethod ?? 'scram-sha-256';
  const bin = findPostgresBinaries();
  if (!bin) throw new PostgresNotInstalledError();
  const dir = await mkdtemp(join(tmpdir(), options.prefix ?? 'hoop-pg-'));
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  const command = (file: string, args: string[]): [string, string[]] =>
    asRoot ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args];
  const run: Run = (file, args) =>
    execFileAsync(...command(file, args), { cwd: dir, timeout: 60_000 });
  const stopArgs = ['stop', '-D', data, '-m', 'immediate', '-w'];
  const killNow = (): void => {
    try {
      execFileSync(...command(bin.pgCtl, stopArgs), { cwd: dir, stdio: 'ignore' });
    } catch {
      // Best effort: the server may never have started.
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const forget = (options.onExit ?? onProcessExit)(killNow);
  try {
    const pwfile = join(dir, 'pwfile');
    await writeFile(pwfile, `${password}\n`);
    if (asRoot) await execFileAsync('chown', ['-R', 'postgres:', dir]);
    await run(bin.initdb, [
      ...['-D', data, '-U', user, `--pwfile=${pwfile}`, '-E', 'UTF8', '--locale=C'],
      ...[`--auth-host=${authMethod}`, '--auth-local=trust', '--no-sync', '--no-instructions'],
    ]);
    await rm(pwfile, { force: true });
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
      url: postgresUrl('127.0.0.1', port, user, password, database),
      dir,
      dataDir: data,
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

function onProcessExit(cleanup: () => void): () => void {
  process.once('exit', cleanup);
  return () => process.off('exit', cleanup);
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

/** A TCP port on 127.0.0.1 that was free a moment ago (the caller retries if it is taken). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

/** Runs administrative statements one by one on a short-lived connection. */
export async function runAdmin(
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

/** `postgres://user:password@host:port/db`, each part percent-encoded. */
export function postgresUrl(
  host: string,
  port: number,
  user: string,
  password: string,
  db: string,
): string {
  const e = encodeURIComponent;
  return `postgres://${e(user)}:${e(password)}@${host}:${port}/${e(db)}`;
}

/**
 * initdb and pg_ctl from one directory: PATH first, then the newest
 * /usr/lib/postgresql/N/bin (Debian keeps the server binaries off PATH).
 */
export function findPostgresBinaries(): { initdb: string; pgCtl: string } | undefined {
  const pathDirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  const dir = [...pathDirs, ...debianPgDirs()].find(
    (d) => isExecutable(join(d, 'initdb')) && isExecutable(join(d, 'pg_ctl')),
  );
  return dir ? { initdb: join(dir, 'initdb'), pgCtl: join(dir, 'pg_ctl') } : undefined;
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
