// `hoop policy test` says what the gateway does: the same rules and cases, once through the
// built CLI (run `npm run build` first) and once through the real gateway, a real PostgreSQL
// and the `pg` driver. Every case that passes the CLI behaves on the wire as it expects.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';

import { dial, startLocalListener, type LocalListener } from '../../src/tunnel/index.js';
import { runHoop } from '../helpers/cli.js';
import { postgresConnection, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startPostgres, type PgInstance } from '../helpers/postgres.js';

const RULES = [
  {
    name: 'no-drops',
    match: { statements: ['drop', 'truncate'] },
    effect: 'deny',
    message: 'Dropping objects is not allowed',
  },
  { name: 'no-vault', match: { tables: ['vault.secrets'] }, effect: 'deny' },
  {
    name: 'pii',
    match: { connections: ['*'] },
    effect: 'mask',
    mask: { columns: ['customers.email'] },
  },
  { name: 'agents', match: { groups: ['agents'] }, effect: 'allow' },
];

interface Case {
  name: string;
  sql: string;
  expect: { effect: 'allow' | 'deny'; rule: string; masks?: string[]; masked?: string[] };
}

const CASES: Case[] = [
  {
    name: 'reads are allowed, emails masked',
    sql: 'select id, email from customers order by id',
    expect: { effect: 'allow', rule: 'agents', masks: ['pii'], masked: ['customers.email'] },
  },
  {
    name: 'a drop in any statement refuses the string',
    sql: 'select 1; drop table customers',
    expect: { effect: 'deny', rule: 'no-drops' },
  },
  {
    name: 'the vault, even unqualified',
    sql: 'select * from secrets',
    expect: { effect: 'deny', rule: 'no-vault' },
  },
  {
    name: 'the vault, qualified',
    sql: 'select * from vault.secrets',
    expect: { effect: 'deny', rule: 'no-vault' },
  },
  {
    name: 'writes elsewhere are allowed',
    sql: "insert into orders values (1, 'new')",
    expect: { effect: 'allow', rule: 'agents', masks: ['pii'] },
  },
];

describe('hoop policy test agrees with the gateway', () => {
  let postgres: PgInstance;
  let gw: TestGateway;
  let listener: LocalListener;
  let dir: string;

  before(async () => {
    postgres = await startPostgres();
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    await admin.query(`
      create table customers (id int primary key, email text);
      insert into customers values (1, 'jane@example.com');
      create table orders (id int, status text);
      create schema vault;
      create table vault.secrets (k text);
      create table secrets (k text);`);
    await admin.end();
    gw = await startTestGateway({
      connections: postgresConnection(postgres),
      env: { PG_PASSWORD: postgres.password },
      policy: RULES,
    });
    const token = gw.keys['agent-1'] ?? '';
    listener = await startLocalListener({
      host: '127.0.0.1',
      port: 0,
      dial: () => dial({ url: `${gw.url.replace(/^http/, 'ws')}/api/tunnel/pg`, token }),
    });
    dir = await mkdtemp(path.join(os.tmpdir(), 'hoop-agreement-'));
  });

  after(async () => {
    await listener?.close();
    await gw?.close();
    await postgres?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the CLI passes the cases, and the wire does what each expects', async () => {
    // JSON is YAML: the same rules the gateway has inline, as a policy file.
    await writeFile(path.join(dir, 'policy.yaml'), `rules: ${JSON.stringify(RULES)}\n`);
    const cases = CASES.map((c) => ({
      ...c,
      apiKey: 'agent-1',
      groups: ['agents'],
      connection: 'pg',
      type: 'postgres',
    }));
    await writeFile(path.join(dir, 'policy.test.yaml'), `cases: ${JSON.stringify(cases)}\n`);
    const result = await runHoop(['policy', 'test', path.join(dir, 'policy.yaml')]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, new RegExp(`^${CASES.length} passed, 0 failed$`, 'm'));

    const client = new pg.Client({
      host: '127.0.0.1',
      port: listener.address.port,
      user: 'whoever',
      database: postgres.database,
    });
    await client.connect();
    try {
      for (const c of CASES) {
        if (c.expect.effect === 'deny') {
          await assert.rejects(
            client.query(c.sql),
            (error: Error & { code?: string }) =>
              error.code === '42501' && error.message.includes(`"${c.expect.rule}"`),
            c.name,
          );
          continue;
        }
        const rows = await client.query(c.sql);
        if (c.expect.masked?.includes('customers.email')) {
          const { email } = rows.rows[0] as { email: string };
          assert.notEqual(email, 'jane@example.com', c.name);
          assert.match(email, /\*/, c.name);
        }
      }
    } finally {
      await client.end();
    }
  });
});
