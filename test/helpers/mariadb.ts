import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { accessSync, closeSync, constants, openSync, rmSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { onExit } from './cleanup.js';
import { freePort } from './ports.js';

const execFileAsync = promisify(execFile);

export interface MariaDbOptions {
  user?: string;
  password?: string;
  database?: string;
}

export interface MariaDbInstance {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  url: string;
  /** unix socket path, if we started the server */
  socket?: string;
  stop(): Promise<void>;
}

const DEFAULT_USER = 'hoop_test';
const DEFAULT_PASSWORD = 'hoop-test-password';
const DEFAULT_DATABASE = 'app';
const START_ATTEMPTS = 5;
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

/**
 * Server options shared by the bootstrap and the server. Durability is worthless
 * for a throwaway server. Native AIO (io_uring) is off because it needs locked
 * memory that containers often limit, and parallel instances add up. utf8mb4
 * matches what distribution configs set, which --no-defaults skips.
 */
const TUNING = [
  '--skip-name-resolve',
  '--skip-log-bin',
  '--innodb-buffer-pool-size=16M',
  '--innodb-log-file-size=8M',
  '--innodb-flush-method=nosync',
  '--innodb-flush-log-at-trx-commit=0',
  '--innodb-doublewrite=0',
  '--skip-innodb-use-native-aio',
  '--character-set-server=utf8mb4',
  '--collation-server=utf8mb4_unicode_ci',
  '--max-connections=200',
];

/**
 * Starts a throwaway MariaDB server on 127.0.0.1 and a free port, or, when
 * TEST_MYSQL_URL names an administrative user on a running server, creates a
 * uniquely named database and user there instead.
 */
export async function startMariaDb(options: MariaDbOptions = {}): Promise<MariaDbInstance> {
  const external = process.env.TEST_MYSQL_URL;
  return external ? useExternal(external, options) : startLocal(options);
}

async function startLocal(options: MariaDbOptions): Promise<MariaDbInstance> {
  const user = options.user ?? DEFAULT_USER;
  const password = options.password ?? DEFAULT_PASSWORD;
  const database = options.database ?? DEFAULT_DATABASE;
  const bin = findMariaDbBin();
  const dir = await mkdtemp(join(tmpdir(), 'hoop-mariadb-'));
  const socket = join(dir, 'mysqld.sock');
  // --no-defaults must come first, so /etc/mysql and ~/.my.cnf do not leak in.
  const common = [
    '--no-defaults',
    `--datadir=${join(dir, 'data')}`,
    ...(process.getuid?.() === 0 ? ['--user=root'] : []),
    ...TUNING,
  ];
  let child: ChildProcess | undefined;
  const killNow = () => {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  };
  const forget = onExit(killNow);
  try {
    await execFileAsync(
      bin.installDb,
      [...common, '--auth-root-authentication-method=normal', '--skip-test-db'],
      { cwd: dir, timeout: 60_000 },
    );
    const serverArgs = [
      ...common,
      `--pid-file=${join(dir, 'mysqld.pid')}`,
      `--tmpdir=${dir}`,
      '--bind-address=127.0.0.1',
    ];
    // Tracked from the spawn on, so the exit hook also covers a server still starting.
    const started = await startServer(bin.server, dir, socket, serverArgs, (c) => (child = c));
    await runAdmin(started.admin, createUserAndDatabase(user, password, database));
    let stopped: Promise<void> | undefined;
    return {
      host: '127.0.0.1',
      port: started.port,
      user,
      password,
      database,
      url: mysqlUrl('127.0.0.1', started.port, user, password, database),
      socket,
      stop: () =>
        (stopped ??= (async () => {
          forget();
          try {
            await terminate(started.child);
          } finally {
            await rm(dir, { recursive: true, force: true, maxRetries: 3 });
          }
        })()),
    };
  } catch (err) {
    forget();
    if (child) await terminate(child);
    killNow();
    throw err;
  }
}

interface Started {
  child: ChildProcess;
  port: number;
  admin: mysql.Connection;
}

/** Spawns mariadbd on a fresh free port, retrying when another process took the port first. */
async function startServer(
  server: string,
  dir: string,
  socket: string,
  args: string[],
  onSpawn: (child: ChildProcess) => void,
): Promise<Started> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    // stdout and stderr go to a file rather than --log-error, which misses errors
    // printed before it takes effect (an unknown option), and rather than a pipe,
    // which would hold our event loop open. One log per attempt, so we report this one.
    const log = join(dir, `mariadbd-${port}.log`);
    const fd = openSync(log, 'a');
    const child = spawn(server, [...args, `--socket=${socket}`, `--port=${port}`], {
      cwd: dir,
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    onSpawn(child);
    // A test that forgets stop() must not hang the run; the exit hook kills it then.
    child.unref();
    const admin = await waitReady(child, socket);
    if (admin) return { child, port, admin };
    const tail = await logTail(log);
    if (attempt < START_ATTEMPTS && /Bind on TCP\/IP port|already in use/i.test(tail)) continue;
    await terminate(child);
    throw new Error(`MariaDB did not start; the end of its log:\n${tail}`);
  }
}

/**
 * Polls the socket until root can connect; undefined if the server exited first.
 * The bootstrap leaves a passwordless root@localhost, reachable on the socket only.
 */
async function waitReady(child: ChildProcess, socket: string) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return undefined;
    try {
      return await mysql.createConnection({ socketPath: socket, user: 'root' });
    } catch {
      await sleep(50);
    }
  }
  return undefined;
}

/** SIGTERM for a clean shutdown, SIGKILL if it hangs; resolves once the process is gone. */
async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  // The child was unref'd; without ref() the process could exit while we wait.
  child.ref();
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

async function useExternal(adminUrl: string, options: MariaDbOptions): Promise<MariaDbInstance> {
  // The server is shared with other test processes, so every name gets a unique suffix.
  const suffix = randomBytes(4).toString('hex');
  const user = `${options.user ?? DEFAULT_USER}_${suffix}`;
  const password = options.password ?? DEFAULT_PASSWORD;
  const database = `${options.database ?? DEFAULT_DATABASE}_${suffix}`;
  await runAdmin(
    await mysql.createConnection(adminUrl),
    createUserAndDatabase(user, password, database),
  );
  const admin = new URL(adminUrl);
  const port = Number(admin.port || 3306);
  let stopped: Promise<void> | undefined;
  return {
    host: admin.hostname,
    port,
    user,
    password,
    database,
    url: mysqlUrl(admin.hostname, port, user, password, database),
    stop: () =>
      (stopped ??= mysql
        .createConnection(adminUrl)
        .then((connection) =>
          runAdmin(connection, [
            `DROP DATABASE IF EXISTS ${mysql.escapeId(database)}`,
            `DROP USER IF EXISTS ${accounts(user).join(', ')}`,
          ]),
        )),
  };
}

/**
 * Both '%' and 'localhost' accounts: a socket or name-resolved connection matches
 * 'localhost' first, where an anonymous ''@'localhost' would otherwise win.
 */
function createUserAndDatabase(user: string, password: string, database: string): string[] {
  // IDENTIFIED BY binds to the one account before it, so each account repeats it.
  const identified = accounts(user)
    .map((account) => `${account} IDENTIFIED BY ${mysql.escape(password)}`)
    .join(', ');
  return [
    `CREATE USER ${identified}`,
    `CREATE DATABASE ${mysql.escapeId(database)}`,
    `GRANT ALL ON ${mysql.escapeId(database)}.* TO ${accounts(user).join(', ')}`,
  ];
}

function accounts(user: string): string[] {
  return ['%', 'localhost'].map((host) => `${mysql.escape(user)}@${mysql.escape(host)}`);
}

/** Runs administrative statements one by one, then closes the connection. */
async function runAdmin(connection: mysql.Connection, statements: string[]): Promise<void> {
  try {
    for (const sql of statements) await connection.query(sql);
  } finally {
    await connection.end();
  }
}

function mysqlUrl(host: string, port: number, user: string, password: string, db: string): string {
  const e = encodeURIComponent;
  return `mysql://${e(user)}:${e(password)}@${host}:${port}/${e(db)}`;
}

/** The bootstrap script and the server: PATH first, then the Debian locations. */
function findMariaDbBin(): { installDb: string; server: string } {
  const dirs = [
    ...(process.env.PATH ?? '').split(delimiter).filter(Boolean),
    '/usr/sbin',
    '/usr/bin',
  ];
  const find = (names: string[]) =>
    names.flatMap((name) => dirs.map((d) => join(d, name))).find(isExecutable);
  const installDb = find(['mariadb-install-db', 'mysql_install_db']);
  const server = find(['mariadbd', 'mysqld']);
  if (!installDb || !server) {
    throw new Error(
      'MariaDB server binaries (mariadb-install-db, mariadbd) were not found on PATH or in ' +
        '/usr/sbin, /usr/bin. Install them with `apt-get install -y mariadb-server`, ' +
        'or set TEST_MYSQL_URL to an administrative URL of a running server.',
    );
  }
  return { installDb, server };
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
