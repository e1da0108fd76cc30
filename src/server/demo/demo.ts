import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { generateApiKey, hashApiKey } from '../../lib/api-key.js';
import { parseConfig } from '../config/index.js';
import { startGateway, type Gateway } from '../gateway.js';
import { startDevIdp, type DevIdp } from '../idp/index.js';
import type { Logger } from '../logger.js';
import { DEMO_POLICY_YAML } from './policy.js';
import { seedSampleData } from './sample-data.js';
import {
  PostgresNotInstalledError,
  startThrowawayPostgres,
  type ThrowawayPostgres,
} from './throwaway-postgres.js';

/** The environment variable the demo config reads the PostgreSQL password from. */
export const DEMO_PG_PASSWORD_ENV = 'HOOP_DEMO_PG_PASSWORD';

export interface Demo {
  gateway: Gateway;
  /** The development identity provider people log in through. */
  idp: DevIdp;
  /** The demo agent's API key (`HOOP_TOKEN`). */
  token: string;
  /** Where the demo keeps its store. */
  dir: string;
  /** A config naming the demo's store, for `hoop audit verify --config`. */
  auditConfig: string;
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
    const postgres = await startDemoPostgres();
    if (postgres.instance) closers.push(postgres.instance.stop);

    const idp = await startDevIdp({
      port: options.idpPort,
      ...(options.warn ? { warn: options.warn } : {}),
    });
    closers.push(() => idp.close());

    const echo = net.createServer({ allowHalfOpen: true }, (socket) => {
      socket.on('error', () => {});
      socket.pipe(socket);
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise<void>((resolve) => echo.close(() => resolve())));
    const echoPort = (echo.address() as net.AddressInfo).port;

    const pg = postgres.instance;
    // The config names the secret, as a real one must; the value lives in this process only.
    if (pg) process.env[DEMO_PG_PASSWORD_ENV] = pg.password;
    const token = generateApiKey();
    const config = parseConfig(
      [
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
              `    password: "\${env:${DEMO_PG_PASSWORD_ENV}}"`,
              `    groups: [engineering, dba, agents]`,
            ]
          : []),
        // The DBA sees every session in `hoop audit`; others see their own.
        'audit: { auditors: [dba] }',
        ...DEMO_POLICY_YAML,
      ].join('\n'),
      { file: path.join(dir, 'hoop.yaml') },
    );
    // What `hoop audit verify --config` needs: the store (and the signing key beside it).
    // Connections and their secrets stay in this process.
    const auditConfig = path.join(dir, 'hoop.yaml');
    await writeFile(
      auditConfig,
      [
        '# The part of the demo gateway config that reads its record: hoop audit verify --config THIS',
        `store: sqlite:${path.join(dir, 'hoop.db')}`,
        'connections: []',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    const gateway = await startGateway({
      config,
      ...(options.logger ? { logger: options.logger } : {}),
    });
    closers.push(() => gateway.close());
    return {
      gateway,
      idp,
      token,
      dir,
      auditConfig,
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
