import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateApiKey, hashApiKey } from '../../src/lib/api-key.js';
import { spawnHoop, type NodeProcess } from './children.js';

/** The bench's connections to one PostgreSQL: same target, different policy. */
export const PLAIN = 'pg';
export const MASKED = 'pg-masked';
/** A `tcp` connection to the same server: the plain two-hop relay, as a reference for the relay's own cost. */
export const RELAY = 'pg-relay';

export interface PgStackOptions {
  /** A fresh directory for the config, the SQLite store and the CLI's state. */
  dir: string;
  target: { port: number; user: string; password: string; database: string };
  /** The column of `table` the mask rule on {@link MASKED} names. */
  maskedColumn: string;
}

export interface PgStack {
  gateway: NodeProcess;
  /** `http://127.0.0.1:PORT` of the gateway. */
  url: string;
  /** What `hoop exec` and `hoop connect` need in their environment. */
  cliEnv: NodeJS.ProcessEnv;
  /** Starts `hoop connect NAME --port 0` and resolves with its local port once it prints `Forwarding`. */
  connect(name: string): Promise<{ cli: NodeProcess; port: number }>;
  /** Stops every `hoop connect`, then the gateway. */
  close(): Promise<void>;
}

/**
 * A real gateway (`hoop server --config FILE`) in its own process with three
 * connections to the same server: {@link PLAIN} (`postgres`), where the bench
 * key's group is simply allowed, {@link MASKED} (`postgres`), where a mask rule names
 * one column and turns on the detectors, so every row is inspected; and
 * {@link RELAY}, a `tcp` connection that relays bytes unread. A deny
 * rule for drops is always present, as in a real deployment, so each
 * statement is classified. The target's password stays in the config's
 * environment; clients connect without one.
 */
export async function startPgStack(options: PgStackOptions): Promise<PgStack> {
  const { dir, target } = options;
  mkdirSync(path.join(dir, 'cli'), { recursive: true });
  const token = generateApiKey();
  const config = path.join(dir, 'hoop.yaml');
  const connection = (name: string): string =>
    `  - { name: ${name}, type: postgres, host: 127.0.0.1, port: ${target.port}, ` +
    `database: ${target.database}, user: ${target.user}, password: "\${env:HOOP_BENCH_PG_PASSWORD}", groups: [bench] }`;
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
      connection(PLAIN),
      connection(MASKED),
      `  - { name: ${RELAY}, type: tcp, host: 127.0.0.1, port: ${target.port}, groups: [bench] }`,
      'policy:',
      '  - name: no-drops',
      '    match: { statements: [drop] }',
      '    effect: deny',
      '  - name: bench-pii',
      `    match: { connections: [${MASKED}], groups: [bench] }`,
      '    effect: mask',
      '    mask:',
      `      columns: ["${options.maskedColumn}"]`,
      '      detectors: [email, credit_card, phone]',
      '  - name: bench',
      '    match: { groups: [bench] }',
      '    effect: allow',
      '',
    ].join('\n'),
  );
  const gateway = spawnHoop('hoop server', ['server', '--config', config], {
    HOOP_BENCH_PG_PASSWORD: target.password,
  });
  const match = await gateway.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
  const url = match[1] ?? '';
  const cliEnv = {
    HOOP_GATEWAY: url,
    HOOP_TOKEN: token,
    HOOP_CONFIG_DIR: path.join(dir, 'cli'),
    HOOP_TOKEN_STORE: 'file',
  };
  const clis: NodeProcess[] = [];

  return {
    gateway,
    url,
    cliEnv,
    async connect(name) {
      // --no-tls: the direct path these figures are compared with is plaintext too.
      const cli = spawnHoop(
        `hoop connect ${name}`,
        ['connect', name, '--port', '0', '--no-tls'],
        cliEnv,
      );
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
