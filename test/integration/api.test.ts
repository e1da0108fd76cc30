// The gateway's HTTP surface as a client sees it: real gateway on port 0, raw
// HTTP through curl, raw WebSocket upgrades through `ws` and plain sockets.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { WebSocket } from 'ws';
import { generateApiKey, hashApiKey } from '../../src/lib/api-key.js';
import { parseConfig } from '../../src/server/config/index.js';
import { startGateway, type Gateway } from '../../src/server/gateway.js';
import { openStore, type Store } from '../../src/server/store/index.js';
import { tool } from '../helpers/tools.js';
import { startEchoServer, type TestServer } from '../helpers/echo-server.js';

const execFileAsync = promisify(execFile);

/** A valid `Sec-WebSocket-Key` (RFC 6455 §1.3's sample nonce). */
const WS_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const UPGRADE_HEADERS = {
  Connection: 'Upgrade',
  Upgrade: 'websocket',
  'Sec-WebSocket-Version': '13',
  'Sec-WebSocket-Key': WS_KEY,
};

interface Started {
  gateway: Gateway;
  url: string;
  keys: Record<string, string>;
  /** Every log line the gateway wrote, as text. */
  logs(): string;
  /** The store under the gateway (not closed by `gateway.close()` when wrapped). */
  store: Store;
  close(): Promise<void>;
}

/**
 * A real gateway from YAML, with a pino logger at `trace` writing into a
 * buffer, and optionally its store wrapped (to break it on purpose).
 */
async function start(options: {
  connections: string;
  keys: { name: string; groups: string[] }[];
  env?: NodeJS.ProcessEnv;
  wrapStore?: (store: Store) => Store;
}): Promise<Started> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hoop-api-'));
  const keys: Record<string, string> = {};
  const keyLines = options.keys.map((key) => {
    const plain = generateApiKey();
    keys[key.name] = plain;
    return `    - { name: ${key.name}, groups: [${key.groups.join(', ')}], keyHash: "${hashApiKey(plain)}" }`;
  });
  const config = parseConfig(
    [
      'listen: 127.0.0.1:0',
      `store: sqlite:${path.join(dir, 'hoop.db')}`,
      'auth:',
      '  apiKeys:',
      ...keyLines,
      'connections:',
      options.connections,
    ].join('\n'),
    { file: path.join(dir, 'hoop.yaml'), env: options.env ?? {} },
  );
  let text = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      text += chunk.toString();
      callback();
    },
  });
  const inner = await openStore(config.store);
  const store = options.wrapStore ? options.wrapStore(inner) : inner;
  const gateway = await startGateway({ config, store, logger: pino({ level: 'trace' }, sink) });
  return {
    gateway,
    url: gateway.url,
    keys,
    logs: () => text,
    store: inner,
    async close() {
      await gateway.close();
      await inner.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  json: { error?: { code?: string; message?: string; hint?: string } } & Record<string, unknown>;
}

/** One request through curl, as an operator would send it; headers lower-cased. */
async function curl(url: string, args: string[] = []): Promise<RawResponse> {
  const { stdout } = await execFileAsync(tool('curl'), [
    '-s',
    '-i',
    '--max-time',
    '10',
    ...args,
    url,
  ]);
  return parseResponse(stdout);
}

function headerArgs(headers: Record<string, string>): string[] {
  return Object.entries(headers).flatMap(([name, value]) => ['-H', `${name}: ${value}`]);
}

function bearer(token: string): string[] {
  return ['-H', `Authorization: Bearer ${token}`];
}

function parseResponse(raw: string): RawResponse {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).split('\r\n');
  const body = raw.slice(split + 4);
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head[0] ?? '')?.[1]);
  const headers: Record<string, string> = {};
  for (const line of head.slice(1)) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  let json = {};
  try {
    json = JSON.parse(body) as object;
  } catch {
    // Left empty; the assertions on `json` say what was expected.
  }
  return { status, headers, body, json };
}

/** A WebSocket upgrade through `ws`: the refusal it reports as 'unexpected-response', or 'open'. */
function wsUpgrade(
  url: string,
  token?: string,
): Promise<
  { opened: WebSocket } | { status: number; body: string; headers: Record<string, string> }
> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, {
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    });
    ws.once('open', () => resolve({ opened: ws }));
    ws.once('error', reject);
    ws.once('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => {
        ws.terminate();
        resolve({
          status: response.statusCode ?? 0,
          body,
          headers: response.headers as Record<string, string>,
        });
      });
    });
  });
}

/** Sends raw bytes and returns everything the gateway answered before closing. */
function rawExchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
    socket.setTimeout(5_000, () => {
      socket.destroy();
      reject(new Error(`no answer; got so far: ${text}`));
    });
  });
}

function tunnelUrl(base: string, name: string): string {
  return `${base.replace(/^http/, 'ws')}/api/tunnel/${name}`;
}

describe('gateway HTTP API and tunnel refusals', () => {
  let echo: TestServer;
  let gw: Started;
  /** Tokens that must never appear in the logs, whatever happened. */
  const sentTokens: string[] = [];

  before(async () => {
    echo = await startEchoServer();
    gw = await start({
      keys: [
        { name: 'agent-1', groups: ['agents'] },
        { name: 'outsider', groups: ['marketing'] },
      ],
      connections: [
        `  - { name: echo, type: tcp, host: 127.0.0.1, port: ${echo.port}, groups: [agents] }`,
        '  - { name: pg-prod, type: postgres, host: 127.0.0.1, database: app, user: app, password: "${env:PG_PW}", groups: [agents] }',
        '  - { name: my-prod, type: mysql, host: 127.0.0.1, database: app, user: app, password: "${env:PG_PW}", groups: [agents] }',
        '  - { name: api-prod, type: http, host: 127.0.0.1, groups: [agents] }',
        `  - { name: secret-echo, type: tcp, host: 127.0.0.1, port: ${echo.port}, groups: [dba] }`,
      ].join('\n'),
      env: { PG_PW: 'pg-password-never-shown' },
    });
    sentTokens.push(gw.keys['agent-1'] ?? '', gw.keys.outsider ?? '');
  });

  after(async () => {
    await gw?.close();
    await echo?.close();
  });

  describe('plain HTTP', () => {
    it('answers /healthz with 200 JSON and no token', async () => {
      const response = await curl(`${gw.url}/healthz`);
      assert.equal(response.status, 200);
      assert.match(response.headers['content-type'] ?? '', /^application\/json/);
      assert.deepEqual(response.json, { status: 'ok', store: 'ok' });
    });

    it('refuses /api/connections without a token: 401, WWW-Authenticate, HOOP_AUTH_MISSING', async () => {
      const response = await curl(`${gw.url}/api/connections`);
      assert.equal(response.status, 401);
      assert.equal(response.headers['www-authenticate'], 'Bearer realm="hoop"');
      assert.equal(response.json.error?.code, 'HOOP_AUTH_MISSING');
      assert.ok(response.json.error?.message);
      assert.ok(response.json.error?.hint);
    });

    it('refuses an unknown API key with 401 HOOP_AUTH_INVALID', async () => {
      const wrong = generateApiKey();
      sentTokens.push(wrong);
      const response = await curl(`${gw.url}/api/connections`, bearer(wrong));
      assert.equal(response.status, 401);
      // RFC 6750 §3.1: a refused token is an invalid_token.
      assert.equal(
        response.headers['www-authenticate'],
        'Bearer realm="hoop", error="invalid_token"',
      );
      assert.equal(response.json.error?.code, 'HOOP_AUTH_INVALID');
    });

    it('refuses a token no strategy recognises with 401 HOOP_AUTH_INVALID', async () => {
      sentTokens.push('not-a-hoop-token-xyz');
      const response = await curl(`${gw.url}/api/connections`, bearer('not-a-hoop-token-xyz'));
      assert.equal(response.status, 401);
      assert.equal(response.json.error?.code, 'HOOP_AUTH_INVALID');
    });

    it('refuses a non-Bearer scheme with 401', async () => {
      const key = gw.keys['agent-1'] ?? '';
      for (const header of [
        `Basic ${Buffer.from(`x:${key}`).toString('base64')}`,
        `Token ${key}`,
      ]) {
        const response = await curl(`${gw.url}/api/connections`, [
          '-H',
          `Authorization: ${header}`,
        ]);
        assert.equal(response.status, 401, header);
        assert.equal(response.json.error?.code, 'HOOP_AUTH_INVALID');
        assert.match(response.json.error?.message ?? '', /Bearer/);
      }
    });

    it('lists only the connections whose groups overlap the caller’s', async () => {
      const mine = await curl(`${gw.url}/api/connections`, bearer(gw.keys['agent-1'] ?? ''));
      assert.equal(mine.status, 200);
      assert.deepEqual(mine.json, {
        connections: [
          { name: 'api-prod', type: 'http', localPort: 8081 },
          { name: 'echo', type: 'tcp', localPort: 8999 },
          { name: 'my-prod', type: 'mysql', localPort: 3307, database: 'app' },
          { name: 'pg-prod', type: 'postgres', localPort: 5433, database: 'app' },
        ],
      });
      assert.doesNotMatch(mine.body, /pg-password-never-shown|127\.0\.0\.1/);

      const theirs = await curl(`${gw.url}/api/connections`, bearer(gw.keys.outsider ?? ''));
      assert.equal(theirs.status, 200);
      assert.deepEqual(theirs.json, { connections: [] });
    });

    it('shows one connection, matching its name without case', async () => {
      for (const name of ['pg-prod', 'PG-Prod']) {
        const response = await curl(
          `${gw.url}/api/connections/${name}`,
          bearer(gw.keys['agent-1'] ?? ''),
        );
        assert.equal(response.status, 200);
        assert.deepEqual(response.json, {
          name: 'pg-prod',
          type: 'postgres',
          localPort: 5433,
          database: 'app',
        });
      }
    });

    it('refuses a connection outside the caller’s groups with 403 HOOP_CONNECTION_FORBIDDEN', async () => {
      const response = await curl(`${gw.url}/api/connections/echo`, bearer(gw.keys.outsider ?? ''));
      assert.equal(response.status, 403);
      assert.equal(response.json.error?.code, 'HOOP_CONNECTION_FORBIDDEN');
      assert.match(response.json.error?.hint ?? '', /agents/);
    });

    it('answers an unknown connection with 404 HOOP_CONNECTION_UNKNOWN', async () => {
      const response = await curl(
        `${gw.url}/api/connections/nope`,
        bearer(gw.keys['agent-1'] ?? ''),
      );
      assert.equal(response.status, 404);
      assert.equal(response.json.error?.code, 'HOOP_CONNECTION_UNKNOWN');
      assert.match(response.json.error?.hint ?? '', /hoop connections/);
    });

    it('answers an unknown route with 404 HOOP_NOT_FOUND, token or not', async () => {
      for (const args of [[], bearer(gw.keys['agent-1'] ?? '')]) {
        const response = await curl(`${gw.url}/api/nothing-here`, args);
        assert.equal(response.status, 404);
        assert.equal(response.json.error?.code, 'HOOP_NOT_FOUND');
      }
    });

    it('refuses a method a route does not take, naming the allowed ones', async () => {
      const response = await curl(`${gw.url}/api/connections`, [
        '-X',
        'DELETE',
        ...bearer(gw.keys['agent-1'] ?? ''),
      ]);
      assert.equal(response.status, 400);
      assert.equal(response.json.error?.code, 'HOOP_BAD_REQUEST');
      assert.equal(response.headers.allow, 'GET, HEAD');
    });

    it('answers a GET on the tunnel endpoint without an upgrade with 400', async () => {
      for (const args of [[], bearer(gw.keys['agent-1'] ?? '')]) {
        const response = await curl(`${gw.url}/api/tunnel/echo`, args);
        assert.equal(response.status, 400);
        assert.equal(response.json.error?.code, 'HOOP_BAD_REQUEST');
        assert.match(response.json.error?.hint ?? '', /hoop connect/);
      }
    });

    it('answers a malformed percent-escape with 400, not 500', async () => {
      const response = await curl(
        `${gw.url}/api/connections/%E0%A4%A`,
        bearer(gw.keys['agent-1'] ?? ''),
      );
      assert.equal(response.status, 400);
      assert.equal(response.json.error?.code, 'HOOP_BAD_REQUEST');
    });

    it('regression: a request target `new URL` rejects is a 400, and the gateway stays up', async () => {
      const response = await curl(`${gw.url}/healthz`, ['--request-target', 'http://%zz/']);
      assert.equal(response.status, 400);
      assert.equal(response.json.error?.code, 'HOOP_BAD_REQUEST');
      assert.equal((await curl(`${gw.url}/healthz`)).status, 200);
    });

    it('regression: an HTTP/2 upgrade request (curl --http2) is answered in HTTP/1.1', async () => {
      const response = await curl(`${gw.url}/healthz`, ['--http2']);
      assert.equal(response.status, 200);
      assert.deepEqual(response.json, { status: 'ok', store: 'ok' });
      const listed = await curl(`${gw.url}/api/connections`, [
        '--http2',
        ...bearer(gw.keys['agent-1'] ?? ''),
      ]);
      assert.equal(listed.status, 200);
      assert.equal((listed.json.connections as unknown[]).length, 4);
    });

    it('answers bytes that are not HTTP with a JSON 400', async () => {
      const text = await rawExchange(gw.gateway.address.port, 'HELLO THERE\r\n\r\n');
      const response = parseResponse(text);
      assert.equal(response.status, 400);
      assert.equal(response.json.error?.code, 'HOOP_BAD_REQUEST');
    });
  });

  describe('WebSocket upgrade at /api/tunnel/NAME', () => {
    const refusals: {
      what: string;
      token?: () => string;
      name: string;
      status: number;
      code: string;
    }[] = [
      { what: 'no token', name: 'echo', status: 401, code: 'HOOP_AUTH_MISSING' },
      {
        what: 'an unknown API key',
        token: () => 'hoop_unknownkeyunknownkeyunknownkeyunknownkey0',
        name: 'echo',
        status: 401,
        code: 'HOOP_AUTH_INVALID',
      },
      {
        what: 'groups that do not overlap',
        token: () => gw.keys.outsider ?? '',
        name: 'echo',
        status: 403,
        code: 'HOOP_CONNECTION_FORBIDDEN',
      },
      {
        what: 'an unknown connection',
        token: () => gw.keys['agent-1'] ?? '',
        name: 'nope',
        status: 404,
        code: 'HOOP_CONNECTION_UNKNOWN',
      },
      {
        what: 'a type with no handler yet (http)',
        token: () => gw.keys['agent-1'] ?? '',
        name: 'api-prod',
        status: 501,
        code: 'HOOP_PROTOCOL_UNSUPPORTED',
      },
    ];

    for (const refusal of refusals) {
      it(`refuses ${refusal.what} before the upgrade: ${refusal.status} ${refusal.code}`, async () => {
        const token = refusal.token?.();
        if (token) sentTokens.push(token);
        const before = (await gw.store.listSessions()).length;

        // As curl sends it.
        const viaCurl = await curl(tunnelUrl(gw.url, refusal.name).replace(/^ws/, 'http'), [
          ...headerArgs(UPGRADE_HEADERS),
          ...(token ? bearer(token) : []),
        ]);
        assert.equal(viaCurl.status, refusal.status);
        assert.match(viaCurl.headers['content-type'] ?? '', /^application\/json/);
        assert.equal(viaCurl.headers.connection, 'close');
        assert.equal(viaCurl.json.error?.code, refusal.code);
        assert.ok(viaCurl.json.error?.message);
        if (refusal.status === 401) {
          assert.match(viaCurl.headers['www-authenticate'] ?? '', /^Bearer realm="hoop"/);
        }

        // As a WebSocket client library sees it.
        const viaWs = await wsUpgrade(tunnelUrl(gw.url, refusal.name), token);
        assert.ok('status' in viaWs, 'the upgrade must be refused');
        assert.equal(viaWs.status, refusal.status);
        assert.equal(
          (JSON.parse(viaWs.body) as { error: { code: string } }).error.code,
          refusal.code,
        );

        assert.equal((await gw.store.listSessions()).length, before, 'no session recorded');
      });
    }

    it('refuses an upgrade with a bad Sec-WebSocket-Key with 400 JSON and records nothing', async () => {
      const before = (await gw.store.listSessions()).length;
      const response = await curl(`${gw.url}/api/tunnel/echo`, [
        ...headerArgs({ ...UPGRADE_HEADERS, 'Sec-WebSocket-Key': 'too-short' }),
        ...bearer(gw.keys['agent-1'] ?? ''),
      ]);
      assert.equal(response.status, 400);
      assert.equal(response.json.error?.code, 'HOOP_BAD_REQUEST');
      assert.match(response.json.error?.message ?? '', /WebSocket/);
      assert.equal((await gw.store.listSessions()).length, before);
    });

    it('refuses an upgrade to another protocol on the tunnel path with 400', async () => {
      const response = await curl(`${gw.url}/api/tunnel/echo`, [
        ...headerArgs({ Connection: 'Upgrade', Upgrade: 'h2c' }),
        ...bearer(gw.keys['agent-1'] ?? ''),
      ]);
      assert.equal(response.status, 400);
      assert.equal(response.json.error?.code, 'HOOP_BAD_REQUEST');
    });

    it('accepts an allowed caller, relays bytes and records the session', async () => {
      const result = await wsUpgrade(tunnelUrl(gw.url, 'echo'), gw.keys['agent-1']);
      assert.ok('opened' in result, `expected an upgrade, got ${JSON.stringify(result)}`);
      const ws = result.opened;
      const echoed = new Promise<Buffer>((resolve) =>
        ws.once('message', (data: Buffer) => resolve(data)),
      );
      ws.send(Buffer.from('ping'), { binary: true });
      assert.equal((await echoed).toString(), 'ping');
      const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
      ws.close(1000, 'done');
      await closed;

      const session = await waitFor(async () => {
        const [latest] = await gw.store.listSessions({ connection: 'echo' });
        return latest?.endedAt ? latest : undefined;
      });
      assert.equal(session.subject, 'apikey:agent-1');
      assert.equal(session.connectionType, 'tcp');
      assert.equal(session.bytesUp, 4);
    });

    it('answers an upgrade on a path that is not a tunnel like a plain request', async () => {
      const response = await curl(`${gw.url}/healthz`, headerArgs(UPGRADE_HEADERS));
      assert.equal(response.status, 200);
      assert.deepEqual(response.json, { status: 'ok', store: 'ok' });
    });
  });

  it('never logs a token, and logs refusals with their code', () => {
    const logs = gw.logs();
    assert.match(logs, /"event":"tunnel_refused"/);
    assert.match(logs, /"code":"HOOP_AUTH_INVALID"/);
    for (const token of sentTokens) {
      assert.ok(token.length > 8);
      assert.ok(!logs.includes(token), 'a token appears in the gateway log');
    }
    assert.ok(!logs.includes('pg-password-never-shown'), 'a secret appears in the gateway log');
  });
});

describe('gateway with a store that cannot record (fail closed)', () => {
  let echo: TestServer;
  before(async () => {
    echo = await startEchoServer();
  });
  after(async () => echo?.close());

  const connections = () =>
    `  - { name: echo, type: tcp, host: 127.0.0.1, port: ${echo.port}, groups: [agents] }`;

  it('refuses the upgrade with 503 HOOP_STORE_UNAVAILABLE when a session cannot be recorded', async () => {
    const gw = await start({
      keys: [{ name: 'agent-1', groups: ['agents'] }],
      connections: connections(),
      wrapStore: (store) => ({
        ...store,
        startSession: async () => {
          throw new Error('disk I/O error');
        },
      }),
    });
    try {
      const response = await curl(`${gw.url}/api/tunnel/echo`, [
        ...headerArgs(UPGRADE_HEADERS),
        ...bearer(gw.keys['agent-1'] ?? ''),
      ]);
      assert.equal(response.status, 503);
      assert.equal(response.json.error?.code, 'HOOP_STORE_UNAVAILABLE');
      assert.equal(echo.sockets.size, 0, 'the target was never dialled');

      const viaWs = await wsUpgrade(tunnelUrl(gw.url, 'echo'), gw.keys['agent-1']);
      assert.ok('status' in viaWs);
      assert.equal(viaWs.status, 503);
      assert.ok(!gw.logs().includes(gw.keys['agent-1'] ?? '-'));
    } finally {
      await gw.close();
    }
  });

  it('answers 503 on /healthz and on upgrades once the store is closed under it', async () => {
    const gw = await start({
      keys: [{ name: 'agent-1', groups: ['agents'] }],
      connections: connections(),
    });
    try {
      assert.equal((await curl(`${gw.url}/healthz`)).status, 200);
      await gw.store.close();

      const health = await curl(`${gw.url}/healthz`);
      assert.equal(health.status, 503);
      assert.equal(health.json.status, 'unavailable');
      assert.equal(health.json.error?.code, 'HOOP_STORE_UNAVAILABLE');

      const response = await curl(`${gw.url}/api/tunnel/echo`, [
        ...headerArgs(UPGRADE_HEADERS),
        ...bearer(gw.keys['agent-1'] ?? ''),
      ]);
      assert.equal(response.status, 503);
      assert.equal(response.json.error?.code, 'HOOP_STORE_UNAVAILABLE');

      // The API that needs no store still answers.
      const listed = await curl(`${gw.url}/api/connections`, bearer(gw.keys['agent-1'] ?? ''));
      assert.equal(listed.status, 200);
    } finally {
      await gw.close();
    }
  });

  it('regression: a client that leaves while its session is being recorded does not leave it open', async () => {
    let release: () => void = () => {};
    let entered: () => void = () => {};
    const recording = new Promise<void>((resolve) => (entered = resolve));
    const gw = await start({
      keys: [{ name: 'agent-1', groups: ['agents'] }],
      connections: connections(),
      wrapStore: (store) => ({
        ...store,
        startSession: async (session) => {
          entered();
          await new Promise<void>((resolve) => (release = resolve));
          await store.startSession(session);
        },
      }),
    });
    try {
      const socket = net.connect(gw.gateway.address.port, '127.0.0.1');
      socket.on('error', () => {});
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      socket.write(
        [
          'GET /api/tunnel/echo HTTP/1.1',
          'Host: gateway',
          ...Object.entries(UPGRADE_HEADERS).map(([name, value]) => `${name}: ${value}`),
          `Authorization: Bearer ${gw.keys['agent-1']}`,
          '',
          '',
        ].join('\r\n'),
      );
      await recording;
      // A reset, so the gateway's socket is destroyed at once (a FIN on a paused socket goes unread).
      socket.resetAndDestroy();
      await sleep(100);
      release();

      const session = await waitFor(async () => {
        const [only] = await gw.store.listSessions();
        return only?.endedAt ? only : undefined;
      });
      assert.equal(session.closeReason, 'client_vanished');
      assert.equal(gw.gateway.activeSessions, 0);
    } finally {
      await gw.close();
    }
  });
});

describe('gateway start-up', () => {
  it('fails with a located error when the port is taken, and closes the store it opened', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    const dir = await mkdtemp(path.join(os.tmpdir(), 'hoop-api-'));
    try {
      const config = parseConfig(
        `listen: 127.0.0.1:${port}\nstore: sqlite:${path.join(dir, 'hoop.db')}\n`,
        { file: path.join(dir, 'hoop.yaml') },
      );
      await assert.rejects(startGateway({ config, logger: pino({ level: 'silent' }) }), {
        code: 'HOOP_CONFIG_INVALID',
        message: new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: the port is already in use`),
      });
      // A closed SQLite store in WAL mode leaves no -wal file behind.
      assert.deepEqual(
        (await readdir(dir)).filter((name) => name.endsWith('-wal')),
        [],
      );
    } finally {
      blocker.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** Polls until `check` returns a value (the gateway records session ends asynchronously). */
async function waitFor<T>(check: () => Promise<T | undefined>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting for a condition');
    await sleep(20);
  }
}
