import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import pg from 'pg';
import { postgresConnection, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startPostgres, type PgInstance } from '../helpers/postgres.js';
import { startLocalListener, dial, type LocalListener } from '../../src/tunnel/index.js';

interface PgError {
  code?: string;
  message: string;
}

/**
 * Statements decided by what they make the server run, through the
 * gateway: a function's body, a trigger, a rule, a view, an operator. The
 * policy lets the agent change the schema and read and write, but never
 * delete from `accounts` nor read `secrets`; every attack reaches one of
 * those through code the statement's text does not show, and each case
 * checks the target is unchanged. Then code redefined in an open
 * transaction, which the gateway's catalog connection cannot see before
 * it commits.
 */
describe('postgres: statements decided by the code they reach', () => {
  let postgres: PgInstance;
  let gw: TestGateway;
  let listener: LocalListener;
  let admin: pg.Client;

  before(async () => {
    postgres = await startPostgres();
    admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    await admin.query(`
      create table accounts (id int primary key, owner text);
      create table secrets (id int, value text);
      insert into secrets values (1, 'the-secret');
      create table notes (id int, body text);
      create table outbox (id int);
      create function purge() returns void language sql as $$ delete from accounts $$;
      create function leak() returns text language plpgsql as $$
        begin return (select value from secrets limit 1); end $$;
      create function count_accounts() returns bigint language sql as $$ select count(*) from accounts $$;
      create function notes_purge() returns trigger language plpgsql as $$
        begin delete from accounts; return new; end $$;
      create trigger notes_purge after insert on notes for each row execute function notes_purge();
      alter table outbox disable trigger all;
      create function outbox_purge() returns trigger language plpgsql as $$
        begin delete from accounts; return new; end $$;
      create trigger outbox_purge after insert on outbox for each row execute function outbox_purge();
      alter table outbox disable trigger outbox_purge;
      create view public_notes as select id, body from notes;
      create view innocent as select s.value as body from secrets s;
      create rule log_update as on update to notes do also delete from accounts;
      create function eq_purge(int, int) returns boolean language plpgsql as $$
        begin delete from accounts; return $1 = $2; end $$;
      create operator === (leftarg = int, rightarg = int, function = eq_purge);
    `);
    gw = await startTestGateway({
      connections: postgresConnection(postgres),
      env: { PG_PASSWORD: postgres.password },
      policy: [
        {
          name: 'keep-accounts',
          match: { statements: ['delete', 'truncate'], tables: ['accounts'] },
          effect: 'deny',
        },
        { name: 'no-secrets', match: { tables: ['secrets'] }, effect: 'deny' },
        { name: 'agents', match: { groups: ['agents'] }, effect: 'allow' },
      ],
    });
    listener = await startLocalListener({
      host: '127.0.0.1',
      port: 0,
      dial: () =>
        dial({ url: `${gw.url.replace(/^http/, 'ws')}/api/tunnel/pg`, token: gw.keys['agent-1']! }),
    });
  });

  after(async () => {
    await listener?.close();
    await gw?.close();
    await admin?.end();
    await postgres?.stop();
  });

  beforeEach(async () => {
    await admin.query('delete from accounts');
    await admin.query(`insert into accounts values (1, 'alice'), (2, 'bob')`);
  });

  const client = async (): Promise<pg.Client> => {
    const c = new pg.Client({
      host: '127.0.0.1',
      port: listener.address.port,
      user: 'whoever',
      database: postgres.database,
    });
    await c.connect();
    return c;
  };

  const refused = async (c: pg.Client, sql: string, rule: RegExp): Promise<PgError> => {
    try {
      await c.query(sql);
    } catch (error) {
      const e = error as PgError;
      assert.equal(e.code, '42501', `${sql}: ${e.message}`);
      assert.match(e.message, rule, sql);
      return e;
    }
    assert.fail(`not refused: ${sql}`);
  };

  const accountsIntact = async (): Promise<void> => {
    const { rows } = await admin.query('select count(*)::int as n from accounts');
    assert.deepEqual(rows, [{ n: 2 }], 'accounts unchanged');
  };

  it('refuses a call of a function whose body deletes, and one whose body reads secrets', async () => {
    const c = await client();
    try {
      await refused(c, 'select purge()', /keep-accounts/);
      await refused(c, 'select leak()', /no-secrets/);
      // Same through the extended protocol, and hidden in a subquery.
      await refused(c, 'select 1 where exists (select purge())', /keep-accounts/);
      await assert.rejects(c.query({ text: 'select purge()', values: [] }), /keep-accounts/);
      assert.deepEqual((await c.query('select count_accounts() as n')).rows, [{ n: '2' }]);
    } finally {
      await c.end();
    }
    await accountsIntact();
  });

  it("refuses an INSERT whose trigger deletes, an UPDATE whose rule does, a view's hidden read, an operator's body", async () => {
    const c = await client();
    try {
      await refused(c, `insert into notes values (1, 'x')`, /keep-accounts/);
      await refused(c, `update notes set body = 'y'`, /keep-accounts/);
      await refused(c, 'select * from innocent', /no-secrets/);
      await refused(c, 'select 1 === 1', /keep-accounts/);
      assert.deepEqual((await c.query('select * from public_notes')).rows, []);
      // A trigger turned off runs nothing: the insert is allowed.
      await c.query('insert into outbox values (1)');
    } finally {
      await c.end();
    }
    await accountsIntact();
  });

  it('sees a trigger turned on through the gateway at once, in this session and the next', async () => {
    const c = await client();
    try {
      await c.query('insert into outbox values (2)'); // cached: no trigger runs
      await c.query('alter table outbox enable trigger outbox_purge');
      await refused(c, 'insert into outbox values (3)', /keep-accounts/);
    } finally {
      await c.end();
    }
    const next = await client();
    try {
      await refused(next, 'insert into outbox values (4)', /keep-accounts/);
      await next.query('alter table outbox disable trigger outbox_purge');
      await next.query('insert into outbox values (5)');
    } finally {
      await next.end();
    }
    await accountsIntact();
  });

  it('refuses, in the transaction that turned a trigger on, a statement that would fire it', async () => {
    const c = await client();
    try {
      await c.query('begin');
      await c.query('alter table outbox enable trigger outbox_purge');
      const error = await refused(c, 'insert into outbox values (6)', /./);
      assert.match(error.message, /changed earlier in this transaction/);
      assert.match(error.message, /commit that change first/);
      await c.query('rollback');
      // Outside the transaction the catalog is right again: the trigger is off.
      await c.query('insert into outbox values (7)');
    } finally {
      await c.end();
    }
    await accountsIntact();
  });

  it('refuses a function replaced in the open transaction when called in it, however the string is split', async () => {
    const c = await client();
    try {
      // The replacement's own body reads nothing denied, so it is created …
      await c.query('begin');
      await c.query(
        `create or replace function count_accounts() returns bigint language sql as $$ select 42::bigint $$`,
      );
      // … but a call of it in the same transaction is decided by what the catalog cannot show.
      const error = await refused(c, 'select count_accounts()', /./);
      assert.match(error.message, /"count_accounts"/);
      await c.query('rollback');
      // In one string: the second statement is refused, so the whole string is.
      await refused(
        c,
        `alter table outbox enable trigger outbox_purge; insert into outbox values (8)`,
        /changed earlier in this transaction/,
      );
      // A table created and filled in one transaction, as a migration does: allowed.
      await c.query('begin');
      await c.query('create table seeds (id int, label text default upper(current_user))');
      await c.query(`insert into seeds (id) values (1)`);
      await c.query('commit');
      assert.deepEqual((await c.query('select id from seeds')).rows, [{ id: 1 }]);
      // Functions created together that call each other: defining runs nothing.
      await c.query('begin');
      await c.query(`create function helper_a() returns int language sql as 'select 1'`);
      await c.query(`create function helper_b() returns int language sql as 'select helper_a()'`);
      await c.query('commit');
      assert.deepEqual((await c.query('select helper_b() as n')).rows, [{ n: 1 }]);
    } finally {
      await c.end();
    }
    await accountsIntact();
  });

  it('refuses creating code that deletes or reads secrets: it is decided by its body', async () => {
    const c = await client();
    try {
      await refused(
        c,
        `create function sneaky() returns void language plpgsql as $$ begin delete from accounts; end $$`,
        /keep-accounts/,
      );
      await refused(
        c,
        `create or replace view innocent2 as select value from secrets`,
        /no-secrets/,
      );
      await refused(
        c,
        `create trigger sneaky after insert on outbox for each row execute function outbox_purge()`,
        /keep-accounts/,
      );
    } finally {
      await c.end();
    }
    await accountsIntact();
  });
});
