// The built `hoop` binary (run `npm run build` first) against a real gateway:
// output formats, exit codes (DESIGN.md) and the one line of advice on stderr.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HOOP_BIN, runHoop, spawnHoop, type CliResult } from '../helpers/cli.js';
import { startEchoServer, type TestServer } from '../helpers/echo-server.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { freePort } from '../helpers/ports.js';

/**
 * A failure as DESIGN.md wants it: the exit code, nothing on stdout, and on
 * stderr exactly `Error: …` then one line saying what to do.
 */
function assertFailure(result: CliResult, exit: number, message: RegExp, advice?: RegExp): void {
  const context = JSON.stringify(result);
  assert.equal(result.code, exit, context);
  assert.equal(result.stdout, '', context);
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 2, `expected an error line and an advice line: ${context}`);
  assert.match(lines[0] ?? '', /^Error: /);
  assert.match(lines[0] ?? '', message);
  assert.ok((lines[1] ?? '').length > 10, context);
  if (advice) assert.match(lines[1] ?? '', advice);
}

describe('hoop CLI against a gateway', () => {
  let echo: TestServer;
  let gw: TestGateway;
  let closedUrl: string;
  let env: (identity?: string) => NodeJS.ProcessEnv;

  before(async () => {
    echo = await startEchoServer();
    gw = await startTestGateway({
      keys: [
        { name: 'agent-1', groups: ['agents'] },
        { name: 'outsider', groups: ['marketing'] },
      ],
      connections: [
        `  - { name: echo, type: tcp, host: 127.0.0.1, port: ${echo.port}, groups: [agents] }`,
        '  - { name: pg-prod, type: postgres, host: 127.0.0.1, database: app, groups: [agents, dba] }',
        `  - { name: secret-echo, type: tcp, host: 127.0.0.1, port: ${echo.port}, groups: [dba] }`,
      ].join('\n'),
    });
    closedUrl = `http://127.0.0.1:${await freePort()}`;
    env = (identity = 'agent-1') => ({
      HOOP_GATEWAY: gw.url,
      HOOP_TOKEN: gw.keys[identity] ?? '',
    });
  });

  after(async () => {
    await gw?.close();
    await echo?.close();
  });

  describe('hoop connections', () => {
    it('prints an aligned table of the caller’s connections', async () => {
      const result = await runHoop(['connections'], env());
      assert.equal(result.code, 0, result.stderr);
      assert.equal(
        result.stdout,
        [
          'NAME     TYPE      LOCAL PORT',
          'echo     tcp       8999',
          'pg-prod  postgres  5433',
          '',
        ].join('\n'),
      );
    });

    it('prints JSON with --json: name, type, localPort, and database when set', async () => {
      const result = await runHoop(['connections', '--json'], env());
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(JSON.parse(result.stdout), [
        { name: 'echo', type: 'tcp', localPort: 8999 },
        { name: 'pg-prod', type: 'postgres', localPort: 5433, database: 'app' },
      ]);
    });

    it('says so on stderr when no connection is open to the caller, and exits 0', async () => {
      const table = await runHoop(['connections'], env('outsider'));
      assert.equal(table.code, 0);
      assert.equal(table.stdout, '');
      assert.match(table.stderr, /No connections/);

      const json = await runHoop(['connections', '--json'], env('outsider'));
      assert.equal(json.code, 0);
      assert.deepEqual(JSON.parse(json.stdout), []);
    });

    it('exits 5 without HOOP_TOKEN, advising how to log in', async () => {
      const result = await runHoop(['connections'], { HOOP_GATEWAY: gw.url });
      assertFailure(result, 5, /not logged in/, /HOOP_TOKEN/);
    });

    it('exits 5 with a wrong token', async () => {
      for (const token of ['hoop_wrongwrongwrongwrongwrongwrongwrongwrong00', 'garbage']) {
        const result = await runHoop(['connections'], { HOOP_GATEWAY: gw.url, HOOP_TOKEN: token });
        assertFailure(result, 5, /not known|not a valid/, /HOOP_TOKEN|hoop login/);
        assert.ok(!result.stderr.includes(token), 'the token is echoed back');
      }
    });

    it('exits 6 when the gateway cannot be reached, naming the URL', async () => {
      const result = await runHoop(['connections'], { ...env(), HOOP_GATEWAY: closedUrl });
      assertFailure(
        result,
        6,
        new RegExp(`cannot reach the gateway at ${closedUrl}: connection refused`),
        /gateway is running/,
      );
    });

    it('lets --gateway override HOOP_GATEWAY', async () => {
      const overridden = await runHoop(['connections', '--gateway', gw.url], {
        ...env(),
        HOOP_GATEWAY: closedUrl,
      });
      assert.equal(overridden.code, 0, overridden.stderr);
      assert.match(overridden.stdout, /^echo/m);

      const the_other_way = await runHoop(['connections', '--gateway', closedUrl], env());
      assertFailure(the_other_way, 6, new RegExp(closedUrl));
    });

    it('exits 2 for a gateway URL that is not http(s), naming where it came from', async () => {
      const fromEnv = await runHoop(['connections'], { ...env(), HOOP_GATEWAY: 'localhost:8009' });
      assertFailure(fromEnv, 2, /HOOP_GATEWAY is not an http\(s\) URL/, /http:\/\//);
      const fromFlag = await runHoop(['connections', '--gateway', 'ftp://x'], env());
      assertFailure(fromFlag, 2, /--gateway is not an http\(s\) URL/);
    });

    it('exits 6 when HOOP_GATEWAY names a server that is not a hoop gateway', async () => {
      const other = http.createServer((_req, res) => res.end('<html>welcome</html>'));
      await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
      try {
        const port = (other.address() as net.AddressInfo).port;
        const result = await runHoop(['connections'], {
          ...env(),
          HOOP_GATEWAY: `http://127.0.0.1:${port}`,
        });
        assertFailure(result, 6, /does not look like a hoop gateway/);
      } finally {
        other.close();
      }
    });

    it('exits 2 for an unknown flag, with one line of advice', async () => {
      const result = await runHoop(['connections', '--bogus'], env());
      assertFailure(result, 2, /--bogus/, /hoop connections --help/);
    });
  });

  describe('help and mistyped commands', () => {
    it('describes every topic in `hoop --help`', async () => {
      const result = await runHoop(['--help']);
      assert.equal(result.code, 0, result.stderr);
      const topics = result.stdout.slice(
        result.stdout.indexOf('TOPICS'),
        result.stdout.indexOf('COMMANDS'),
      );
      for (const [topic, words] of [
        ['audit', /Recorded sessions/],
        ['keys', /Machine identities/],
        ['policy', /Check, test and explain/],
        ['reviews', /Just-in-time approvals/],
      ] as const) {
        assert.match(topics, new RegExp(`^  ${topic}\\s+${words.source}`, 'm'), topics);
      }
    });

    it('gives every command that prints data --json (the built manifest, all of them)', async () => {
      // `server` prints logs only, and those are JSON already.
      const exempt = new Set(['server']);
      const manifest = JSON.parse(
        await readFile(path.join(path.dirname(HOOP_BIN), '..', 'oclif.manifest.json'), 'utf8'),
      ) as { commands: Record<string, { flags: Record<string, { type: string }> }> };
      const ids = Object.keys(manifest.commands);
      assert.ok(ids.length >= 25, ids.join(' '));
      const without = ids.filter(
        (id) => !exempt.has(id) && manifest.commands[id]?.flags.json?.type !== 'boolean',
      );
      assert.deepEqual(without, [], 'commands without a boolean --json');
    });

    it('suggests the command meant and exits 2, in the two-line error format', async () => {
      for (const [typed, meant] of [
        [['conect', 'pg-prod'], 'connect'],
        [['audit', 'lst'], 'audit list'],
        [['reviews', 'lst'], 'reviews list'],
        [['policy', 'explian'], 'policy explain'],
      ] as const) {
        const result = await runHoop([...typed], env());
        assertFailure(
          result,
          2,
          new RegExp(
            `\`${typed.slice(0, meant.split(' ').length).join(' ')}\` is not a hoop command`,
          ),
          new RegExp(`^Did you mean \`hoop ${meant}\`\\?`),
        );
      }
      const nothing = await runHoop(['xyzzy'], env());
      assertFailure(nothing, 2, /`xyzzy` is not a hoop command/, /^See `hoop --help`/);
      const far = await runHoop(['audit', 'frob', 'x'], env());
      assertFailure(far, 2, /`audit frob` is not a hoop command/, /^See `hoop --help`/);
    });
  });

  describe('hoop connect', () => {
    it('exits 3 for a connection outside the caller’s groups', async () => {
      const result = await runHoop(['connect', 'secret-echo', '--port', '0'], env());
      assertFailure(result, 3, /may not use connection "secret-echo"/, /dba/);
    });

    it('exits 2 for an unknown connection, pointing at `hoop connections`', async () => {
      const result = await runHoop(['connect', 'nope', '--port', '0'], env());
      assertFailure(result, 2, /no connection named "nope"/, /hoop connections/);
    });

    it('exits 5 without a token and 6 without a gateway', async () => {
      assertFailure(await runHoop(['connect', 'echo'], { HOOP_GATEWAY: gw.url }), 5, /logged in/);
      assertFailure(
        await runHoop(['connect', 'echo'], { ...env(), HOOP_GATEWAY: closedUrl }),
        6,
        /cannot reach the gateway/,
      );
    });

    it('exits 2 without a connection name, or with a port out of range', async () => {
      const missing = await runHoop(['connect'], env());
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /Missing 1 required arg/);
      assert.match(missing.stderr.trimEnd().split('\n').at(-1) ?? '', /hoop connect --help/);
      assert.doesNotMatch(missing.stderr, /See more help with --help/);

      const range = await runHoop(['connect', 'echo', '--port', '70000'], env());
      assert.equal(range.code, 2);
    });

    it('forwards a local port to the connection until Ctrl-C, then exits 0', async () => {
      const running = spawnHoop(['connect', 'echo', '--port', '0'], env());
      try {
        const [, port] = await running.waitFor(/Connect with: nc 127\.0\.0\.1 (\d+)/);
        assert.match(
          running.output().stdout,
          new RegExp(`Forwarding 127\\.0\\.0\\.1:${port} to echo \\(tcp\\)`),
        );
        const reply = await new Promise<string>((resolve, reject) => {
          const socket = net.connect(Number(port), '127.0.0.1', () => socket.end('hello hoop'));
          let text = '';
          socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
          socket.on('end', () => resolve(text));
          socket.on('error', reject);
        });
        assert.equal(reply, 'hello hoop');
      } finally {
        assert.equal(await running.stop('SIGINT'), 0);
      }
    });
  });
});
