import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startMariaDb, type MariaDbInstance } from '../helpers/mariadb.js';
import { startLocalListener, dial, type LocalListener } from '../../src/tunnel/index.js';
import { runHoop } from '../helpers/cli.js';
import { hoopEnv } from '../helpers/tunnel.js';

const execFileAsync = promisify(execFile);

/**
 * `type: mysql` end to end: the real `mariadb` client and mysql2 (text and
 * prepared statements) through a gateway on port 0 to a MariaDB the test
 * starts. The gateway logs in with the stored password (the client sends
 * none), refuses by policy with ERR 1142 and keeps the session usable, and
 * masks text and binary rows.
 */
describe('mysql: the data path through the gateway', { timeout: 400_000 }, () => {
  let maria: MariaDbInstance;
  let gw: TestGateway;
  let listener: LocalListener;
  let admin: mysql.Connection;

  before(async () => {
    maria = await startMariaDb();
    admin = await mysql.createConnection(maria.url);
    await admin.query(
      'create table customers (id int primary key, name varchar(50), email varchar(100), card_number varchar(30), age int)',
    );
    await admin.query(
      "insert into customers values (1, 'Ann', 'ann@example.com', '4242424242424242', 41), (2, 'Bob', 'bob@example.com', '5555555555554444', 35)",
    );
    await admin.query(
      'create table orders (id int primary key, customer_id int, total decimal(10,2))',
    );
    await admin.query('insert into orders values (1, 1, 9.50)');
    gw = await startTestGateway({
      connections: `  - { name: maria, type: mysql, host: 127.0.0.1, port: ${maria.port}, database: ${maria.database}, user: ${maria.user}, password: "\${env:MYSQL_PASSWORD}", groups: [agents] }`,
      env: { MYSQL_PASSWORD: maria.password },
      policy: [
        {
          name: 'no-drops',
          match: { statements: ['drop', 'truncate'] },
          effect: 'deny',
          message: 'Dropping objects in production is not allowed',
        },
        {
          name: 'pii',
          match: { connections: ['*'] },
          effect: 'mask',
          mask: { columns: ['customers.email', '*.card_number'], detectors: ['email'] },
        },
        { name: 'agents', match: { groups: ['agents'] }, effect: 'allow' },
      ],
    });
    listener = await startLocalListener({
      host: '127.0.0.1',
      port: 0,
      dial: () =>
        dial({
          url: `${gw.url.replace(/^http/, 'ws')}/api/tunnel/maria`,
          token: gw.keys['agent-1']!,
        }),
    });
  });

  after(async () => {
    await listener?.close();
    await gw?.close();
    await admin?.end();
    await maria?.stop();
  });

  const connect = (options: Partial<mysql.ConnectionOptions> = {}) =>
    mysql.createConnection({
      host: '127.0.0.1',
      port: listener.address.port,
      user: 'whoever',
      database: maria.database,
      ...options,
    });

  const tables = async () =>
    ((await admin.query('show tables'))[0] as Record<string, string>[]).map(
      (row) => Object.values(row)[0],
    );

  it('logs in with the stored password while the client sends none, as the connection user', async () => {
    const c = await connect();
    try {
      const [rows] = await c.query('select current_user() as who, database() as db');
      const row = (rows as { who: string; db: string }[])[0]!;
      assert.match(row.who, new RegExp(`^${maria.user}@`));
      assert.equal(row.db, maria.database);
    } finally {
      await c.end();
    }
  });

  it('refuses a drop with ERR 1142 naming the rule; the session stays usable and the table stays', async () => {
    const c = await connect();
    try {
      await assert.rejects(
        c.query('drop table orders'),
        (error: { errno?: number; sqlState?: string; message: string }) => {
          assert.equal(error.errno, 1142);
          assert.equal(error.sqlState, '42000');
          assert.match(error.message, /no-drops/);
          return true;
        },
      );
      const [rows] = await c.query('select count(*) as n from orders');
      assert.equal((rows as { n: number }[])[0]!.n, 1);
    } finally {
      await c.end();
    }
    assert.ok((await tables()).includes('orders'));
  });

  it('refuses a drop hidden in an executable comment or after a backslash-escaped quote', async () => {
    const c = await connect({ multipleStatements: true });
    try {
      for (const sql of [
        'select 1; /*! drop table orders */',
        'select 1 /*M!100000 ; drop table orders */',
        'select 1 # \n; truncate orders',
      ]) {
        await assert.rejects(
          c.query(sql),
          (error: { errno?: number }) => error.errno === 1142,
          sql,
        );
      }
    } finally {
      await c.end();
    }
    const c2 = await connect({ multipleStatements: true });
    try {
      // The backslash escapes the quote: one string, no drop, as the server reads it.
      const [rows] = await c2.query("select '\\'; drop table orders; -- ' as s");
      assert.deepEqual(rows, [{ s: "'; drop table orders; -- " }]);
    } finally {
      await c2.end();
    }
    assert.ok((await tables()).includes('orders'));
    const [rows] = await admin.query('select count(*) as n from orders');
    assert.equal((rows as { n: number }[])[0]!.n, 1);
  });

  it('masks text rows by column and by detector', async () => {
    const c = await connect();
    try {
      const [rows] = await c.query(
        'select id, name, email, card_number, age from customers order by id',
      );
      const first = (rows as Record<string, unknown>[])[0]!;
      assert.equal(first.name, 'Ann');
      assert.notEqual(first.email, 'ann@example.com');
      assert.doesNotMatch(String(first.email), /ann@example/);
      assert.doesNotMatch(String(first.card_number), /4242424242424242/);
      assert.equal(first.age, 41);
      const [derived] = await c.query(
        "select concat(email, '') as e, upper(email) as u from customers",
      );
      for (const row of derived as Record<string, string>[]) {
        assert.doesNotMatch(JSON.stringify(row), /ann@|bob@/i);
      }
    } finally {
      await c.end();
    }
  });

  it('masks binary rows of prepared statements (mysql2 execute), a masked number becoming NULL', async () => {
    const c = await connect();
    try {
      const [rows] = await c.execute(
        'select id, email, card_number, age from customers where id = ?',
        [2],
      );
      const row = (rows as Record<string, unknown>[])[0]!;
      assert.equal(row.id, 2);
      assert.doesNotMatch(String(row.email), /bob@example/);
      assert.doesNotMatch(String(row.card_number), /5555555555554444/);
      assert.equal(row.age, 35);
      const [lengths] = await c.execute(
        'select length(email) as n from customers where id = ?',
        [2],
      );
      assert.equal((lengths as { n: number | null }[])[0]!.n, null);
      await assert.rejects(
        c.execute('drop table orders'),
        (error: { errno?: number }) => error.errno === 1142,
      );
    } finally {
      await c.end();
    }
  });

  it('refuses copying masked values elsewhere: INSERT … SELECT, SELECT … INTO @v, CREATE TABLE … SELECT', async () => {
    const c = await connect();
    try {
      await c.query('create table copy (e varchar(100))');
      for (const sql of [
        'insert into copy select email from customers',
        'select email into @v from customers limit 1',
        'create table copy2 as select email from customers',
        'set @v := (select email from customers limit 1)',
      ]) {
        await assert.rejects(
          c.query(sql),
          (error: { errno?: number; message: string }) =>
            error.errno === 1142 && /pii/.test(error.message),
          sql,
        );
      }
    } finally {
      await c.end();
    }
    const [rows] = await admin.query('select count(*) as n from copy');
    assert.equal((rows as { n: number }[])[0]!.n, 0);
  });

  it('refuses a change of how the server lexes SQL (SET NAMES gbk, ANSI_QUOTES) and pins the database', async () => {
    const c = await connect();
    try {
      for (const sql of [
        'set names gbk',
        "set sql_mode = 'ANSI_QUOTES'",
        'set character_set_client = latin1',
        'use mysql',
      ]) {
        await assert.rejects(
          c.query(sql),
          (error: { errno?: number }) => error.errno === 1142,
          sql,
        );
      }
      await assert.rejects(c.changeUser({ database: 'mysql' }));
    } finally {
      c.destroy();
    }
  });

  it('COM_CHANGE_USER never changes the target user', async () => {
    const c = await connect();
    try {
      await c.changeUser({ user: 'root' });
      const [rows] = await c.query('select current_user() as who');
      assert.match((rows as { who: string }[])[0]!.who, new RegExp(`^${maria.user}@`));
    } finally {
      await c.end();
    }
  });

  it('serves the mariadb command-line client with no password', async () => {
    const { stdout } = await execFileAsync('mariadb', [
      '-h',
      '127.0.0.1',
      '-P',
      String(listener.address.port),
      '--protocol=TCP',
      '-u',
      'anyone',
      '--skip-ssl',
      '-N',
      '-B',
      maria.database,
      '-e',
      'select name, email from customers order by id',
    ]);
    assert.match(stdout, /^Ann\t/m);
    assert.doesNotMatch(stdout, /ann@example\.com/);
    const refused = await execFileAsync('mariadb', [
      '-h',
      '127.0.0.1',
      '-P',
      String(listener.address.port),
      '--protocol=TCP',
      '--skip-ssl',
      maria.database,
      '-e',
      'drop table orders',
    ]).then(
      () => undefined,
      (error: { stderr: string }) => error.stderr,
    );
    assert.match(refused ?? '', /ERROR 1142 \(42000\).*no-drops/);
  });

  it('hoop exec runs SQL with --output json|csv|table, masked, and exits 3 for a refusal', async () => {
    const env = hoopEnv(gw);
    const json = await runHoop(
      [
        'exec',
        'maria',
        '-i',
        'select id, name, email from customers order by id',
        '--output',
        'json',
      ],
      env,
    );
    assert.equal(json.code, 0, json.stderr);
    const parsed = JSON.parse(json.stdout) as {
      results: { columns: { name: string; type: string }[]; rows: unknown[][] }[];
    };
    const result = parsed.results[0]!;
    assert.deepEqual(
      result.columns.map((c) => c.name),
      ['id', 'name', 'email'],
    );
    assert.equal(result.columns[0]!.type, 'int4');
    assert.equal(result.rows.length, 2);
    assert.doesNotMatch(json.stdout, /ann@example/);
    const csv = await runHoop(
      ['exec', 'maria', '-i', 'select name from customers order by id', '--output', 'csv'],
      env,
    );
    assert.equal(csv.code, 0, csv.stderr);
    assert.match(csv.stdout, /^name\r?\nAnn\r?\nBob/);
    const table = await runHoop(
      ['exec', 'maria', '-i', 'select name from customers order by id'],
      env,
    );
    assert.match(table.stdout, /Ann/);
    const refused = await runHoop(['exec', 'maria', '-i', 'drop table orders'], env);
    assert.equal(refused.code, 3, refused.stderr);
    assert.match(refused.stderr, /no-drops/);
    assert.ok((await tables()).includes('orders'));
  });

  it('records each statement through the audit recorder: text, kinds, tables, decision, rule, error code', async () => {
    const sessions = await gw.gateway.store.listSessions({ connection: 'maria' });
    const events = (
      await Promise.all(sessions.map((session) => gw.gateway.store.listEvents(session.id)))
    ).flat();
    const text = JSON.stringify(events);
    const drop = events.find((event) => JSON.stringify(event).includes('"drop table orders"'));
    assert.ok(drop, 'the refused drop is recorded');
    assert.match(JSON.stringify(drop), /no-drops/);
    assert.match(JSON.stringify(drop), /1142/);
    assert.match(text, /"customers"/);
    assert.doesNotMatch(text, /ann@example\.com/, 'previews keep masked values only');
  });
});
