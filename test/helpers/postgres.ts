import { randomBytes } from 'node:crypto';
import {
  PostgresNotInstalledError,
  postgresUrl,
  runAdmin,
  startThrowawayPostgres,
  type PgAuthMethod,
} from '../../src/server/demo/throwaway-postgres.js';
import { onExit } from './cleanup.js';

export type { PgAuthMethod };

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

function startLocal(options: PgOptions): Promise<PgInstance> {
  return startThrowawayPostgres({
    user: options.user ?? DEFAULT_USER,
    password: options.password ?? DEFAULT_PASSWORD,
    database: options.database ?? DEFAULT_DATABASE,
    authMethod: options.authMethod ?? 'scram-sha-256',
    // The test runner ends a file's process with a signal; cleanup.ts handles those too.
    onExit,
  }).then(
    ({ dir, dataDir: _dataDir, ...instance }) => ({ ...instance, socketDir: dir }),
    (err: unknown) => {
      if (!(err instanceof PostgresNotInstalledError)) throw err;
      throw new Error(`${err.message} Or set TEST_PG_URL to a superuser URL of a running server.`);
    },
  );
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
    url: postgresUrl(admin.hostname, port, user, pass, database),
    stop: () =>
      (stopped ??= runAdmin({ connectionString: adminUrl }, (client) => [
        // FORCE ends sessions a failed test left open (PostgreSQL 13+).
        `DROP DATABASE IF EXISTS ${client.escapeIdentifier(database)} WITH (FORCE)`,
        ...(role ? [`DROP ROLE IF EXISTS ${client.escapeIdentifier(role)}`] : []),
      ])),
  };
}
