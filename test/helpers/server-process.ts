import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { hashApiKey } from '../../src/lib/api-key.js';
import { spawnHoop, type RunningHoop } from './cli.js';
import type { PgInstance } from './postgres.js';

/** Where a `hoop server` process of {@link writeServerConfig} keeps its files. */
export interface ServerFiles {
  dir: string;
  /** The SQLite store (its journal and lock files sit beside it). */
  db: string;
  configFile: string;
}

/**
 * A config for a real `hoop server` process on a file store, for tests that
 * kill, restart or double-start the gateway: the API key `agent-1` (`key`)
 * in group `agents`, allowed everything on the connection `pg` to `postgres`.
 */
export async function writeServerConfig(
  postgres: PgInstance,
  key: string,
  prefix: string,
): Promise<ServerFiles> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  const db = path.join(dir, 'hoop.db');
  const configFile = path.join(dir, 'hoop.yaml');
  await writeFile(
    configFile,
    [
      'listen: 127.0.0.1:0',
      `store: sqlite:${db}`,
      'log: { level: warn }',
      'auth:',
      '  apiKeys:',
      `    - { name: agent-1, groups: [agents], keyHash: "${hashApiKey(key)}" }`,
      'connections:',
      `  - { name: pg, type: postgres, host: 127.0.0.1, port: ${postgres.port}, database: ${postgres.database}, user: ${postgres.user}, password: "\${env:PG_PASSWORD}", groups: [agents] }`,
      'policy:',
      '  - { name: agents, match: { groups: [agents] }, effect: allow }',
    ].join('\n'),
  );
  return { dir, db, configFile };
}

/** Starts `hoop server --config configFile` and waits until it prints where it listens. */
export async function startServerProcess(
  configFile: string,
  postgres: PgInstance,
): Promise<{ running: RunningHoop; url: string }> {
  const running = spawnHoop(['server', '--config', configFile], {
    PG_PASSWORD: postgres.password,
  });
  const [, url] = await running.waitFor(/listening on (http:\/\/\S+)/, 30_000);
  return { running, url: url! };
}
