import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { verifyWebhook } from '../../src/server/reviews/index.js';
import { dial, startLocalListener, type LocalListener } from '../../src/tunnel/index.js';
import { tool } from '../helpers/tools.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startPostgres, type PgInstance } from '../helpers/postgres.js';
import { runHoop } from '../helpers/cli.js';

const execFileAsync = promisify(execFile);
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON bodies, read field by field in assertions
type Json = any;
const WEBHOOK_SECRET = 'whsec-test-1234';

interface Received {
  path: string;
  body: string;
  signature: string | undefined;
}

/**
 * Reviews end to end: a real PostgreSQL, the real gateway with review rules,
 * tunnels in this process, psql and pg as clients, the JSON API as the
 * approvers' side, and a local HTTP server receiving the webhooks.
 */
describe('reviews', () => {
  let postgres: PgInstance;
  let gw: TestGateway;
  let hooks: Server;
  const received: Received[] = [];
  const listeners: LocalListener[] = [];

  before(async () => {
    postgres = await startPostgres();
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    await admin.query('create table orders (id int primary key, note text)');
    await admin.query("insert into orders values (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd')");
    await admin.end();
    hooks = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const header = req.headers['hoop-signature'];
        received.push({
          path: req.url ?? '',
          body,
          signature: typeof header === 'string' ? header : undefined,
        });
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', resolve));
    const hookUrl = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}`;
    const conn = (name: string) =>
      `  - { name: ${name}, type: postgres, host: 127.0.0.1, port: ${postgres.port}, database: ${postgres.database}, user: ${postgres.user}, password: "\${env:PG_PASSWORD}", groups: [agents, dba, ops] }`;
    gw = await startTestGateway({
      connections: [conn('pg'), conn('pg-prod')].join('\n'),
      keys: [
        { name: 'agent-1', groups: ['agents'] },
        { name: 'dba-1', groups: ['dba'] },
        { name: 'dba-2', groups: ['dba'] },
        { name: 'ops-1', groups: ['ops'] },
      ],
      env: { PG_PASSWORD: postgres.password, HOOK_SECRET: WEBHOOK_SECRET },
      policy: [
        {
          name: 'prod-needs-grant',
          match: { connections: ['pg-prod'] },
          effect: 'review',
          review: { approvers: ['dba'], approvals: 1, timeout: '1m' },
        },
        {
          name: 'deletes-need-two',
          match: { connections: ['pg'], statements: ['delete'] },
          effect: 'review',
          review: { approvers: ['dba'], approvals: 2, timeout: '1m' },
        },
        {
          name: 'writes-need-review',
          match: { connections: ['pg'], statements: ['insert', 'update'] },
          effect: 'review',
          review: { approvers: ['dba'], approvals: 1, timeout: '3s' },
        },
        { name: 'everyone', match: { groups: ['agents', 'dba', 'ops'] }, effect: 'allow' },
      ],
      reviews: [
        'reviews:',
        '  notify:',
        `    - { type: webhook, url: "${hookUrl}/hook", secret: "\${env:HOOK_SECRET}" }`,
        `    - { type: slack, url: "${hookUrl}/slack" }`,
      ].join('\n'),
    });
  });

  after(async () => {
    for (const listener of listeners) await listener.close();
    await gw?.close();
    await postgres?.stop();
    await new Promise<void>((resolve) => (hooks ? hooks.close(() => resolve()) : resolve()));
  });

  /** A local port tunnelled to `connection` as `who`, with `query` on the tunnel URL. */
  const tunnel = async (who: string, connection = 'pg', query = ''): Promise<number> => {
    const url = `${gw.url.replace(/^http/, 'ws')}/api/tunnel/${connection}${query}`;
    const token = gw.keys[who] ?? '';
    const listener = await startLocalListener({
      host: '127.0.0.1',
      port: 0,
      dial: () => dial({ url, token }),
    });
    listeners.push(listener);
    return listener.address.port;
  };

  const api = async (
    who: string,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: Json }> => {
    const response = await fetch(`${gw.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${gw.keys[who]}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, json: await response.json() };
  };

  /** The pending review whose text matches, as the approver `who` lists it. */
  const pendingFor = async (who: string, text: RegExp): Promise<Json> => {
    for (let i = 0; i < 200; i++) {
      const { json } = await api(who, 'GET', '/api/reviews');
      const review = (json.reviews as Json[]).find((r) => text.test(r.text ?? r.reason ?? ''));
      if (review) return review;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`no pending review matching ${text}`);
  };

  const direct = async (sql: string): Promise<unknown[]> => {
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    try {
      return (await client.query(sql)).rows;
    } finally {
      await client.end();
    }
  };

  const psql = (port: number, sql: string) =>
    execFileAsync(
      tool('psql'),
      [
        `postgres://127.0.0.1:${port}/${postgres.database}`,
        '-X',
        '-v',
        'ON_ERROR_STOP=0',
        '-c',
        sql,
      ],
      { env: { ...process.env, PGPASSWORD: '', PGCONNECT_TIMEOUT: '10' }, timeout: 30_000 },
    ).catch((error: { stdout: string; stderr: string; code: number }) => error);

  it('a prepared statement approved by review runs once: binding it again is refused', async () => {
    const port = await tunnel('agent-1');
    const client = new pg.Client({
      host: '127.0.0.1',
      port,
      database: postgres.database,
      user: 'x',
    });
    await client.connect();
    try {
      const statement = {
        name: 'approved_once',
        text: `update orders set note = 'once' where id = $1`,
        values: [1],
      };
      const running = client.query(statement);
      const review = await pendingFor('dba-1', /note = 'once'/);
      await api('dba-1', 'POST', `/api/reviews/${review.id}/approve`, {});
      await running;
      assert.deepEqual(await direct('select note from orders where id = 1'), [{ note: 'once' }]);
      await direct(`update orders set note = 'reset' where id = 1`);
      // node-postgres binds the named statement again without a Parse.
      await assert.rejects(
        client.query({ ...statement, values: [1] }),
        (error: Error & { code?: string }) => {
          assert.equal(error.code, '42501');
          assert.match(error.message, /approved by review to run once; prepare it again/);
          return true;
        },
      );
      assert.deepEqual(await direct('select note from orders where id = 1'), [{ note: 'reset' }]);
      // The session goes on.
      assert.deepEqual((await client.query('select 1 as n')).rows, [{ n: 1 }]);
    } finally {
      await client.end();
    }
  });

  it('psql sees the NOTICE; once approved the statement runs and psql gets its result', async () => {
    const port = await tunnel('agent-1');
    const running = psql(port, "update orders set note = 'approved' where id = 1");
    const review = await pendingFor('dba-1', /note = 'approved'/);
    assert.match(review.id, /^rev_/);
    assert.equal(review.requirement.rule, 'writes-need-review');
    const decided = await api('dba-1', 'POST', `/api/reviews/${review.id}/approve`, {});
    assert.equal(decided.status, 200);
    assert.equal(decided.json.status, 'approved');
    const { stdout, stderr } = await running;
    assert.match(stderr, new RegExp(`NOTICE: .*writes-need-review.*${review.id}`));
    assert.match(stderr, new RegExp(`hoop reviews approve ${review.id}`));
    assert.match(stdout, /UPDATE 1/);
    assert.deepEqual(await direct('select note from orders where id = 1'), [{ note: 'approved' }]);
    assert.equal(
      (await api('agent-1', 'GET', `/api/reviews/${review.id}`)).json.status,
      'consumed',
    );
  });

  it('reject: the statement fails naming the rule, review and reason; the session stays usable', async () => {
    const port = await tunnel('agent-1');
    const client = new pg.Client({
      host: '127.0.0.1',
      port,
      user: 'x',
      database: postgres.database,
    });
    await client.connect();
    try {
      const notices: string[] = [];
      client.on('notice', (notice) => notices.push(notice.message ?? ''));
      const running = client.query("update orders set note = 'nope' where id = 2").catch((e) => e);
      // Queued behind the held statement, answered after it, in order.
      const after = client.query('select note from orders where id = 2');
      const review = await pendingFor('dba-1', /note = 'nope'/);
      const missing = await api('dba-1', 'POST', `/api/reviews/${review.id}/reject`, {});
      assert.equal(missing.status, 400);
      await api('dba-1', 'POST', `/api/reviews/${review.id}/reject`, { reason: 'not today' });
      const error = await running;
      assert.equal(error.code, '42501');
      assert.match(error.message, /writes-need-review/);
      assert.match(error.message, new RegExp(review.id));
      assert.match(error.message, /not today/);
      assert.deepEqual((await after).rows, [{ note: 'b' }]);
      assert.ok(notices.some((n) => n.includes(review.id)));
      const again = await api('dba-2', 'POST', `/api/reviews/${review.id}/approve`, {});
      assert.equal(again.json.error.code, 'HOOP_REVIEW_DECIDED');
    } finally {
      await client.end();
    }
  });

  it('timeout: the statement fails once the review expires; deciding it then is refused', async () => {
    const port = await tunnel('agent-1');
    const client = new pg.Client({
      host: '127.0.0.1',
      port,
      user: 'x',
      database: postgres.database,
    });
    await client.connect();
    try {
      const error = (await client.query("insert into orders values (10, 'late')").then(
        () => new Error('the insert ran'),
        (e: Error) => e,
      )) as Error & { code?: string };
      assert.equal((error as { code?: string }).code, '42501');
      assert.match(error.message, /timed out after 3s/);
      const id = /rev_[0-9a-z]+/.exec(error.message)?.[0];
      assert.ok(id);
      const late = await api('dba-1', 'POST', `/api/reviews/${id}/approve`, {});
      assert.equal(late.status, 410);
      assert.equal(late.json.error.code, 'HOOP_REVIEW_EXPIRED');
      assert.deepEqual((await client.query('select 1 as one')).rows, [{ one: 1 }]);
    } finally {
      await client.end();
    }
    assert.deepEqual(await direct('select * from orders where id = 10'), []);
  });

  it('extended protocol with two approvals: self-approval, outsiders and second votes are refused', async () => {
    const port = await tunnel('agent-1');
    const client = new pg.Client({
      host: '127.0.0.1',
      port,
      user: 'x',
      database: postgres.database,
    });
    await client.connect();
    try {
      const running = client.query('delete from orders where id = $1', [4]);
      const review = await pendingFor('dba-1', /delete from orders/);
      assert.equal(review.requirement.approvals, 2);
      const self = await api('agent-1', 'POST', `/api/reviews/${review.id}/approve`, {});
      assert.equal(self.status, 403);
      assert.equal(self.json.error.code, 'HOOP_REVIEW_SELF_APPROVAL');
      const outsider = await api('ops-1', 'POST', `/api/reviews/${review.id}/approve`, {});
      assert.equal(outsider.json.error.code, 'HOOP_REVIEW_NOT_APPROVER');
      const first = await api('dba-1', 'POST', `/api/reviews/${review.id}/approve`, {});
      assert.equal(first.json.status, 'pending');
      const twice = await api('dba-1', 'POST', `/api/reviews/${review.id}/approve`, {});
      assert.equal(twice.json.error.code, 'HOOP_REVIEW_ALREADY_VOTED');
      const second = await api('dba-2', 'POST', `/api/reviews/${review.id}/approve`, {});
      assert.equal(second.json.status, 'approved');
      assert.equal((await running).rowCount, 1);
    } finally {
      await client.end();
    }
    assert.deepEqual(await direct('select * from orders where id = 4'), []);
  });

  it('hoop exec: exit 4 with the review ID; --review runs exactly the approved text, once', async () => {
    const env = (who: string) => ({ HOOP_TOKEN: gw.keys[who] ?? '', HOOP_GATEWAY: gw.url });
    const sql = "update orders set note = 'exec' where id = 3";
    const waiting = await runHoop(['exec', 'pg', '-i', sql], env('agent-1'));
    assert.equal(waiting.code, 4, waiting.stderr);
    const id = /rev_[0-9a-z]+/.exec(waiting.stderr)?.[0] ?? '';
    assert.match(waiting.stderr, new RegExp(`hoop reviews approve ${id}`));
    const listed = await runHoop(['reviews', '--json'], env('dba-1'));
    assert.ok(
      (JSON.parse(listed.stdout) as Json[]).some((r) => r.id === id),
      listed.stderr,
    );
    const self = await runHoop(['reviews', 'approve', id], env('agent-1'));
    assert.equal(self.code, 3);
    assert.match(self.stderr, /cannot decide it/);
    const approved = await runHoop(['reviews', 'approve', id, '--reason', 'ok'], env('dba-1'));
    assert.equal(approved.code, 0, approved.stderr);
    const other = await runHoop(
      ['exec', 'pg', '--review', id, '-i', "update orders set note = 'other' where id = 3"],
      env('agent-1'),
    );
    assert.equal(other.code, 3, other.stderr);
    assert.match(other.stderr, /HOOP_REVIEW_MISMATCH/);
    const ran = await runHoop(['exec', 'pg', '--review', id, '-i', sql], env('agent-1'));
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, /UPDATE 1/);
    const again = await runHoop(['exec', 'pg', '--review', id, '-i', sql], env('agent-1'));
    assert.equal(again.code, 3);
    assert.match(again.stderr, /HOOP_REVIEW_CONSUMED/);
    assert.deepEqual(await direct('select note from orders where id = 3'), [{ note: 'exec' }]);
  });

  it('hoop reviews list lists as `hoop reviews` does; exec --review without input runs the approved text', async () => {
    const env = (who: string) => ({ HOOP_TOKEN: gw.keys[who] ?? '', HOOP_GATEWAY: gw.url });
    // deletes-need-two: its one-minute timeout outlasts a loaded machine (writes-need-review's is 3 s).
    const sql = 'delete from orders where id = 99';
    const waiting = await runHoop(['exec', 'pg', '-i', sql], env('agent-1'));
    assert.equal(waiting.code, 4, waiting.stderr);
    const id = /rev_[0-9a-z]+/.exec(waiting.stderr)?.[0] ?? '';

    const listed = await runHoop(['reviews', 'list', '--json'], env('dba-1'));
    assert.equal(listed.code, 0, listed.stderr);
    const found = (JSON.parse(listed.stdout) as Json[]).find((r) => r.id === id);
    assert.equal(found?.text, sql);
    const bare = await runHoop(['reviews', '--json'], env('dba-1'));
    assert.deepEqual(JSON.parse(bare.stdout), JSON.parse(listed.stdout));
    const table = await runHoop(['reviews', 'list'], env('dba-1'));
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^ID\s+KIND\s+STATUS/);
    assert.match(table.stdout, new RegExp(`^${id}\\s+statement\\s+pending`, 'm'));
    const mine = await runHoop(['reviews', 'list', '--mine', '--json'], env('agent-1'));
    assert.ok(
      (JSON.parse(mine.stdout) as Json[]).some((r) => r.id === id),
      mine.stdout,
    );

    const early = await runHoop(['exec', 'pg', '--review', id], env('agent-1'));
    assert.equal(early.code, 4, `still pending: ${early.stderr}`);
    for (const approver of ['dba-1', 'dba-2']) {
      const approved = await runHoop(['reviews', 'approve', id, '--reason', 'ok'], env(approver));
      assert.equal(approved.code, 0, approved.stderr);
    }
    const other = await runHoop(
      ['exec', 'pg', '--review', id, '-i', 'delete from orders where id = 98'],
      env('agent-1'),
    );
    assert.equal(other.code, 3, other.stderr);
    assert.match(other.stderr, /HOOP_REVIEW_MISMATCH/);
    const wrongConnection = await runHoop(['exec', 'pg-prod', '--review', id], env('agent-1'));
    assert.equal(wrongConnection.code, 3, wrongConnection.stderr);
    assert.match(wrongConnection.stderr, /approves a statement on pg, not on pg-prod/);

    const ran = await runHoop(['exec', 'pg', '--review', id, '-o', 'json'], env('agent-1'));
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(
      ran.stderr,
      new RegExp(`Running what ${id} approved: delete from orders where id = 99`),
    );
    assert.equal(JSON.parse(ran.stdout).results[0].tag, 'DELETE 0');
    const again = await runHoop(['exec', 'pg', '--review', id], env('agent-1'));
    assert.equal(again.code, 3, again.stderr);
    assert.match(again.stderr, /HOOP_REVIEW_CONSUMED/);
  });

  it('hoop exec --wait holds until an approver decides, then prints the result', async () => {
    const env = (who: string) => ({ HOOP_TOKEN: gw.keys[who] ?? '', HOOP_GATEWAY: gw.url });
    const sql = "update orders set note = 'waited' where id = 3";
    const running = runHoop(['exec', 'pg', '--wait', '-i', sql], env('agent-1'));
    let id: string | undefined;
    for (let i = 0; i < 100 && !id; i++) {
      const listed = await runHoop(['reviews', '--json'], env('dba-1'));
      id = (JSON.parse(listed.stdout) as Json[]).find((r) => r.text === sql)?.id as
        string | undefined;
      if (!id) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(id, 'the held statement is listed for the approver');
    const approved = await runHoop(['reviews', 'approve', id, '--reason', 'ok'], env('dba-1'));
    assert.equal(approved.code, 0, approved.stderr);
    const ran = await running;
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, /UPDATE 1/);
    assert.match(ran.stderr, new RegExp(id));
    assert.deepEqual(await direct('select note from orders where id = 3'), [{ note: 'waited' }]);
  });

  it('records the review on the statement event', async () => {
    const sessions = await gw.gateway.store.listSessions({ connection: 'pg' });
    const events = (
      await Promise.all(sessions.map((s) => gw.gateway.store.listEvents(s.id)))
    ).flat();
    const outcomes = events.filter((e) => e.reviewId).map((e) => e.reviewOutcome);
    assert.ok(outcomes.includes('approved'), JSON.stringify(outcomes));
    assert.ok(outcomes.includes('rejected'), JSON.stringify(outcomes));
    assert.ok(outcomes.includes('expired'), JSON.stringify(outcomes));
  });

  it('posts signed webhooks and Slack messages on creation and decision', async () => {
    const webhooks = received.filter((r) => r.path === '/hook');
    assert.ok(webhooks.length >= 2);
    for (const hook of webhooks) {
      assert.ok(hook.signature && verifyWebhook(WEBHOOK_SECRET, hook.body, hook.signature));
      assert.equal(verifyWebhook('wrong-secret', hook.body, hook.signature), false);
    }
    const types = webhooks.map((hook) => JSON.parse(hook.body).type);
    assert.ok(types.includes('review.created'));
    assert.ok(types.includes('review.decided'));
    const slack = received.filter((r) => r.path === '/slack').map((r) => JSON.parse(r.body).text);
    assert.ok(slack.some((text: string) => /hoop reviews approve rev_/.test(text)));
  });

  it('grants: refused without one, open with one, closed at expiry', async () => {
    const port = await tunnel('agent-1', 'pg-prod');
    const url = `${gw.url.replace(/^http/, 'ws')}/api/tunnel/pg-prod`;
    await assert.rejects(dial({ url, token: gw.keys['agent-1'] ?? '' }), (error: Json) => {
      assert.equal(error.code, 'HOOP_GRANT_REQUIRED');
      assert.equal(error.exitCode, 4);
      assert.match(error.message, /prod-needs-grant/);
      assert.match(error.hint, /hoop reviews request pg-prod --duration/);
      return true;
    });
    const asked = await api('agent-1', 'POST', '/api/reviews', {
      connection: 'pg-prod',
      duration: '3s',
      reason: 'incident 42',
    });
    assert.equal(asked.status, 201, JSON.stringify(asked.json));
    assert.equal(asked.json.kind, 'grant');
    const self = await api('agent-1', 'POST', `/api/reviews/${asked.json.id}/approve`, {});
    assert.equal(self.json.error.code, 'HOOP_REVIEW_SELF_APPROVAL');
    await api('dba-1', 'POST', `/api/reviews/${asked.json.id}/approve`, {});
    const client = new pg.Client({
      host: '127.0.0.1',
      port,
      user: 'x',
      database: postgres.database,
    });
    client.on('error', () => {});
    await client.connect();
    assert.deepEqual((await client.query('select 1 as one')).rows, [{ one: 1 }]);
    const ended = new Promise((resolve) => client.once('end', resolve));
    await ended;
    for (let i = 0; i < 50; i++) {
      const sessions = await gw.gateway.store.listSessions({ connection: 'pg-prod' });
      if (sessions.some((s) => s.closeReason === 'grant_expired')) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.fail('no session closed as grant_expired');
  });
});
