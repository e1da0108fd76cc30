import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generateApiKey, hashApiKey } from '../../src/lib/api-key.js';
import { parseConfig, type GatewayConfig } from '../../src/server/config/index.js';
import { startGateway, type Gateway } from '../../src/server/gateway.js';
import { createLogger } from '../../src/server/logger.js';

export interface TestKey {
  name: string;
  groups: string[];
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
 */
export async function startTestGateway(options: {
  connections: string;
  keys?: TestKey[];
  tunnel?: string;
  env?: NodeJS.ProcessEnv;
}): Promise<TestGateway> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hoop-test-'));
  const keys: Record<string, string> = {};
  const keyLines = (options.keys ?? [{ name: 'agent-1', groups: ['agents'] }]).map((key) => {
    keys[key.name] = generateApiKey();
    return `    - { name: ${key.name}, groups: [${key.groups.join(', ')}], keyHash: "${hashApiKey(keys[key.name] ?? '')}" }`;
  });
  const text = [
    'listen: 127.0.0.1:0',
    `store: sqlite:${path.join(dir, 'hoop.db')}`,
    'log: { level: silent }',
    'auth:',
    '  apiKeys:',
    ...keyLines,
    'connections:',
    options.connections,
    ...(options.tunnel ? ['tunnel:', options.tunnel] : []),
  ].join('\n');
  const config = parseConfig(text, {
    file: path.join(dir, 'hoop.yaml'),
    env: { ...process.env, ...options.env },
  });
  const gateway = await startGateway({
    config,
    logger: createLogger(process.env.HOOP_TEST_LOG ?? 'silent'),
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
