import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import type { Gateway } from '../../src/server/gateway.js';
import { runHoop } from '../helpers/cli.js';
import { postgresConnection, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { freePort } from '../helpers/ports.js';
import { startPostgres, type PgInstance } from '../helpers/postgres.js';

/**
 * `hoop exec` end to end: the real CLI as a child process, the real gateway
 * (in this process, so only asynchronous child processes), a throwaway
 * PostgreSQL that demands SCRAM, and a policy that refuses drops and deletes.
 */
describe('hoop exec on postgres connections', () => {
  let postgres: PgInstance;
  let gateway: Gateway;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let gw: TestGateway;
  const exec = (args: string[], input?: string) => runHoop(['exec', ...args], env, input);

  before(async () => {
    postgres = await startPostgres({ authMethod: 'scram-sha-256', password: 'target-secret-x1' });
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    await admin.query('create table customers (id int primary key, email text, note text)');
    await admin.query(
      "insert into customers values (1, 'jane@example.com', null), (2, 'zoë@例え.jp', 'naïve ☕ 😀')",
    );
    await admin.end();
    const closedPort = await freePort();
    gw = await startTestGateway({
      connections: [
        postgresConnection(postgres),
        '  - { name: echo, type: tcp, host: 127.0.0.1, port: 9, groups: [agents] }',
        `  - { name: pg-down, type: postgres, host: 127.0.0.1, port: ${closedPort}, database: app, user: app, groups: [agents] }`,
      ].join('\n'),
      env: { PG_PASSWORD: postgres.password },
      policy: [
        {
          name: 'no-drops',
          match: { statements: ['drop'] },
          effect: 'deny',
          message: 'Dropping objects is not allowed',
        },
        { name: 'no-deletes', match: { statements: ['delete'] }, effect: 'deny' },
        { name: 'agents', match: { groups: ['agents'] }, effect: 'allow' },
      ],
    });
    gateway = gw.gateway;
    dir = gw.dir;
    env = {
      HOOP_GATEWAY: gateway.url,
      HOOP_TOKEN: gw.keys['agent-1'] ?? '',
      HOOP_CONFIG_DIR: path.join(dir, 'cli'),
      HOOP_TOKEN_STORE: 'file',
    };
  });

  after(async () => {
    await gw?.close();
    await postgres?.stop();
  });

  it('prints a psql-style table for -i', async () => {
    const result = await exec(['pg', '-i', 'select id, email from customers where id = 1']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(
      result.stdout,
      [' id |      email', '----+------------------', '  1 | jane@example.com', '(1 row)', ''].join(
        '\n',
      ),
    );
  });

  it('prints the documented JSON shape, with NULLs and unicode as the server sent them', async () => {
    const result = await exec([
      'pg',
      '-i',
      'select id, email, note from customers order by id',
      '--output',
      'json',
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), {
      results: [
        {
          command: 'SELECT',
          tag: 'SELECT 2',
          rowCount: 2,
          columns: [
            { name: 'id', type: 'int4', dataTypeID: 23 },
            { name: 'email', type: 'text', dataTypeID: 25 },
            { name: 'note', type: 'text', dataTypeID: 25 },
          ],
          rows: [
            [1, 'jane@example.com', null],
            [2, 'zoë@例え.jp', 'naïve ☕ 😀'],
          ],
        },
      ],
    });
  });

  it('gives rows as arrays when column names repeat, numerics and dates as text', async () => {
    const result = await exec([
      'pg',
      '-i',
      "select 1, 2, 12345678901234567890::numeric as big, '2024-01-02'::date as d",
      '-o',
      'json',
    ]);
    assert.equal(result.code, 0, result.stderr);
    const [first] = (JSON.parse(result.stdout) as { results: { rows: unknown[] }[] }).results;
    assert.deepEqual(first?.rows, [[1, 2, '12345678901234567890', '2024-01-02']]);
  });

  it('prints RFC 4180 CSV with a header; NULL is empty, an empty string is ""', async () => {
    const result = await exec([
      'pg',
      '-i',
      `select 'a,b' as x, 'say "hi"' as y, null as z, '' as w, e'two\\nlines' as v`,
      '--output',
      'csv',
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'x,y,z,w,v\n"a,b","say ""hi""",,"","two\nlines"\n');
  });

  it('reads the SQL from -f FILE', async () => {
    const file = path.join(dir, 'query.sql');
    await writeFile(file, 'select count(*) as n from customers;\n');
    const result = await exec(['pg', '-f', file, '-o', 'csv']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'n\n2\n');
  });

  it('reads the SQL from stdin when neither -i nor -f is given', async () => {
    const result = await exec(['pg', '-o', 'csv'], 'select email from customers where id = 2');
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'email\nzoë@例え.jp\n');
  });

  it('sends a multi-statement string as one query and prints one block per result', async () => {
    const json = await exec(['pg', '-i', "select 1 as a; select 'x' as b", '-o', 'json']);
    assert.equal(json.code, 0, json.stderr);
    const { results } = JSON.parse(json.stdout) as { results: { rows: unknown[] }[] };
    assert.deepEqual(
      results.map((r) => r.rows),
      [[[1]], [['x']]],
    );

    const ddl = await exec([
      'pg',
      '-i',
      'create temp table t (x int); select 1 as a',
      '-o',
      'json',
    ]);
    assert.deepEqual((JSON.parse(ddl.stdout) as { results: unknown[] }).results[0], {
      command: 'CREATE TABLE',
      tag: 'CREATE TABLE',
      rowCount: null,
      columns: [],
      rows: [],
    });

    const csv = await exec(['pg', '-i', "select 1 as a; select 'x' as b", '-o', 'csv']);
    assert.equal(csv.stdout, 'a\n1\n\nb\nx\n');

    const table = await exec([
      'pg',
      '-i',
      'create temp table t (x int); insert into t values (1), (2); select count(*) as n from t',
    ]);
    assert.equal(table.code, 0, table.stderr);
    assert.equal(table.stdout, 'CREATE TABLE\n\nINSERT 0 2\n\n n\n---\n 2\n(1 row)\n');
  });

  it('exits 3 on a refusal by policy, naming the rule; JSON on stdout with --output json', async () => {
    const result = await exec(['pg', '-i', 'drop table customers']);
    assert.equal(result.code, 3, result.stderr);
    assert.equal(result.stdout, '');
    assert.match(
      result.stderr,
      /^ERROR: hoop: refused by policy rule "no-drops": Dropping objects/,
    );
    assert.match(
      result.stderr,
      /\(SQLSTATE 42501\)\nHINT: The gateway's policy refuses this, not the database/,
    );

    const json = await exec(['pg', '-i', 'delete from customers', '--output', 'json']);
    assert.equal(json.code, 3, json.stderr);
    const { error } = JSON.parse(json.stdout) as { error: { code: string; message: string } };
    assert.equal(error.code, '42501');
    assert.match(error.message, /no-deletes/);

    const count = await exec(['pg', '-i', 'select count(*) from customers', '-o', 'csv']);
    assert.equal(count.stdout, 'count\n2\n', 'nothing was dropped or deleted');
  });

  it('exits 1 with the SQLSTATE when the target returns an error', async () => {
    const result = await exec(['pg', '-i', 'select * from nope']);
    assert.equal(result.code, 1);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /^ERROR: relation "nope" does not exist \(SQLSTATE 42P01\)$/m);
    assert.match(result.stderr, /^HINT: Check the names and types in the statement/m);

    const json = await exec(['pg', '-i', 'select * from nope', '-o', 'json']);
    assert.equal(json.code, 1);
    assert.equal((JSON.parse(json.stdout) as { error: { code: string } }).error.code, '42P01');
  });

  it('exits 2 for empty input, an unknown connection, or a connection of another type', async () => {
    const empty = await exec(['pg', '-i', '  \n']);
    assert.equal(empty.code, 2, empty.stderr);
    assert.match(empty.stderr, /input is empty/);

    const unknown = await exec(['nope', '-i', 'select 1']);
    assert.equal(unknown.code, 2, unknown.stderr);
    assert.match(unknown.stderr, /nope/);

    const tcp = await exec(['echo', '-i', 'select 1']);
    assert.equal(tcp.code, 2, tcp.stderr);
    assert.match(tcp.stderr, /postgres, mysql and ssh connections only.*echo is tcp/);

    const both = await exec(['pg', '-i', 'select 1', '-f', 'x.sql']);
    assert.equal(both.code, 2, both.stderr);
  });

  it('exits 5 without a token or with a wrong one', async () => {
    const none = await runHoop(['exec', 'pg', '-i', 'select 1'], { ...env, HOOP_TOKEN: '' });
    assert.equal(none.code, 5, none.stderr);
    assert.match(
      none.stderr,
      /^Error: not logged in.*\nRun `hoop login`, or set HOOP_TOKEN to an API key\.\n$/,
    );

    const wrong = await runHoop(['exec', 'pg', '-i', 'select 1', '-o', 'json'], {
      ...env,
      HOOP_TOKEN: 'hoop_not-a-key',
    });
    assert.equal(wrong.code, 5, wrong.stderr);
    assert.match(
      (JSON.parse(wrong.stdout) as { error: { code: string } }).error.code,
      /^HOOP_AUTH/,
    );
  });

  it('exits 6 when the gateway cannot be reached', async () => {
    const port = await freePort();
    const result = await exec(['pg', '-i', 'select 1', '--gateway', `http://127.0.0.1:${port}`]);
    assert.equal(result.code, 6, result.stderr);
    assert.match(
      result.stderr,
      /^Error: cannot reach the gateway.*\nCheck that the gateway is running and HOOP_GATEWAY \(or --gateway\) points at it\.\n$/,
    );
  });

  it('exits 6 when the gateway cannot reach the target', async () => {
    const result = await exec(['pg-down', '-i', 'select 1']);
    assert.equal(result.code, 6, result.stderr);
    assert.match(result.stderr, /SQLSTATE 08\w{3}\)\nHINT: The gateway lost the database/);
  });

  it('records each exec as a session of the connection', async () => {
    const sessions = await gateway.store.listSessions({ connection: 'pg' });
    assert.ok(sessions.length >= 5);
  });
});
