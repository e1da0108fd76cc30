import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateApiKey, hashApiKey } from '../../src/lib/api-key.js';
import { spawnHoop, type NodeProcess } from './children.js';

export interface CompatStack {
  /** The local port `hoop connect` listens on. */
  port: number;
  close(): Promise<void>;
}

/**
 * A real gateway (`hoop server`) with one `postgres` connection, `pg`, to
 * `target`, whose only rule allows the caller everything (a peer suite
 * checks the protocol, not a policy), and a `hoop connect pg` (local TLS on) in
 * front of it. The target's password stays in the gateway's environment;
 * clients connect without one.
 */
export async function startCompatStack(options: {
  dir: string;
  target: { port: number; user: string; password: string; database: string };
  /** `hoop connect` flags besides the port (e.g. `--no-tls`); none by default. */
  connectArgs?: string[];
}): Promise<CompatStack> {
  const { dir, target } = options;
  mkdirSync(path.join(dir, 'cli'), { recursive: true });
  const token = generateApiKey();
  const config = path.join(dir, 'hoop.yaml');
  writeFileSync(
    config,
    [
      'listen: 127.0.0.1:0',
      `store: sqlite:${path.join(dir, 'hoop.db')}`,
      'log: { level: warn }',
      'auth:',
      '  apiKeys:',
      `    - { name: compat, groups: [compat], keyHash: "${hashApiKey(token)}" }`,
      'connections:',
      `  - { name: pg, type: postgres, host: 127.0.0.1, port: ${target.port}, ` +
        `database: ${target.database}, user: ${target.user}, password: "\${env:HOOP_COMPAT_PG_PASSWORD}", groups: [compat] }`,
      'policy:',
      '  - name: compat',
      '    match: { groups: [compat] }',
      '    effect: allow',
      '',
    ].join('\n'),
  );
  const gateway = spawnHoop('hoop server', ['server', '--config', config], {
    HOOP_COMPAT_PG_PASSWORD: target.password,
  });
  const match = await gateway.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
  const cli: NodeProcess = spawnHoop(
    'hoop connect pg',
    ['connect', 'pg', '--port', '0', ...(options.connectArgs ?? [])],
    {
      HOOP_GATEWAY: match[1] ?? '',
      HOOP_TOKEN: token,
      HOOP_CONFIG_DIR: path.join(dir, 'cli'),
      HOOP_TOKEN_STORE: 'file',
    },
  );
  const forwarding = await cli.waitFor(/Forwarding 127\.0\.0\.1:(\d+)/);
  return {
    port: Number(forwarding[1]),
    async close() {
      await cli.stop();
      await gateway.stop();
    },
  };
}
