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
import { startPostgres, type PgInstance } from '../helpers/postgres.js';

const CUSTOMERS = [
  [
    1,
    'Jane Doe',
    'jane.doe@example.com',
    '4242 4242 4242 4242',
    '+1 415 555 2671',
    'call her at (415) 555-2671 after six',
  ],
  [2, 'John Roe', 'john.roe@example.org', '5555555555554444', '020 7946 0958', 'prefers letters'],
] as const;

/**
 * Result masking on the PostgreSQL data path, with real parts: PostgreSQL,
 * the gateway in this process with a mask rule, a tunnel listener in this
 * process, and the `pg` driver.
 */
describe('postgres result masking', () => {
  let postgres: PgInstance;
  let gateway: Gateway;
  let dir: string;
  const listeners: LocalListener[] = [];
  const ports: Record<string, number> = {};
  const keys = { agent: generateApiKey(), dba: generateApiKey() };

  before(async () => {
    postgres = await startPostgres({ authMethod: 'scram-sha-256', password: 'target-secret-m4sk' });
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    await admin.query(
      'create table customers (id int primary key, name text, email text, card_number text, phone text, notes text)',
    );
    for (const row of CUSTOMERS) {
      await admin.query('insert into customers values ($1, $2, $3, $4, $5, $6)', [...row]);
    }
    await admin.query('create table orders (id int primary key, total numeric, note text)');
    await admin.query("insert into orders values (1, 19.90, 'gift wrap'), (2, 5.00, null)");
    await admin.end();

    dir = await mkdtemp(path.join(os.tmpdir(), 'hoop-pg-mask-'));
    const config = parseConfig(
      [
        'listen: 127.0.0.1:0',
        `store: sqlite:${path.join(dir, 'hoop.db')}`,
        'auth:',
        '  apiKeys:',
        `    - { name: agent-1, groups: [agents], keyHash: "${hashApiKey(keys.agent)}" }`,
        `    - { name: dba-1, groups: [dba], keyHash: "${hashApiKey(keys.dba)}" }`,
        'connections:',
        `  - { name: pg, type: postgres, host: 127.0.0.1, port: ${postgres.port}, database: ${postgres.database}, user: ${postgres.user}, password: "\${env:PG_PASSWORD}", groups: [agents, dba] }`,
        'policy:',
        '  - name: pii',
        '    match: { groups: [agents] }',
        '    effect: mask',
        '    mask:',
        '      columns: [customers.email, "*.card_number"]',
        '      detectors: [email, credit_card, phone]',
        '  - name: people',
        '    match: { groups: [agents, dba] }',
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

  /** Runs `fn` with a `pg` client through the gateway as `who` (no password: the tunnel is authenticated). */
  const withClient = async <T>(
    who: 'agent' | 'dba' | 'direct',
    fn: (client: pg.Client) => Promise<T>,
    options: Partial<pg.ClientConfig> = {},
  ): Promise<T> => {
    const client = new pg.Client(
      who === 'direct'
        ? { connectionString: postgres.url, ...options }
        : {
            host: '127.0.0.1',
            port: ports[who],
            user: 'whoever',
            database: postgres.database,
            ...options,
          },
    );
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  };

  it('masks selected columns whole and keeps the others: select *', async () => {
    const { rows } = await withClient('agent', (c) =>
      c.query('select * from customers order by id'),
    );
    assert.deepEqual(rows[0], {
      id: 1,
      name: 'Jane Doe',
      email: 'j***@example.com',
      card_number: '**** **** **** 4242',
      phone: '+* *** *** **71',
      notes: 'call her at (***) ***-**71 after six',
    });
    assert.equal(rows[1].email, 'j***@example.org');
    assert.equal(rows[1].card_number, '************4444');
    assert.equal(rows[1].notes, 'prefers letters');
  });

  it('regression: refuses COPY TO a server file or program while masks apply (the rows would bypass masking)', async () => {
    await withClient('agent', async (c) => {
      for (const sql of [
        "copy customers to '/tmp/hoop-never-written'",
        "copy (select email from customers) to program 'cat > /dev/null'",
      ]) {
        await assert.rejects(c.query(sql), (error: { code?: string; message: string }) => {
          assert.equal(error.code, '42501');
          assert.match(
            error.message,
            /COPY TO a server file or program is refused while masking applies/,
          );
          return true;
        });
      }
    });
  });

  it('masks through an alias, an expression and a join', async () => {
    await withClient('agent', async (c) => {
      const aliased = await c.query('select email as e from customers where id = 1');
      assert.deepEqual(aliased.rows, [{ e: 'j***@example.com' }]);
      const lowered = await c.query('select lower(email) as l, id from customers where id = 1');
      // Derived from the masked column: redacted whole, no character of it kept.
      assert.deepEqual(lowered.rows, [{ l: '***', id: 1 }]);
      const concatenated = await c.query(
        "select 'x' || card_number as v from customers where id = 2",
      );
      assert.notEqual(concatenated.rows[0].v, 'x5555555555554444');
      assert.doesNotMatch(concatenated.rows[0].v as string, /5555555555554444/);
      const joined = await c.query(
        'select c.* from customers c join (select 1 as id) x using (id)',
      );
      assert.equal(joined.rows[0].email, 'j***@example.com');
      assert.equal(joined.rows[0].card_number, '**** **** **** 4242');
      assert.equal(joined.rows[0].name, 'Jane Doe');
      const json = await c.query('select row_to_json(c) as j from customers c where id = 1');
      assert.equal(json.rows[0].j, null, 'a masked json value is NULL, valid for its type');
    });
  });

  it('masks a phone number inside free text by detector', async () => {
    const { rows } = await withClient('agent', (c) =>
      c.query('select notes from customers where id = 1'),
    );
    assert.deepEqual(rows, [{ notes: 'call her at (***) ***-**71 after six' }]);
  });

  it('masks results of the extended protocol, with parameters and prepared statements', async () => {
    await withClient('agent', async (c) => {
      const first = await c.query({
        name: 'by-id',
        text: 'select id, email, card_number from customers where id = $1',
        values: [2],
      });
      assert.deepEqual(first.rows, [
        { id: 2, email: 'j***@example.org', card_number: '************4444' },
      ]);
      const again = await c.query({
        name: 'by-id',
        text: 'select id, email, card_number from customers where id = $1',
        values: [1],
      });
      assert.deepEqual(again.rows, [
        { id: 1, email: 'j***@example.com', card_number: '**** **** **** 4242' },
      ]);
      const unnamed = await c.query('select name, email from customers where id = $1', [1]);
      assert.deepEqual(unnamed.rows, [{ name: 'Jane Doe', email: 'j***@example.com' }]);
    });
  });

  it('sends NULL for masked columns requested in the binary format', async () => {
    // `binary: true` makes the driver ask for every result column in the binary format (Bind result format 1).
    const { rows } = await withClient(
      'agent',
      (c) => c.query('select id, name, email, card_number from customers where id = $1', [1]),
      // The driver reads it at run time; @types/pg lists it on `defaults` only.
      { binary: true } as Partial<pg.ClientConfig>,
    );
    assert.equal(rows.length, 1);
    assert.equal(rows[0].id, 1);
    assert.equal(rows[0].name, 'Jane Doe');
    assert.equal(rows[0].email, null);
    assert.equal(rows[0].card_number, null);
  });

  it('passes results untouched where no mask applies', async () => {
    const query = { text: 'select * from customers order by id', rowMode: 'array' as const };
    const direct = await withClient('direct', (c) => c.query(query));
    const unmasked = await withClient('dba', (c) => c.query(query));
    assert.deepEqual(unmasked.rows, direct.rows, 'an identity no mask rule matches sees the data');
    const orders = { text: 'select * from orders order by id', rowMode: 'array' as const };
    assert.deepEqual(
      (await withClient('agent', (c) => c.query(orders))).rows,
      (await withClient('direct', (c) => c.query(orders))).rows,
    );
    const count = await withClient('agent', (c) =>
      c.query('select count(*)::int as n, max(id) as m from customers'),
    );
    assert.deepEqual(count.rows, [{ n: 2, m: 2 }], 'non-text expressions are not masked');
  });

  it('keeps the session in order across many masked results in one string', async () => {
    await withClient('agent', async (c) => {
      const results = (await c.query(
        'select email from customers where id = 1; select 42 as answer; select card_number from customers where id = 2',
      )) as unknown as pg.QueryResult[];
      assert.equal(results.length, 3);
      assert.deepEqual(results[0]!.rows, [{ email: 'j***@example.com' }]);
      assert.deepEqual(results[1]!.rows, [{ answer: 42 }]);
      assert.deepEqual(results[2]!.rows, [{ card_number: '************4444' }]);
      const { rows } = await c.query('select id from customers order by id');
      assert.deepEqual(rows, [{ id: 1 }, { id: 2 }]);
    });
  });
});
