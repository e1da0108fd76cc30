import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { runHoop, spawnHoop } from '../helpers/cli.js';
import { postgresConnection, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startPostgres, type PgInstance } from '../helpers/postgres.js';
import { eventually } from '../helpers/tunnel.js';
import { dial, startLocalListener, type LocalListener } from '../../src/tunnel/index.js';

interface ListedSession {
  id: string;
  subject: string;
  identity: { name: string };
  connection: { name: string };
  endedAt: string | null;
}

/**
 * `hoop audit list|show|replay|export|tail` through the built CLI against
 * the real gateway (in this process) and a real PostgreSQL, with sessions
 * made by the `pg` driver over tunnels of two people and an auditor who is
 * in `audit.auditors`.
 */
describe('hoop audit commands', () => {
  let postgres: PgInstance;
  let gw: TestGateway;
  const listeners: LocalListener[] = [];
  const ids: Record<string, string> = {};
  const env = (name: string): NodeJS.ProcessEnv => ({
    HOOP_GATEWAY: gw.url,
    HOOP_TOKEN: gw.keys[name] ?? '',
  });
  const hoop = (name: string, ...args: string[]) => runHoop(['audit', ...args], env(name));

  /** A pg client over a tunnel of `name` to `connection`. */
  async function client(name: string, connection: string): Promise<pg.Client> {
    const listener = await startLocalListener({
      host: '127.0.0.1',
      port: 0,
      dial: () =>
        dial({
          url: `${gw.url.replace(/^http/, 'ws')}/api/tunnel/${connection}`,
          token: gw.keys[name] ?? '',
        }),
    });
    listeners.push(listener);
    const c = new pg.Client({
      host: '127.0.0.1',
      port: listener.address.port,
      user: 'whoever',
      database: postgres.database,
    });
    await c.connect();
    return c;
  }

  async function sessions(name: string, query = ''): Promise<ListedSession[]> {
    const response = await fetch(`${gw.url}/api/sessions${query}`, {
      headers: { authorization: `Bearer ${gw.keys[name] ?? ''}` },
    });
    assert.equal(response.status, 200);
    return ((await response.json()) as { sessions: ListedSession[] }).sessions;
  }

  before(async () => {
    postgres = await startPostgres();
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    await admin.query('create table items (id int primary key, label text)');
    await admin.query("insert into items values (1, 'one'), (2, 'two'), (3, 'three')");
    await admin.end();
    gw = await startTestGateway({
      connections: [postgresConnection(postgres, 'pg'), postgresConnection(postgres, 'pg2')].join(
        '\n',
      ),
      env: { PG_PASSWORD: postgres.password },
      keys: [
        { name: 'alice', groups: ['agents'] },
        { name: 'bob', groups: ['agents'] },
        { name: 'auditor', groups: ['auditors'] },
      ],
      audit: 'audit:\n  auditors: [auditors]',
      policy: [
        { name: 'no-drops', match: { statements: ['drop'] }, effect: 'deny' },
        { name: 'agents', match: { groups: ['agents'] }, effect: 'allow' },
      ],
    });

    // alice on pg: three statements, one denied, with a 700 ms pause before the last.
    const a = await client('alice', 'pg');
    await a.query('select * from items order by id');
    await assert.rejects(a.query('drop table items'), { code: '42501' });
    await sleep(700);
    await a.query("select 'last' as word");
    await a.end();
    // bob on pg2: one statement.
    const b = await client('bob', 'pg2');
    await b.query('select 1 as one');
    await b.end();
    await eventually(
      async () => (await sessions('auditor')).filter((s) => s.endedAt !== null).length === 2,
      'both sessions ended',
    );
    for (const session of await sessions('auditor')) ids[session.identity.name] = session.id;
  });

  after(async () => {
    for (const listener of listeners) await listener.close();
    await gw?.close();
    await postgres?.stop();
  });

  it('lists your own sessions, and every session for an auditor', async () => {
    const own = await hoop('alice', 'list', '--json');
    assert.equal(own.code, 0, own.stderr);
    const page = JSON.parse(own.stdout) as { sessions: ListedSession[]; nextCursor?: string };
    assert.deepEqual(
      page.sessions.map((s) => s.id),
      [ids.alice],
    );
    assert.equal(page.nextCursor, undefined);

    const all = await hoop('auditor', 'list');
    assert.equal(all.code, 0, all.stderr);
    const lines = all.stdout.trim().split('\n');
    assert.match(
      lines[0] ?? '',
      /^ID\s+STARTED \(UTC\)\s+DURATION\s+WHO\s+CONNECTION\s+CLIENT\s+END$/,
    );
    assert.equal(lines.length, 3);
    assert.match(lines[1] ?? '', new RegExp(`^${ids.bob}\\s.*\\sbob\\s+pg2\\s.*client_closed$`));
    assert.match(lines[2] ?? '', new RegExp(`^${ids.alice}\\s.*\\salice\\s+pg\\s`));
  });

  it('filters by connection, user and decision, and pages with a cursor', async () => {
    const ofList = async (...args: string[]): Promise<string[]> => {
      const result = await hoop('auditor', 'list', '--json', ...args);
      assert.equal(result.code, 0, result.stderr);
      return (JSON.parse(result.stdout) as { sessions: ListedSession[] }).sessions.map((s) => s.id);
    };
    assert.deepEqual(await ofList('--connection', 'pg2'), [ids.bob]);
    assert.deepEqual(await ofList('--user', 'alice'), [ids.alice]);
    assert.deepEqual(await ofList('--user', 'apikey:bob'), [ids.bob]);
    assert.deepEqual(await ofList('--decision', 'deny'), [ids.alice]);
    assert.deepEqual(await ofList('--decision', 'review'), []);
    assert.deepEqual(await ofList('--since', '1h', '--until', '2099-01-01T00:00:00Z'), [
      ids.bob,
      ids.alice,
    ]);
    assert.deepEqual(await ofList('--until', '2000-01-01T00:00:00Z'), []);

    const first = await hoop('auditor', 'list', '--json', '--limit', '1');
    const page = JSON.parse(first.stdout) as { sessions: ListedSession[]; nextCursor?: string };
    assert.deepEqual(
      page.sessions.map((s) => s.id),
      [ids.bob],
    );
    assert.ok(page.nextCursor);
    assert.deepEqual(await ofList('--limit', '1', '--cursor', page.nextCursor), [ids.alice]);
    const table = await hoop('auditor', 'list', '--limit', '1');
    assert.match(table.stderr, new RegExp(`--cursor ${page.nextCursor}`));
  });

  it('refuses bad filter values with a message naming the parameter', async () => {
    const since = await hoop('alice', 'list', '--since', 'yesterday');
    assert.equal(since.code, 2);
    assert.match(
      since.stderr,
      /since: "yesterday" is neither an RFC 3339 date-time nor a duration/,
    );
    const cursor = await hoop('alice', 'list', '--cursor', 'nonsense');
    assert.equal(cursor.code, 2);
    assert.match(cursor.stderr, /cursor: "nonsense" is not a cursor/);

    for (const [query, parameter] of [
      ['limit=0', 'limit'],
      ['limit=abc', 'limit'],
      ['decision=maybe', 'decision'],
      ['since=2026-13-45', 'since'],
      ['since=1h&until=2h', 'until'],
      ['colour=red', 'colour'],
    ] as const) {
      const response = await fetch(`${gw.url}/api/sessions?${query}`, {
        headers: { authorization: `Bearer ${gw.keys.alice ?? ''}` },
      });
      assert.equal(response.status, 400, query);
      const body = (await response.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'HOOP_AUDIT_BAD_FILTER', query);
      assert.match(body.error.message, new RegExp(`^${parameter}: `), query);
    }
  });

  it('shows a session with identity, connection, policy version and each statement', async () => {
    const shown = await hoop('alice', 'show', ids.alice ?? '');
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, new RegExp(`^session\\s+${ids.alice}$`, 'm'));
    assert.match(shown.stdout, /^identity\s+alice \(apikey:alice, agent, apikey\)$/m);
    assert.match(shown.stdout, /^connection\s+pg \(postgres\)$/m);
    assert.match(shown.stdout, /^policy\s+sha256:[0-9a-f]{64}$/m);
    assert.match(shown.stdout, /^close\s+client_closed$/m);
    assert.match(shown.stdout, /^3 events$/m);
    assert.match(
      shown.stdout,
      /#1 .* allow by agents\n {4}select \* from items order by id\n {4}3 rows, /,
    );
    assert.match(shown.stdout, /#2 .* deny by no-drops\n {4}drop table items\n {4}error 42501/);

    const json = await hoop('auditor', 'show', ids.alice ?? '', '--json');
    const detail = JSON.parse(json.stdout) as {
      id: string;
      policyVersions: string[];
      events: { seq: number; decision: string; rows?: number }[];
    };
    assert.equal(detail.id, ids.alice);
    assert.equal(detail.policyVersions.length, 1);
    assert.deepEqual(
      detail.events.map((e) => [e.seq, e.decision, e.rows]),
      [
        [1, 'allow', 3],
        [2, 'deny', undefined],
        [3, 'allow', 1],
      ],
    );

    const hidden = await hoop('bob', 'show', ids.alice ?? '');
    assert.equal(hidden.code, 2);
    assert.match(hidden.stderr, new RegExp(`no session ${ids.alice}`));
  });

  it('replays a plain timeline without a terminal, with the recorded timing', async () => {
    const fast = await hoop(
      'alice',
      'replay',
      ids.alice ?? '',
      '--speed',
      '1000',
      '--max-idle',
      '0',
    );
    assert.equal(fast.code, 0, fast.stderr);
    const lines = fast.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 3);
    assert.match(
      lines[0] ?? '',
      /^ +\+\d+\.\d{3}s {2}allow {3}select \* from items order by id {2}\(3 rows, \d+\.\d ms\)$/,
    );
    assert.match(
      lines[1] ?? '',
      /^ +\+\d+\.\d{3}s {2}deny {4}drop table items {2}\(error 42501: .*\)$/,
    );
    assert.match(lines[2] ?? '', /^ +\+\d+\.\d{3}s {2}allow {3}select 'last' as word {2}\(1 row, /);
    const offsets = lines.map((line) => Number(/\+(\d+\.\d+)s/.exec(line)?.[1]));
    assert.ok((offsets[2] ?? 0) - (offsets[1] ?? 0) >= 0.7, `offsets ${offsets.join(', ')}`);

    // The preview kept at record time: the first rows as the client saw them, column names as they were.
    const previewed = await hoop(
      'alice',
      'replay',
      ids.alice ?? '',
      '--speed',
      '1000',
      '--preview',
      '2',
    );
    assert.equal(previewed.code, 0, previewed.stderr);
    assert.match(
      previewed.stdout,
      /select \* from items order by id {2}\(3 rows, .*\)\n {6}id {2}label\n {6}1 {3}one\n {6}2 {3}two\n {6}… 1 more rows kept\n/,
    );

    // The recorded pause before the last statement is waited out, divided by the speed:
    // measured between the lines of one run, so the CLI's start-up does not count.
    const gap = (offsets[2] ?? 0) - (offsets[1] ?? 0);
    const linesApart = async (speed: string): Promise<number> => {
      const replay = spawnHoop(
        ['audit', 'replay', ids.alice ?? '', '--speed', speed, '--max-idle', '0'],
        env('alice'),
      );
      await replay.waitFor(/drop table items/);
      const denied = Date.now();
      await replay.waitFor(/'last'/);
      const apart = (Date.now() - denied) / 1000;
      const { child } = replay;
      const code = await new Promise((resolve) => {
        if (child.exitCode !== null) resolve(child.exitCode);
        else child.once('exit', resolve);
      });
      assert.equal(code, 0);
      return apart;
    };
    const atOne = await linesApart('1');
    assert.ok(atOne >= gap * 0.9, `${atOne}s apart at speed 1, recorded ${gap}s`);
    const atFour = await linesApart('4');
    assert.ok(
      atFour >= (gap / 4) * 0.9 && atFour < gap * 0.9,
      `${atFour}s apart at speed 4, recorded ${gap}s`,
    );
    const slow = await hoop('alice', 'replay', ids.alice ?? '');
    assert.equal(slow.code, 0, slow.stderr);

    // --json: the same statements as JSON Lines, with their offsets.
    const json = await hoop('alice', 'replay', ids.alice ?? '', '--json', '--speed', '1000');
    assert.equal(json.code, 0, json.stderr);
    const replayed = json.stdout
      .trimEnd()
      .split('\n')
      .map(
        (line) =>
          JSON.parse(line) as {
            offsetMs: number;
            idleCut: boolean;
            event: { text: string; decision: string };
          },
      );
    assert.deepEqual(
      replayed.map((r) => [r.event.text, r.event.decision]),
      [
        ['select * from items order by id', 'allow'],
        ['drop table items', 'deny'],
        ["select 'last' as word", 'allow'],
      ],
    );
    assert.ok(replayed.every((r, i) => i === 0 || r.offsetMs >= (replayed[i - 1]?.offsetMs ?? 0)));
    // The default shortens idle gaps over 5 s only: this one is kept and the line is not marked.
    assert.doesNotMatch(slow.stdout, /idle gap shortened/);
  });

  it('replays what exists so far of a session still in progress', async () => {
    const c = await client('bob', 'pg');
    try {
      await c.query("select 'still going' as state");
      let open: ListedSession | undefined;
      await eventually(async () => {
        [open] = await sessions('bob', '?connection=pg');
        return open !== undefined;
      }, 'the open session listed');
      let replayed = { code: -1 as number | null, stdout: '', stderr: '' };
      await eventually(async () => {
        replayed = await hoop('bob', 'replay', open?.id ?? '', '--speed', '1000');
        return replayed.stdout.includes('still going');
      }, 'the first statement recorded');
      assert.equal(replayed.code, 0, replayed.stderr);
      assert.match(
        replayed.stderr,
        /still in progress: these are the 1 statements recorded so far/,
      );
    } finally {
      await c.end();
    }
  });

  it('exports events as JSON Lines, everyone’s for an auditor and your own for others', async () => {
    const all = await hoop('auditor', 'export', '--since', '1h');
    assert.equal(all.code, 0, all.stderr);
    const events = all.stdout
      .trim()
      .split('\n')
      .map(
        (line) =>
          JSON.parse(line) as {
            sessionId: string;
            seq: number;
            at: string;
            session: { identity: string };
          },
      );
    const ofOld = events.filter((e) => e.sessionId === ids.alice || e.sessionId === ids.bob);
    assert.equal(ofOld.length, 4);
    const times = events.map((e) => e.at);
    assert.deepEqual(times, [...times].sort());
    assert.deepEqual(
      ofOld.map((e) => [e.session.identity, e.seq]),
      [
        ['alice', 1],
        ['alice', 2],
        ['alice', 3],
        ['bob', 1],
      ],
    );

    const own = await hoop('alice', 'export', '--since', '1h');
    assert.equal(own.code, 0, own.stderr);
    assert.equal(own.stdout.trim().split('\n').length, 3);
    const asJson = await hoop('alice', 'export', '--since', '1h', '--json');
    assert.equal(asJson.stdout, own.stdout, '--json is the same JSON Lines');
    const pg2 = await hoop('auditor', 'export', '--since', '1h', '--connection', 'pg2');
    assert.equal(pg2.stdout.trim().split('\n').length, 1);
    const future = await hoop('auditor', 'export', '--since', '2099-01-01T00:00:00Z');
    assert.equal(future.code, 0, future.stderr);
    assert.equal(future.stdout, '');
    const backwards = await hoop('auditor', 'export', '--since', '1h', '--until', '2h');
    assert.equal(backwards.code, 2);
    assert.match(backwards.stderr, /until: .* is before since/);

    const cast = await hoop('auditor', 'export', '--since', '1h', '--format', 'asciicast');
    assert.equal(cast.code, 2);
    assert.match(cast.stderr, /asciicast exports one session: name its ID/);
  });

  it('tails events recorded after it started, until Ctrl-C', async () => {
    const tail = spawnHoop(['audit', 'tail', '--json', '--connection', 'pg2'], env('auditor'));
    try {
      await eventually(() => tail.output().stderr.includes('Waiting for statements'), 'tail open');
      // Recorded first, on another connection: the filter must leave it out.
      const other = await client('bob', 'pg');
      await other.query("select 'not on pg2' as marker");
      await other.end();
      const c = await client('bob', 'pg2');
      await c.query("select 'tail-marker' as marker");
      await c.end();
      const [line] = await tail.waitFor(/^\{.*tail-marker.*\}$/m);
      const event = JSON.parse(line) as { decision: string; session: { connection: string } };
      assert.equal(event.decision, 'allow');
      assert.equal(event.session.connection, 'pg2');
    } finally {
      assert.equal(await tail.stop('SIGINT'), 0);
    }
    assert.doesNotMatch(tail.output().stdout, /not on pg2/);
  });
});
