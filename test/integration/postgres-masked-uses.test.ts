import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { generateApiKey, hashApiKey } from '../../src/lib/api-key.js';
import { parseConfig } from '../../src/server/config/index.js';
import { startGateway, type Gateway } from '../../src/server/gateway.js';
import { createLogger } from '../../src/server/logger.js';
import { dial, startLocalListener, type LocalListener } from '../../src/tunnel/index.js';
import { runHoop } from '../helpers/cli.js';
import { startPostgres, type PgInstance } from '../helpers/postgres.js';

const SSN = '536-90-4381';
const EMAIL = 'jane.doe@example.com';

/**
 * Uses of a masked column other than output, decided per mask rule (issue
 * 12): with real PostgreSQL, the gateway in this process, tunnels and the
 * `pg` driver. An agent under the default rule may look customers up by
 * email, insert, update what is not masked and join on ids; copying, range
 * and pattern tests, ordering and renames are refused naming the rule and
 * the column. An analyst's rule allows predicates and ordering, nothing
 * else. A DBA has no mask.
 */
describe('postgres: uses of masked columns', () => {
  let postgres: PgInstance;
  let gateway: Gateway;
  let dir: string;
  const listeners: LocalListener[] = [];
  const ports: Record<string, number> = {};
  const keys = { agent: generateApiKey(), analyst: generateApiKey(), dba: generateApiKey() };

  before(async () => {
    postgres = await startPostgres({ authMethod: 'scram-sha-256', password: 'target-secret-uses' });
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    await admin.query(
      'create table customers (id int primary key, name text, email text, ssn text, plan text)',
    );
    await admin.query('insert into customers values ($1, $2, $3, $4, $5), ($6, $7, $8, $9, $10)', [
      1,
      'Jane Doe',
      EMAIL,
      SSN,
      'pro',
      2,
      'John Roe',
      'john.roe@example.org',
      '671-23-9054',
      'free',
    ]);
    await admin.query('create table orders (id int primary key, customer_id int, total numeric)');
    await admin.query('insert into orders values (1, 1, 19.90), (2, 2, 5.00), (3, 1, 7.50)');
    await admin.query('create table scratch (id int, note text)');
    await admin.end();

    dir = await mkdtemp(path.join(os.tmpdir(), 'hoop-pg-uses-'));
    const config = parseConfig(
      [
        'listen: 127.0.0.1:0',
        `store: sqlite:${path.join(dir, 'hoop.db')}`,
        'auth:',
        '  apiKeys:',
        `    - { name: agent-1, groups: [agents], keyHash: "${hashApiKey(keys.agent)}" }`,
        `    - { name: analyst-1, groups: [analysts], keyHash: "${hashApiKey(keys.analyst)}" }`,
        `    - { name: dba-1, groups: [dba], keyHash: "${hashApiKey(keys.dba)}" }`,
        'connections:',
        `  - { name: pg, type: postgres, host: 127.0.0.1, port: ${postgres.port}, database: ${postgres.database}, user: ${postgres.user}, password: "\${env:PG_PASSWORD}", groups: [agents, analysts, dba] }`,
        'policy:',
        '  - name: pii',
        '    match: { groups: [agents] }',
        '    effect: mask',
        '    mask: { columns: [customers.email, "*.ssn"] }',
        '  - name: pii-analysts',
        '    match: { groups: [analysts] }',
        '    effect: mask',
        '    mask: { columns: [customers.email, "*.ssn"], allow: [predicate, order] }',
        '  - name: people',
        '    match: { groups: [agents, analysts, dba] }',
        '    effect: allow',
      ].join('\n'),
      { file: path.join(dir, 'hoop.yaml'), env: { PG_PASSWORD: postgres.password } },
    );
    gateway = await startGateway({ config, logger: createLogger('silent') });
    const url = `${gateway.url.replace(/^http/, 'ws')}/api/tunnel/pg`;
    for (const [who, token] of Object.entries(keys)) {
      const listener = await startLocalListener({
        host: '127.0.0.1',
        port: 0,
        dial: () => dial({ url, token }),
      });
      listeners.push(listener);
      ports[who] = listener.address.port;
    }
  });

  after(async () => {
    for (const listener of listeners) await listener.close();
    await gateway?.close();
    await postgres?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const withClient = async <T>(
    who: keyof typeof keys,
    fn: (client: pg.Client) => Promise<T>,
  ): Promise<T> => {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: ports[who],
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

  /** The error a statement fails with (undefined when it succeeds). */
  const failure = (who: keyof typeof keys, sql: string, values?: unknown[]) =>
    withClient(who, (client) =>
      client.query(sql, values).then(
        () => undefined,
        (error: { code?: string; message: string }) => error,
      ),
    );

  describe('ordinary work under the default rule', () => {
    it('looks a customer up by email, as a constant and as a parameter, the email masked', async () => {
      await withClient('agent', async (client) => {
        const byConstant = await client.query(
          `select id, name, email from customers where email = '${EMAIL}'`,
        );
        assert.deepEqual(
          byConstant.rows.map((r) => [r.id, r.name]),
          [[1, 'Jane Doe']],
        );
        assert.notEqual(byConstant.rows[0].email, EMAIL);
        const byParameter = await client.query(
          'select id from customers c where c.email = $1 and ssn is not null',
          [EMAIL],
        );
        assert.deepEqual(byParameter.rows, [{ id: 1 }]);
      });
    });

    it('inserts new rows, updates unmasked columns, joins and orders by ids', async () => {
      await withClient('agent', async (client) => {
        await client.query(
          "insert into customers (id, name, email, ssn, plan) values (3, 'New One', 'new@example.net', '111-22-3333', 'free')",
        );
        await client.query("update customers set plan = 'team' where email = $1", [
          'new@example.net',
        ]);
        // A join on ids is not a use of a masked column (what masking does to its values is another matter).
        const joined = await client.query(
          'select c.id, c.name, o.id as order_id from customers c join orders o on o.customer_id = c.id order by o.id',
        );
        assert.deepEqual(
          joined.rows.map((r) => [r.id, r.name, r.order_id]),
          [
            [1, 'Jane Doe', 1],
            [2, 'John Roe', 2],
            [1, 'Jane Doe', 3],
          ],
        );
        const plans = await client.query('select plan from customers where id = 3');
        assert.deepEqual(plans.rows, [{ plan: 'team' }]);
        await client.query('delete from customers where id = 3');
      });
    });

    it('adds a plain column and copies unmasked columns elsewhere', async () => {
      await withClient('agent', async (client) => {
        await client.query('insert into scratch select id, plan from customers');
        await client.query('alter table orders add column shipped boolean default false');
      });
    });
  });

  describe('refusals under the default rule', () => {
    const refused: [string, RegExp][] = [
      [
        'insert into scratch select id, ssn from customers',
        /copies customers\.ssn.*allow: \[write\]/,
      ],
      ['create table copy as select email from customers', /copies customers\.email/],
      ["select id from customers where email like 'jane%'", /tests customers\.email/],
      ["select id from customers where substr(ssn, 1, 1) = '5'", /tests customers\.ssn/],
      ['select id from customers order by email', /orders or compares by customers\.email/],
      ['alter table customers rename column ssn to tax_id', /alters customers\.ssn/],
      ['alter table customers rename to clients', /alters table customers/],
      [
        "do $$ begin perform set_config('x.y', (select ssn from customers limit 1), false); end $$",
        /procedural code/,
      ],
    ];
    for (const [sql, message] of refused) {
      it(`refuses ${sql}`, async () => {
        const error = await failure('agent', sql);
        assert.ok(error, 'not refused');
        assert.equal(error.code, '42501');
        assert.match(error.message, /^hoop: refused by policy rule "pii": /);
        assert.match(error.message, message);
      });
    }

    it('leaves the target as it was and the session usable', async () => {
      await withClient('agent', async (client) => {
        await assert.rejects(client.query('update scratch set note = ssn from customers'), {
          code: '42501',
        });
        const { rows } = await client.query(
          'select count(*)::int as n from scratch where note like $1',
          ['%-%-%'],
        );
        assert.deepEqual(rows, [{ n: 0 }]);
      });
      const direct = new pg.Client({ connectionString: postgres.url });
      await direct.connect();
      try {
        const tables = await direct.query(
          "select relname from pg_class where relname in ('copy', 'clients')",
        );
        assert.deepEqual(tables.rows, []);
        const columns = await direct.query(
          "select attname from pg_attribute where attrelid = 'customers'::regclass and attname = 'ssn'",
        );
        assert.equal(columns.rowCount, 1);
      } finally {
        await direct.end();
      }
    });

    it('records the refusal as a denial by the mask rule', async () => {
      const sql = 'insert into scratch select id, email from customers';
      assert.ok(await failure('agent', sql));
      const sessions = await gateway.store.listSessions({ connection: 'pg' });
      let found: { decision: string; rule?: string | undefined } | undefined;
      for (const session of sessions) {
        const events = await gateway.store.listEvents(session.id);
        found ??= events.find((event) => event.text === sql) as typeof found;
      }
      assert.equal(found?.decision, 'deny');
      assert.equal(found?.rule, 'pii');
    });

    it('hoop exec exits 3 with the rule on stderr', async () => {
      const result = await runHoop(
        ['exec', 'pg', '-i', "select id from customers where ssn like '5%'"],
        { HOOP_GATEWAY: gateway.url, HOOP_TOKEN: keys.agent },
      );
      assert.equal(result.code, 3, result.stderr);
      assert.match(result.stderr, /policy rule "pii"/);
      assert.doesNotMatch(result.stdout + result.stderr, /536-90-4381/);
    });
  });

  describe('a rule that allows predicates and ordering', () => {
    it('answers a LIKE and an ORDER BY on the masked column, still masked', async () => {
      await withClient('analyst', async (client) => {
        const { rows } = await client.query(
          "select id, email from customers where email like '%@example.%' order by email",
        );
        assert.deepEqual(
          rows.map((r) => r.id),
          [1, 2],
        );
        for (const row of rows) assert.doesNotMatch(row.email, /^(jane\.doe|john\.roe)@/);
      });
    });

    it('still refuses writes and renames, naming its own rule', async () => {
      for (const [sql, use] of [
        ['insert into scratch select id, ssn from customers', 'write'],
        ['alter table customers rename column email to contact', 'alter'],
      ] as const) {
        const error = await failure('analyst', sql);
        assert.equal(error?.code, '42501', sql);
        assert.match(error?.message ?? '', /rule "pii-analysts".*allow: \[/);
        assert.match(error?.message ?? '', new RegExp(`allow: \\[${use}\\]`));
      }
    });
  });

  it('a caller no mask rule applies to may do all of it', async () => {
    await withClient('dba', async (client) => {
      const { rows } = await client.query(
        "select ssn from customers where ssn like '5%' order by email",
      );
      assert.deepEqual(rows, [{ ssn: SSN }]);
      await client.query('create temp table t as select ssn from customers');
    });
  });
});
