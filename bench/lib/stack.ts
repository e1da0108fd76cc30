import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateApiKey, hashApiKey } from '../../src/lib/api-key.js';
import { spawnHoop, spawnNode, type NodeProcess } from './children.js';

export interface StackOptions {
  /** A fresh directory for the config, the SQLite store and the CLI's state. */
  dir: string;
  /** Connection name → target port on 127.0.0.1; each becomes a `type: tcp` connection. */
  targets: Record<string, number>;
  /** The config's `tunnel:` settings (`maxBufferedBytes`, …); the gateway's defaults when absent. */
  tunnel?: Record<string, string | number>;
}

export interface Stack {
  gateway: NodeProcess;
  /** `http://127.0.0.1:PORT` of the gateway. */
  url: string;
  /** Starts `hoop connect NAME --port 0` and resolves with its local port once it prints `Forwarding`. */
  connect(name: string): Promise<{ cli: NodeProcess; port: number }>;
  /** Stops every `hoop connect`, then the gateway. */
  close(): Promise<void>;
}

/**
 * A real gateway (`hoop server --config FILE`) in its own process, configured
 * through the YAML loader like a deployment, with one API key and a `tcp`
 * connection per target. Everything listens on 127.0.0.1 port 0.
 */
export async function startStack(options: StackOptions): Promise<Stack> {
  const { dir } = options;
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
      `    - { name: bench, groups: [bench], keyHash: "${hashApiKey(token)}" }`,
      'connections:',
      ...Object.entries(options.targets).map(
        ([name, port]) =>
          `  - { name: ${name}, type: tcp, host: 127.0.0.1, port: ${port}, groups: [bench] }`,
      ),
      ...(options.tunnel && Object.keys(options.tunnel).length > 0
        ? ['tunnel:', ...Object.entries(options.tunnel).map(([key, value]) => `  ${key}: ${value}`)]
        : []),
      '',
    ].join('\n'),
  );
  const gateway = spawnHoop('hoop server', ['server', '--config', config], {});
  const match = await gateway.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
  const url = match[1] ?? '';
  const clis: NodeProcess[] = [];

  return {
    gateway,
    url,
    async connect(name) {
      const cli = spawnHoop(`hoop connect ${name}`, ['connect', name, '--port', '0'], {
        HOOP_GATEWAY: url,
        HOOP_TOKEN: token,
        HOOP_CONFIG_DIR: path.join(dir, 'cli'),
      });
      clis.push(cli);
      const forwarding = await cli.waitFor(/Forwarding 127\.0\.0\.1:(\d+)/);
      return { cli, port: Number(forwarding[1]) };
    },
    async close() {
      await Promise.all(clis.map((cli) => cli.stop()));
      await gateway.stop();
    },
  };
}

const PLAIN_RELAY = fileURLToPath(new URL('./plain-relay.ts', import.meta.url));

/**
 * Two plain relays chained in front of `targetPort`, standing where
 * `hoop connect` and the gateway stand. Resolves with the first one's port.
 */
export async function startPlainRelays(targetPort: number): Promise<{
  port: number;
  /** In the CLI's position (the client connects to it). */
  near: NodeProcess;
  /** In the gateway's position (it connects to the target). */
  far: NodeProcess;
  close(): Promise<void>;
}> {
  const start = async (label: string, port: number) => {
    const relay = spawnNode(label, ['--import', 'tsx', PLAIN_RELAY, String(port)]);
    const match = await relay.waitFor(/listening on (\d+)/);
    return { relay, port: Number(match[1]) };
  };
  const far = await start('plain relay (gateway position)', targetPort);
  const near = await start('plain relay (CLI position)', far.port);
  return {
    port: near.port,
    near: near.relay,
    far: far.relay,
    close: async () => {
      await Promise.all([near.relay.stop(), far.relay.stop()]);
    },
  };
}
