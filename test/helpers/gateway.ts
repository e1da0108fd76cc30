import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generateApiKey, hashApiKey } from '../../src/lib/api-key.js';
import { parseConfig, type GatewayConfig } from '../../src/server/config/index.js';
import { startGateway, type Gateway } from '../../src/server/gateway.js';
import { createLogger, type Logger } from '../../src/server/logger.js';

export interface TestKey {
  name: string;
  groups: string[];
}

/** `auth.oidc` as written in hoop.yaml; `revocationWindow` is a duration such as `4s`. */
export interface TestOidc {
  issuer: string;
  clientId: string;
  audience?: string;
  groupsClaim?: string;
  revocationWindow?: string;
}

/** One `auth.delegation` rule: these actors may act for these subjects (`*` for anyone). */
export interface TestDelegation {
  actors: string[];
  subjects: string[];
}

export interface TestGateway {
  gateway: Gateway;
  config: GatewayConfig;
  url: string;
  /** The plain API keys by identity name, as an agent would hold them. */
  keys: Record<string, string>;
  dir: string;
  close(): Promise<void>;
}

/**
 * Starts a real gateway on 127.0.0.1 port 0 with a fresh SQLite store, from
 * YAML config text (so the loader is exercised too). `connections` is the
 * YAML list under `connections:`; API keys are generated per identity.
 * `oidc` and `delegation` add `auth.oidc` and `auth.delegation`; `policy` is
 * an inline rule list as JSON-able objects; `logger`
 * replaces the default one (silent unless HOOP_TEST_LOG names a level), e.g.
 * to capture the gateway's logs.
 */
export async function startTestGateway(options: {
  connections: string;
  keys?: TestKey[];
  tunnel?: string;
  env?: NodeJS.ProcessEnv;
  oidc?: TestOidc;
  delegation?: TestDelegation[];
  policy?: unknown[];
  /** A policy file instead of inline rules (reloadable with `gateway.reloadPolicy()`). */
  policyFile?: string;
  /** YAML lines of a `reviews:` section. */
  reviews?: string;
  /** YAML lines of an `audit:` section (`audit:\n  auditors: [auditors]`). */
  audit?: string;
  /** The store URL; default a fresh SQLite file in the gateway's directory. */
  store?: string;
  /** More top-level YAML lines (`mysql:\n  maxPacketBytes: 1024`). */
  extra?: string;
  logger?: Logger;
}): Promise<TestGateway> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hoop-test-'));
  const keys: Record<string, string> = {};
  const keyLines = (options.keys ?? [{ name: 'agent-1', groups: ['agents'] }]).map((key) => {
    keys[key.name] = generateApiKey();
    return `    - { name: ${key.name}, groups: [${key.groups.join(', ')}], keyHash: "${hashApiKey(keys[key.name] ?? '')}" }`;
  });
  // JSON is YAML: values are quoted, whatever characters they hold.
  const text = [
    'listen: 127.0.0.1:0',
    `store: ${JSON.stringify(options.store ?? `sqlite:${path.join(dir, 'hoop.db')}`)}`,
    'log: { level: silent }',
    'auth:',
    ...(options.oidc ? [`  oidc: ${JSON.stringify(options.oidc)}`] : []),
    ...(options.delegation ? [`  delegation: ${JSON.stringify(options.delegation)}`] : []),
    '  apiKeys:',
    ...keyLines,
    'connections:',
    options.connections,
    ...(options.tunnel ? ['tunnel:', options.tunnel] : []),
    ...(options.policy ? [`policy: ${JSON.stringify(options.policy)}`] : []),
    ...(options.policyFile ? [`policy: ${JSON.stringify(options.policyFile)}`] : []),
    ...(options.reviews ? [options.reviews] : []),
    ...(options.audit ? [options.audit] : []),
    ...(options.extra ? [options.extra] : []),
  ].join('\n');
  const config = parseConfig(text, {
    file: path.join(dir, 'hoop.yaml'),
    env: { ...process.env, ...options.env },
  });
  const gateway = await startGateway({
    config,
    logger: options.logger ?? createLogger(process.env.HOOP_TEST_LOG ?? 'silent'),
  });
  return {
    gateway,
    config,
    url: gateway.url,
    keys,
    dir,
    async close() {
      await gateway.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The YAML line of a `postgres` connection to a throwaway server, its
 * password read from `${env:PG_PASSWORD}` (pass `env: { PG_PASSWORD }`).
 */
export function postgresConnection(
  server: { port: number; database: string; user: string },
  name = 'pg',
  groups = ['agents'],
): string {
  return `  - { name: ${name}, type: postgres, host: 127.0.0.1, port: ${server.port}, database: ${server.database}, user: ${server.user}, password: "\${env:PG_PASSWORD}", groups: [${groups.join(', ')}] }`;
}
