import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { tool } from '../helpers/tools.js';
import { postgresConnection, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startPostgres, type PgInstance } from '../helpers/postgres.js';
import { dial, startLocalListener, type LocalListener } from '../../src/tunnel/index.js';

const execFileAsync = promisify(execFile);

/**
 * Masking follows the data through the parse tree: expressions derived from a
 * masked column are masked, those derived from other columns are not. Real
 * parts: PostgreSQL, the gateway in this process with a mask rule on
 * `customers.email` only (no detectors, so what is masked is the lineage's
 * doing), a tunnel listener, the `pg` driver and psql.
 */
describe('postgres masking by lineage', () => {
  let postgres: PgInstance;
  let gw: TestGateway;
  let listener: LocalListener;

  before(async () => {
    postgres = await startPostgres({ authMethod: 'scram-sha-256', password: 'target-secret-l1n3' });
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    await admin.query('create table customers (id int primary key, name text, email text)');
    await admin.query(
      "insert into customers values (1, 'Jane Doe', 'jane.doe@example.com'), (2, 'John Roe', 'john.roe@example.org')",
    );
    await admin.query('create table orders (id int primary key, customer int, note text)');
    await admin.query("insert into orders values (10, 1, 'gift wrap'), (11, 2, 'leave at door')");
    await admin.end();
    gw = await startTestGateway({
      connections: postgresConnection(postgres),
      env: { PG_PASSWORD: postgres.password },
      policy: [
        {
          name: 'emails',
          match: { groups: ['agents'] },
          effect: 'mask',
          // These cases are about masking output: grouping and row counts over the email are allowed here.
          mask: { columns: ['customers.email'], allow: ['predicate', 'order'] },
        },
        { name: 'agents', match: { groups: ['agents'] }, effect: 'allow' },
      ],
    });
    const token = gw.keys['agent-1'] ?? '';
    listener = await startLocalListener({
      host: '127.0.0.1',
      port: 0,
      dial: () => dial({ url: `${gw.url.replace(/^http/, 'ws')}/api/tunnel/pg`, token }),
    });
  });

  after(async () => {
    await listener?.close();
    await gw?.close();
    await postgres?.stop();
  });

  const withClient = async <T>(fn: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: listener.address.port,
      user: 'whoever',
      database: postgres.database,
    });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  };

  /** The first cell of the result of `sql`. */
  const cell = async (sql: string): Promise<unknown> => (await rows(sql))[0]?.[0];

  /** The rows of `sql` (simple protocol) as arrays. */
  const rows = (sql: string): Promise<unknown[][]> =>
    withClient(async (c) => (await c.query({ text: sql, rowMode: 'array' })).rows as unknown[][]);

  it('masks an expression of a masked column and passes one of another column', async () => {
    assert.deepEqual(await rows('select upper(name), lower(email) from customers order by id'), [
      ['JANE DOE', '***'],
      ['JOHN ROE', '***'],
    ]);
    const joined = await cell("select name || ' ' || email from customers where id = 1");
    assert.doesNotMatch(String(joined), /jane\.doe/);
    assert.deepEqual(await rows('select count(*) from customers'), [['2']]);
    assert.deepEqual(await rows('select count(*)::text, max(name) from customers'), [
      ['2', 'John Roe'],
    ]);
  });

  it('masks derivations of any type: only a hash a rule allows may pass', async () => {
    // Lengths, character codes, bytes and aggregates of a masked column become NULL…
    assert.deepEqual(
      await rows(
        'select length(email), ascii(email), email::bytea, count(email), id from customers where id = 1 group by email, id',
      ),
      [[null, null, null, null, 1]],
    );
    // …while numbers that do not come from it pass.
    assert.deepEqual(
      await rows('select count(*), max(id), max(length(name)) from customers where id = 1'),
      [['1', 1, 8]],
    );
  });

  it('masks whole-row references to a table with a masked column', async () => {
    for (const sql of [
      'select c from customers c where id = 1',
      'select row_to_json(c) from customers c where id = 1',
      'select c::text from customers c where id = 1',
    ]) {
      const value = await cell(sql);
      assert.doesNotMatch(JSON.stringify(value), /jane\.doe/, sql);
    }
    // A whole row of a table without a masked column passes.
    const order = await cell('select o::text from orders o where id = 10');
    assert.equal(order, '(10,1,"gift wrap")');
  });

  it('follows CTEs, subqueries in FROM and in the select list, and LATERAL', async () => {
    assert.deepEqual(
      await rows('with x as (select email e from customers where id = 1) select upper(e) from x'),
      [['***']],
    );
    assert.deepEqual(
      await rows(
        'select lower(x.e), x.n from (select email e, name n from customers) x where x.n = $$Jane Doe$$',
      ),
      [['***', 'Jane Doe']],
    );
    assert.deepEqual(
      await rows('select (select email from customers order by id limit 1), 42 as answer'),
      [['***', 42]],
    );
    assert.deepEqual(
      await rows(
        'select l.v, c.name from customers c, lateral (select lower(c.email) as v) l where c.id = 2',
      ),
      [['***', 'John Roe']],
    );
    assert.deepEqual(
      await rows('select u, c.name from customers c, unnest(array[c.email]) u where c.id = 2'),
      [['***', 'John Roe']],
    );
  });

  it('unions per position and over-approximates unqualified columns of a join', async () => {
    assert.deepEqual(
      await rows(
        'select upper(name) from customers where id = 1 union all select upper(note) from orders where id = 10',
      ),
      [['JANE DOE'], ['GIFT WRAP']],
    );
    assert.deepEqual(
      await rows(
        'select lower(email) from customers where id = 1 union all select note from orders where id = 10',
      ),
      [['***'], ['***']],
      'a position that may hold an email is masked in every row',
    );
    assert.deepEqual(
      await rows(
        'select upper(name), upper(note), lower(email) from customers c join orders o on o.customer = c.id order by o.id',
      ),
      [
        ['JANE DOE', 'GIFT WRAP', '***'],
        ['JOHN ROE', 'LEAVE AT DOOR', '***'],
      ],
    );
  });

  it('masks INSERT … RETURNING and only the masked statement of a multi-statement Query', async () => {
    await withClient(async (c) => {
      await c.query('begin');
      const inserted = await c.query(
        "insert into customers values (3, 'Ann Poe', 'ann.poe@example.net') returning email, upper(name)",
      );
      assert.deepEqual(inserted.rows, [{ email: 'a***@example.net', upper: 'ANN POE' }]);
      await c.query('rollback');
      const results = (await c.query(
        "select 1 as one, 'x@y.example' as lit; select lower(email), upper(name) from customers where id = 1",
      )) as unknown as pg.QueryResult[];
      assert.deepEqual(results[0]!.rows, [{ one: 1, lit: 'x@y.example' }]);
      assert.deepEqual(results[1]!.rows, [{ lower: '***', upper: 'JANE DOE' }]);
      // The same through the extended protocol: one statement per Parse.
      const extended = await c.query(
        'select upper(name), lower(email) from customers where id = $1',
        [2],
      );
      assert.deepEqual(extended.rows, [{ upper: 'JOHN ROE', lower: '***' }]);
    });
  });

  it('masks what it cannot trace: an unknown function over a table with a masked column', async () => {
    assert.deepEqual(await rows('select quote_literal(name) from customers where id = 1'), [
      ["'Jane Doe'"],
    ]);
    const unknown = await cell(
      'select pg_catalog.textin(pg_catalog.textout(name)) from customers where id = 1',
    );
    assert.equal(
      unknown,
      '***',
      'a function outside the known built-ins is masked when its table has a masked column',
    );
  });

  it('answers psql with the traced masks', async () => {
    const { stdout } = await execFileAsync(
      tool('psql'),
      [
        `postgres://127.0.0.1:${listener.address.port}/${postgres.database}`,
        '-XAtc',
        'select upper(name), lower(email) from customers order by id',
      ],
      { env: { ...process.env, PGPASSWORD: '', PGCONNECT_TIMEOUT: '10' }, timeout: 30_000 },
    );
    assert.equal(stdout.trim(), 'JANE DOE|***\nJOHN ROE|***');
  });
});
