// Policy reload with real parts: PostgreSQL, the gateway (in this process, then as a
// `hoop server` process for SIGHUP; run `npm run build` first), a tunnel listener and
// the `pg` driver. The policy file changes under a running gateway: allow → deny is
// enforced on the next statement of an open session; a broken file is refused, logged
// with its file:line:column, and the last good policy stays in force.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { pino } from 'pino';

import { generateApiKey, hashApiKey } from '../../src/lib/api-key.js';
import { parseConfig } from '../../src/server/config/index.js';
import { startGateway, type Gateway } from '../../src/server/gateway.js';
import { dial, startLocalListener, type LocalListener } from '../../src/tunnel/index.js';
import { spawnHoop } from '../helpers/cli.js';
import { startPostgres, type PgInstance } from '../helpers/postgres.js';

const ALLOW = `# yaml-language-server: $schema=../schema/policy.schema.json
rules:
  - name: agents
    match: { groups: [agents] }
    effect: allow
`;

const DENY_SELECT = `rules:
  - name: no-reads-tonight
    match: { statements: [select] }
    effect: deny
    message: reads are closed
  - name: agents
    match: { groups: [agents] }
    effect: allow
`;

/** Line 7 column 5: an effect that does not exist; line 3: a time zone that does not. */
const BROKEN = `rules:
  - name: agents
    match: { groups: [agents], time: { timezone: Mars/Olympus } }
    effect: allow
  - name: x
    match: {}
    effect: alow
`;

/** Polls until `check` holds (a file watch is asynchronous), for at most `ms`. */
async function eventually(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail('timed out waiting for the policy to reload');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

interface LogLine {
  level: number;
  event?: string;
  msg: string;
  trigger?: string;
  hash?: string;
  problems?: { line: number; column: number; key: string; message: string }[];
}

describe('policy reload in a running gateway', () => {
  let postgres: PgInstance;
  let gateway: Gateway;
  let dir: string;
  let policyFile: string;
  let listener: LocalListener;
  let client: pg.Client;
  const key = generateApiKey();
  const logs: LogLine[] = [];

  before(async () => {
    postgres = await startPostgres({ password: 'target-secret-r3load' });
    dir = await mkdtemp(path.join(os.tmpdir(), 'hoop-policy-reload-'));
    policyFile = path.join(dir, 'policy.yaml');
    await writeFile(policyFile, ALLOW);
    const config = parseConfig(
      [
        'listen: 127.0.0.1:0',
        `store: sqlite:${path.join(dir, 'hoop.db')}`,
        'auth:',
        '  apiKeys:',
        `    - { name: agent-1, groups: [agents], keyHash: "${hashApiKey(key)}" }`,
        'connections:',
        `  - { name: pg, type: postgres, host: 127.0.0.1, port: ${postgres.port}, database: ${postgres.database}, user: ${postgres.user}, password: "\${env:PG_PASSWORD}", groups: [agents] }`,
        'policy: policy.yaml',
      ].join('\n'),
      { file: path.join(dir, 'hoop.yaml'), env: { PG_PASSWORD: postgres.password } },
    );
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n')) {
          if (line !== '') logs.push(JSON.parse(line) as LogLine);
        }
        done();
      },
    });
    gateway = await startGateway({ config, logger: pino({ level: 'info' }, sink) });
    const url = `${gateway.url.replace(/^http/, 'ws')}/api/tunnel/pg`;
    listener = await startLocalListener({
      host: '127.0.0.1',
      port: 0,
      dial: () => dial({ url, token: key }),
    });
    client = new pg.Client({
      host: '127.0.0.1',
      port: listener.address.port,
      user: 'whoever',
      database: postgres.database,
    });
    await client.connect();
  });

  after(async () => {
    await client?.end().catch(() => {});
    await listener?.close();
    await gateway?.close();
    await postgres?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const policyApi = async (): Promise<Record<string, unknown>> => {
    const response = await fetch(`${gateway.url}/api/policy`, {
      headers: { authorization: `Bearer ${key}` },
    });
    assert.equal(response.status, 200);
    return (await response.json()) as Record<string, unknown>;
  };

  it('a change from allow to deny refuses the next statement of an open session', async () => {
    const { rows } = await client.query('select 1 as one');
    assert.deepEqual(rows, [{ one: 1 }]);
    const first = gateway.policyStatus()?.hash;
    assert.match(first ?? '', /^sha256:[0-9a-f]{64}$/);

    await writeFile(policyFile, DENY_SELECT);
    await eventually(() => gateway.policyStatus()?.hash !== first);

    await assert.rejects(client.query('select 1 as one'), (error: Error & { code?: string }) => {
      assert.equal(error.code, '42501');
      assert.equal(
        error.message,
        'hoop: refused by policy rule "no-reads-tonight": reads are closed',
      );
      return true;
    });
    const reloaded = logs.find((line) => line.event === 'policy_reloaded');
    assert.equal(reloaded?.trigger, 'file_change');
    assert.equal(reloaded?.hash, gateway.policyStatus()?.hash);
    // The session is still open: statements the new policy allows run.
    assert.equal((await client.query('create temp table scratch (id int)')).command, 'CREATE');

    // Each statement's audit event names the policy version that decided it.
    const second = gateway.policyStatus()?.hash;
    const [session] = await gateway.store.listSessions();
    assert.ok(session);
    let events: Awaited<ReturnType<typeof gateway.store.listEvents>> = [];
    await eventually(async () => {
      events = await gateway.store.listEvents(session.id);
      return events.length >= 3;
    });
    assert.deepEqual(
      events.slice(0, 3).map((event) => [event.text, event.decision, event.policyHash]),
      [
        ['select 1 as one', 'allow', first],
        ['select 1 as one', 'deny', second],
        ['create temp table scratch (id int)', 'allow', second],
      ],
    );
  });

  it('a broken file is refused loudly and the last good policy stays', async () => {
    const good = gateway.policyStatus()?.hash;
    await writeFile(policyFile, BROKEN);
    await eventually(() => gateway.policyStatus()?.lastReload?.ok === false);

    assert.equal(gateway.policyStatus()?.hash, good);
    const failed = logs.findLast((line) => line.event === 'policy_reload_failed');
    assert.equal(failed?.level, 50, 'logged as an error');
    assert.match(failed?.msg ?? '', /the previous policy stays in force/);
    assert.match(
      failed?.msg ?? '',
      new RegExp(
        `${policyFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:40: rules\\[0\\]\\.match\\.time\\.timezone: expected an IANA time zone`,
      ),
    );
    assert.deepEqual(
      failed?.problems?.map((p) => `${p.line}:${p.column} ${p.key}`),
      ['3:40 rules[0].match.time.timezone', '7:5 rules[1].effect'],
    );

    // Still the deny policy.
    await assert.rejects(client.query('select 1'), /no-reads-tonight/);

    // Visible without reading logs: /api/policy has the problems, /healthz a marker.
    const status = await policyApi();
    assert.equal(status['hash'], good);
    const lastReload = status['lastReload'] as { ok: boolean; error: { message: string } };
    assert.equal(lastReload.ok, false);
    assert.match(lastReload.error.message, /:7:5: rules\[1\]\.effect: /);
    const health = (await (await fetch(`${gateway.url}/healthz`)).json()) as Record<
      string,
      unknown
    >;
    assert.deepEqual(health['policy'], { hash: good, reload: 'refused' });
  });

  it('a fixed file loads again', async () => {
    await writeFile(policyFile, ALLOW);
    await eventually(() => gateway.policyStatus()?.lastReload?.ok === true);
    assert.deepEqual((await client.query('select 2 as two')).rows, [{ two: 2 }]);
    const health = (await (await fetch(`${gateway.url}/healthz`)).json()) as Record<
      string,
      unknown
    >;
    assert.deepEqual(health['policy'], { hash: gateway.policyStatus()?.hash, reload: 'ok' });
  });
});

describe('hoop server reloads its policy on SIGHUP', () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'hoop-policy-sighup-'));
  });

  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('keeps running, reloads, and refuses a broken file with the last good policy kept', async () => {
    const key = generateApiKey();
    const file = path.join(dir, 'hoop.yaml');
    const policyFile = path.join(dir, 'policy.yaml');
    await writeFile(policyFile, ALLOW);
    await writeFile(
      file,
      [
        'listen: 127.0.0.1:0',
        'store: sqlite:./hoop.db',
        'auth:',
        '  apiKeys:',
        `    - { name: agent-1, groups: [agents], keyHash: "${hashApiKey(key)}" }`,
        'connections:',
        '  - { name: pg, type: postgres, host: 127.0.0.1, password: "${env:PG_PASSWORD}", groups: [agents] }',
        'policy: policy.yaml',
        '',
      ].join('\n'),
    );
    const running = spawnHoop(['server', '--config', file], { PG_PASSWORD: 'unused' });
    try {
      const [, url] = await running.waitFor(/hoop gateway listening on (http:\/\/\S+)/);
      const status = async (): Promise<{
        hash: string;
        lastReload?: { ok: boolean; trigger: string };
      }> => {
        const response = await fetch(`${url}/api/policy`, {
          headers: { authorization: `Bearer ${key}` },
        });
        return (await response.json()) as {
          hash: string;
          lastReload?: { ok: boolean; trigger: string };
        };
      };
      const first = (await status()).hash;
      const stderr = () => running.output().stderr;

      // SIGHUP alone: read again, unchanged, and the process lives on (Node's default would end it).
      running.child.kill('SIGHUP');
      await eventually(() => /"event":"policy_unchanged"[^\n]*"trigger":"SIGHUP"/.test(stderr()));
      assert.equal((await status()).lastReload?.trigger, 'SIGHUP');

      // A broken file: refused, logged with file:line:column, the last good policy kept.
      await writeFile(policyFile, BROKEN);
      running.child.kill('SIGHUP');
      await eventually(() =>
        /"event":"policy_reload_failed"[^\n]*"trigger":"SIGHUP"/.test(stderr()),
      );
      assert.match(stderr(), /policy\.yaml:7:5: rules\[1\]\.effect: /);
      assert.equal((await status()).hash, first);
      assert.equal((await status()).lastReload?.ok, false);

      // A good change: in force.
      await writeFile(policyFile, DENY_SELECT);
      running.child.kill('SIGHUP');
      await eventually(async () => (await status()).hash !== first);
      assert.equal(running.child.exitCode, null, 'still running');
    } finally {
      const code = await running.stop('SIGINT');
      assert.equal(code, 0, running.output().stderr);
    }
  });
});
