// `hoop server --config FILE` as a child process (run `npm run build` first):
// it starts from a valid file and stops cleanly on a signal; a bad file is
// refused at start with its place named, and nothing is left running or half-made.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { WebSocket } from 'ws';
import { generateApiKey, hashApiKey } from '../../src/lib/api-key.js';
import { runHoop, spawnHoop } from '../helpers/cli.js';
import { startEchoServer } from '../helpers/echo-server.js';
import { freePort } from '../helpers/ports.js';

let dir: string;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'hoop-server-'));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes a config into its own directory and returns its path. */
async function writeConfig(name: string, lines: string[]): Promise<string> {
  const sub = path.join(dir, name);
  await rm(sub, { recursive: true, force: true });
  await mkdir(sub, { recursive: true });
  const file = path.join(sub, 'hoop.yaml');
  await writeFile(file, `${lines.join('\n')}\n`);
  return file;
}

/** Resolves true when something accepts TCP connections on the port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('hoop server with a valid config', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`prints where it listens, answers /healthz, and exits 0 on ${signal} with the store closed`, async () => {
      const file = await writeConfig(`valid-${signal}`, [
        'listen: 127.0.0.1:0',
        'store: sqlite:./data/hoop.db', // relative to the config file, not the working directory
        'connections:',
        '  - name: pg-prod',
        '    type: postgres',
        '    host: 127.0.0.1',
        '    password: ${env:HOOP_TEST_PG_PASSWORD}',
        '    groups: [engineering]',
      ]);
      const running = spawnHoop(['server', '--config', file], {
        HOOP_TEST_PG_PASSWORD: 'secret-from-env',
      });
      let code: number | null;
      try {
        const [, url] = await running.waitFor(/hoop gateway listening on (http:\/\/\S+)/);
        const response = await fetch(`${url}/healthz`);
        assert.equal(response.status, 200);
        assert.deepEqual(await response.json(), { status: 'ok', store: 'ok' });
        // Structured logs on stderr, stdout kept for the address.
        assert.match(running.output().stderr, /"event":"gateway_listening"/);
      } finally {
        code = await running.stop(signal);
      }
      const { stderr } = running.output();
      assert.equal(code, 0, stderr);
      assert.match(stderr, new RegExp(`${signal}: ending sessions`));
      assert.doesNotMatch(stderr, /secret-from-env/);
      const data = path.join(path.dirname(file), 'data');
      assert.ok(existsSync(path.join(data, 'hoop.db')), 'the store is next to the config file');
      // SQLite removes its WAL file when the last connection closes cleanly.
      assert.deepEqual(
        (await readdir(data)).filter((name) => name.endsWith('-wal') || name.endsWith('-shm')),
        [],
      );
    });
  }
});

describe('hoop server shutting down with a tunnel open', () => {
  it('closes the tunnel as gateway_shutdown, records it, and exits 0', async () => {
    const echo = await startEchoServer();
    const key = generateApiKey();
    const file = await writeConfig('open-tunnel', [
      'listen: 127.0.0.1:0',
      'store: sqlite:./data/hoop.db',
      'auth:',
      '  apiKeys:',
      `    - { name: agent-1, groups: [agents], keyHash: "${hashApiKey(key)}" }`,
      'connections:',
      `  - { name: echo, type: tcp, host: 127.0.0.1, port: ${echo.port}, groups: [agents] }`,
    ]);
    const running = spawnHoop(['server', '--config', file]);
    try {
      const [, url] = await running.waitFor(/hoop gateway listening on (http:\/\/\S+)/);
      const ws = new WebSocket(`${url?.replace(/^http/, 'ws')}/api/tunnel/echo`, {
        headers: { authorization: `Bearer ${key}` },
      });
      await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
      const closed = new Promise<[number, string]>((resolve) =>
        ws.once('close', (code: number, reason: Buffer) => resolve([code, reason.toString()])),
      );
      assert.equal(await running.stop('SIGTERM'), 0, running.output().stderr);
      const [code, reason] = await closed;
      assert.equal(code, 1001);
      assert.match(reason, /^gateway_shutdown(:|$)/);
    } finally {
      await running.stop();
      await echo.close();
    }
    const db = new Database(path.join(path.dirname(file), 'data', 'hoop.db'), { readonly: true });
    try {
      const rows = db.prepare('SELECT subject, close_reason, ended_at FROM sessions').all() as {
        subject: string;
        close_reason: string;
        ended_at: string | null;
      }[];
      assert.equal(rows.length, 1);
      assert.equal(rows[0]?.subject, 'apikey:agent-1');
      assert.equal(rows[0]?.close_reason, 'gateway_shutdown');
      assert.ok(rows[0]?.ended_at);
    } finally {
      db.close();
    }
    assert.doesNotMatch(running.output().stderr, new RegExp(key));
  });
});

describe('hoop server refuses a bad config at start', () => {
  const cases: {
    what: string;
    lines: (port: number) => string[];
    /** `line:column: key: message` expected after the file name. */
    located: RegExp;
    never?: RegExp;
  }[] = [
    {
      what: 'an unknown key',
      lines: (port) => [
        `listen: 127.0.0.1:${port}`,
        'store: sqlite:./data/hoop.db',
        'conections: []',
      ],
      located: /:3:1: conections: unknown key, did you mean `connections`\?/,
    },
    {
      what: 'a bad type',
      lines: (port) => [
        `listen: 127.0.0.1:${port}`,
        'store: sqlite:./data/hoop.db',
        'connections:',
        '  - name: echo',
        '    type: tcp',
        '    host: 127.0.0.1',
        '    port: abc',
        '    groups: [agents]',
      ],
      located: /:7:5: connections\[0\]\.port: expected a number from 1 to 65535, got "abc"/,
    },
    {
      what: 'a missing ${env:…} secret',
      lines: (port) => [
        `listen: 127.0.0.1:${port}`,
        'store: sqlite:./data/hoop.db',
        'connections:',
        '  - name: pg-prod',
        '    type: postgres',
        '    host: 127.0.0.1',
        '    password: ${env:HOOP_TEST_UNSET_PASSWORD}',
        '    groups: [engineering]',
      ],
      located:
        /:7:5: connections\[0\]\.password: environment variable HOOP_TEST_UNSET_PASSWORD is not set/,
    },
    {
      what: 'a literal password',
      lines: (port) => [
        `listen: 127.0.0.1:${port}`,
        'store: sqlite:./data/hoop.db',
        'connections:',
        '  - name: pg-prod',
        '    type: postgres',
        '    host: 127.0.0.1',
        '    password: hunter2-literal',
        '    groups: [engineering]',
      ],
      located:
        /:7:5: connections\[0\]\.password: a secret must not be written in the file; use password: \$\{env:PG_PROD_PASSWORD\}/,
      never: /hunter2-literal/,
    },
    {
      what: 'a YAML syntax error',
      lines: (port) => [
        `listen: 127.0.0.1:${port}`,
        'store: sqlite:./data/hoop.db',
        'connections: [',
        '  { name: a',
      ],
      located: /:\d+:\d+: YAML syntax error/,
    },
  ];

  for (const testCase of cases) {
    it(`exits 2 for ${testCase.what}, naming file:line:col and key, with nothing started`, async () => {
      const port = await freePort();
      const file = await writeConfig(testCase.what.replace(/\W+/g, '-'), testCase.lines(port));
      const result = await runHoop(['server', '--config', file]);
      assert.equal(result.code, 2, JSON.stringify(result));
      assert.match(result.stderr, new RegExp(`^Error: ${escape(file)}:`));
      assert.match(result.stderr, testCase.located);
      if (testCase.never) assert.doesNotMatch(result.stderr, testCase.never);
      assert.doesNotMatch(result.stdout, /listening/);
      assert.equal(await listening(port), false, 'the port was bound');
      assert.equal(
        existsSync(path.join(path.dirname(file), 'data')),
        false,
        'the store was created',
      );
    });
  }

  it('exits 2 for a missing config file, naming the path', async () => {
    const file = path.join(dir, 'no-such-dir', 'hoop.yaml');
    const result = await runHoop(['server', '--config', file]);
    assert.equal(result.code, 2, JSON.stringify(result));
    assert.match(
      result.stderr,
      new RegExp(`^Error: ${escape(file)}: cannot read the config file: it does not exist`),
    );
    assert.match(result.stderr, /--config FILE/);
  });

  it('exits 2 when the listen port is taken, naming the address and the file', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const file = await writeConfig('port-taken', [
        `listen: 127.0.0.1:${port}`,
        'store: sqlite:./data/hoop.db',
      ]);
      const result = await runHoop(['server', '--config', file]);
      assert.equal(result.code, 2, JSON.stringify(result));
      assert.match(
        result.stderr,
        new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: the port is already in use`),
      );
      assert.match(result.stderr, new RegExp(`Change \`listen\` in ${escape(file)}`));
      assert.doesNotMatch(result.stdout, /listening/);
    } finally {
      blocker.close();
    }
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
