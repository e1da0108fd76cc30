import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { generateApiKey, hashApiKey } from '../../lib/api-key.js';
import { HoopError } from '../../lib/errors.js';
import { loadConfig } from '../config/index.js';
import { startGateway, type Gateway } from '../gateway.js';
import { startDevIdp, type DevIdp } from '../idp/index.js';
import type { Logger } from '../logger.js';
import { DEMO_POLICY } from './policy.js';
import { seedSampleData } from './sample-data.js';
import {
  PostgresNotInstalledError,
  startThrowawayPostgres,
  type ThrowawayPostgres,
} from './throwaway-postgres.js';

/** The demo's secret file for the PostgreSQL password, next to its config (`${file:…}`). */
const PG_PASSWORD_FILE = 'demo-pg.password';

export interface Demo {
  gateway: Gateway;
  /** The development identity provider people log in through. */
  idp: DevIdp;
  /** The demo agent's API key (`HOOP_TOKEN`). */
  token: string;
  /** Where the demo keeps its store, config and policy. */
  dir: string;
  /**
   * The config the gateway runs with (`hoop.yaml` in `dir`), for `hoop audit
   * verify --config` and `hoop policy explain|check|test --config`; its
   * secret is a file beside it, so other processes of the user can load it.
   */
  configFile: string;
  /** The policy file beside it (`policy.yaml`), which the gateway reloads when edited. */
  policyFile: string;
  /** The throwaway PostgreSQL behind `demo-pg`, when its binaries are installed. */
  postgres?: ThrowawayPostgres;
  /** Why there is no `demo-pg`, and what to install. */
  postgresMissing?: PostgresNotInstalledError;
  close(): Promise<void>;
}

/**
 * `hoop demo`: a gateway with a throwaway store, the development identity
 * provider with demo people and an agent, an API key, a built-in echo target
 * behind a `tcp` connection and, when the PostgreSQL server binaries are
 * installed, a throwaway PostgreSQL seeded with a sample shop behind
 * `demo-pg`, all configured through the same YAML loader a real deployment
 * uses, with a policy that masks and refuses. Everything listens on 127.0.0.1
 * only.
 */
export async function startDemo(options: {
  port: number;
  idpPort: number;
  logger?: Logger;
  warn?: (message: string) => void;
}): Promise<Demo> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hoop-demo-'));
  const closers: Array<() => Promise<void>> = [() => rm(dir, { recursive: true, force: true })];
  const closeAll = async (): Promise<void> => {
    // Last started, first stopped; one failure does not keep the rest running.
    const errors: unknown[] = [];
    for (const close of closers.splice(0).reverse()) await close().catch((e) => errors.push(e));
    if (errors.length) throw new AggregateError(errors, 'the demo did not stop cleanly');
  };
  try {
    // Before PostgreSQL's seconds of start-up: a busy port fails at once.
    await Promise.all([
      ensurePortFree(options.port, "the gateway's port", '--port'),
      ensurePortFree(options.idpPort, "the identity provider's port", '--idp-port'),
    ]);
    const postgres = await startDemoPostgres();
    if (postgres.instance) closers.push(postgres.instance.stop);

    const idp = await busyPortIsUsage(
      startDevIdp({ port: options.idpPort, ...(options.warn ? { warn: options.warn } : {}) }),
      options.idpPort,
      "the identity provider's port",
      '--idp-port',
    );
    closers.push(() => idp.close());

    const echo = net.createServer({ allowHalfOpen: true }, (socket) => {
      socket.on('error', () => {});
      socket.pipe(socket);
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise<void>((resolve) => echo.close(() => resolve())));
    const echoPort = (echo.address() as net.AddressInfo).port;

    const pg = postgres.instance;
    // The secret lives in a 0600 file the config names, as a real one must, so
    // other commands of this user (`hoop audit verify --config`) load the config too.
    if (pg) await writeFile(path.join(dir, PG_PASSWORD_FILE), pg.password, { mode: 0o600 });
    const token = generateApiKey();
    const policyFile = path.join(dir, 'policy.yaml');
    await writeFile(policyFile, DEMO_POLICY, { mode: 0o600 });
    const configFile = path.join(dir, 'hoop.yaml');
    await writeFile(
      configFile,
      [
        '# The hoop demo gateway config: hoop policy explain --config THIS, hoop audit verify --config THIS',
        `listen: 127.0.0.1:${options.port}`,
        `store: sqlite:${path.join(dir, 'hoop.db')}`,
        'auth:',
        `  oidc: { issuer: "${idp.issuer}", clientId: ${idp.cliClientId}, audience: ${idp.audience} }`,
        '  apiKeys:',
        `    - { name: demo-agent, groups: [agents], keyHash: "${hashApiKey(token)}" }`,
        'connections:',
        `  - { name: demo-echo, type: tcp, host: 127.0.0.1, port: ${echoPort}, groups: [engineering, dba, agents] }`,
        ...(pg
          ? [
              `  - name: demo-pg`,
              `    type: postgres`,
              `    host: ${pg.host}`,
              `    port: ${pg.port}`,
              `    database: ${pg.database}`,
              `    user: ${pg.user}`,
              `    password: "\${file:./${PG_PASSWORD_FILE}}"`,
              `    groups: [engineering, dba, agents]`,
            ]
          : []),
        // The DBA sees every session in `hoop audit`; others see their own.
        'audit: { auditors: [dba] }',
        'policy: ./policy.yaml',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    // Through the same loader a real deployment's config goes through.
    const config = await loadConfig(configFile);
    const gateway = await busyPortIsUsage(
      startGateway({ config, ...(options.logger ? { logger: options.logger } : {}) }),
      options.port,
      "the gateway's port",
      '--port',
    );
    closers.push(() => gateway.close());
    return {
      gateway,
      idp,
      token,
      dir,
      configFile,
      policyFile,
      ...(pg ? { postgres: pg } : {}),
      ...(postgres.missing ? { postgresMissing: postgres.missing } : {}),
      close: closeAll,
    };
  } catch (error) {
    await closeAll().catch(() => {});
    throw error;
  }
}

/** The seeded throwaway PostgreSQL, or why there is none. */
async function startDemoPostgres(): Promise<{
  instance?: ThrowawayPostgres;
  missing?: PostgresNotInstalledError;
}> {
  let instance: ThrowawayPostgres;
  try {
    instance = await startThrowawayPostgres({
      user: 'hoop_demo',
      // A fresh password per demo: the server listens on loopback, but other local users exist.
      password: randomBytes(18).toString('base64url'),
      database: 'shop',
      prefix: 'hoop-demo-pg-',
    });
  } catch (error) {
    if (error instanceof PostgresNotInstalledError) return { missing: error };
    throw error;
  }
  try {
    await seedSampleData({ connectionString: instance.url });
  } catch (error) {
    await instance.stop().catch(() => {});
    throw error;
  }
  return { instance };
}

/** The one line of advice for a busy port: both flags, with other ports to try. */
function portInUse(port: number, what: string, flag: string, cause?: unknown): HoopError {
  // 8009 → 18009, 18009 → 28009 …; past the top of the range, any free port (0).
  const other = (n: number): number => (n + 10_000 <= 65_535 ? n + 10_000 : 0);
  const [gateway, idp] = flag === '--port' ? [port, port + 1] : [port - 1, port];
  return new HoopError(
    'HOOP_PORT_UNAVAILABLE',
    `cannot start the demo: 127.0.0.1:${port} (${what}, ${flag}) is in use`,
    {
      hint: `Choose free ports with --port and --idp-port (e.g. hoop demo --port ${other(gateway)} --idp-port ${other(idp)}), or stop what uses ${port}.`,
      ...(cause === undefined ? {} : { cause }),
    },
  );
}

/** Fails fast when `port` (not 0) cannot be bound on 127.0.0.1. */
async function ensurePortFree(port: number, what: string, flag: string): Promise<void> {
  if (port === 0) return;
  const probe = net.createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen({ port, host: '127.0.0.1', exclusive: true }, () => resolve());
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw portInUse(port, what, flag, error);
    }
    throw error;
  } finally {
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  }
}

/** A port taken between the check and the start (another process was quicker) gets the same answer. */
async function busyPortIsUsage<T>(
  starting: Promise<T>,
  port: number,
  what: string,
  flag: string,
): Promise<T> {
  try {
    return await starting;
  } catch (error) {
    const busy =
      (error as NodeJS.ErrnoException).code === 'EADDRINUSE' ||
      (error instanceof HoopError &&
        error.code === 'HOOP_PORT_UNAVAILABLE' &&
        /in use/.test(error.message));
    if (busy) throw portInUse(port, what, flag, error);
    throw error;
  }
}
