import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { postgresConnection, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startPostgres, type PgInstance } from '../helpers/postgres.js';
import { startLocalListener, dial, type LocalListener } from '../../src/tunnel/index.js';
import { runHoop } from '../helpers/cli.js';
import { hoopEnv } from '../helpers/tunnel.js';
import { PgWire, errorsOf } from '../helpers/pg-wire.js';
import { buildQuery } from '../../src/server/protocols/postgres/protocol/index.js';

interface PgError {
  code?: string;
  message: string;
  position?: string;
}

/**
 * What the gateway refuses before the target sees it, with the PostgreSQL
 * error a client can act on: SQL the parser rejects (42601 with the
 * parser's message and position), input past the gateway's explicit limits
 * (54000 naming the limit), and anything that would make the server lex
 * SQL differently from the gateway (42501). Each case also checks the target
 * is unchanged: the canary table is still there.
 */
describe('postgres statement control: syntax, limits, lexing', () => {
  let postgres: PgInstance;
  let gw: TestGateway;
  let listener: LocalListener;
  let admin: pg.Client;

  before(async () => {
    postgres = await startPostgres();
    admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    await admin.query('create table canary (id int)');
    await admin.query('insert into canary values (1)');
    gw = await startTestGateway({
      connections: postgresConnection(postgres),
      env: { PG_PASSWORD: postgres.password },
      policy: [
        { name: 'no-drops', match: { statements: ['drop', 'truncate'] }, effect: 'deny' },
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

  const client = async (options: Partial<pg.ClientConfig> = {}): Promise<pg.Client> => {
    const c = new pg.Client({
      host: '127.0.0.1',
      port: listener.address.port,
      user: 'whoever',
      database: postgres.database,
      ...options,
    });
    await c.connect();
    return c;
  };

  const refusal = async (sql: string): Promise<PgError> => {
    const c = await client();
    try {
      await c.query(sql);
      assert.fail(`not refused: ${sql.slice(0, 80)}`);
    } catch (error) {
      if (error instanceof assert.AssertionError) throw error;
      return error as PgError;
    } finally {
      await c.end();
    }
  };

  const canaryIntact = async (): Promise<void> => {
    const { rows } = await admin.query('select count(*)::int as n from canary');
    assert.deepEqual(rows, [{ n: 1 }]);
  };

  it('answers SQL the parser rejects with 42601, its message and position, and forwards none of it', async () => {
    const error = await refusal('select 1; drop table canary; selec 2');
    assert.equal(error.code, '42601');
    assert.match(error.message, /syntax error at or near "selec"/);
    assert.equal(error.position, '30');
    await canaryIntact();
  });

  it('refuses a statement past the length limit with 54000 naming it; hoop exec exits 3', async () => {
    const long = `select '${'x'.repeat(2 * 1024 * 1024)}'`;
    const error = await refusal(long);
    assert.equal(error.code, '54000');
    assert.match(error.message, /HOOP_SQL_TOO_LONG/);
    // On stdin, as agents pass long SQL (an argument this long is past the OS's limit).
    const exec = await runHoop(
      ['exec', 'pg'],
      hoopEnv(gw),
      `select 1 where false${' or true'.repeat(200_000)}`,
    );
    assert.equal(exec.code, 3, exec.stderr);
    assert.match(exec.stderr, /HOOP_SQL_TOO_(LONG|MANY_TOKENS)/);
  });

  it('refuses a 200,000-term OR chain quickly while another session is answered', async () => {
    const other = await client();
    try {
      const chain = `delete from canary where ${Array.from({ length: 200_000 }, (_, i) => `id = ${i}`).join(' or ')}`;
      const started = Date.now();
      const refused = refusal(chain);
      const ping = Date.now();
      await other.query('select 1');
      const answered = Date.now() - ping;
      const error = await refused;
      assert.equal(error.code, '54000');
      assert.ok(Date.now() - started < 5_000, 'refused within seconds');
      assert.ok(answered < 2_000, `another session waited ${answered} ms`);
    } finally {
      await other.end();
    }
    await canaryIntact();
  });

  it('classifies a large statement off the event loop: another session is answered meanwhile', async () => {
    const other = await client();
    try {
      // About 200 KB and 80,000 tokens: within the limits, a good fraction of a second to parse.
      const chain = `delete from canary where ${Array.from({ length: 20_000 }, (_, i) => `id = ${i}`).join(' or ')}; drop table canary`;
      const started = Date.now();
      const refused = refusal(chain);
      await new Promise((resolve) => setTimeout(resolve, 20));
      const ping = Date.now();
      await other.query('select 1');
      const answered = Date.now() - ping;
      const error = await refused;
      const parsed = Date.now() - started;
      assert.equal(error.code, '42501');
      assert.match(error.message, /no-drops/);
      assert.ok(
        answered < Math.max(200, parsed / 2),
        `another session waited ${answered} ms of ${parsed}`,
      );
    } finally {
      await other.end();
    }
    await canaryIntact();
  });

  for (const sql of [
    'set standard_conforming_strings = off',
    'set session standard_conforming_strings to false',
    "select set_config('standard_conforming_strings', 'off', false)",
    "select set_config('standard_' || 'conforming_strings', 'off', false)",
    "select set_config(current_setting('application_name'), 'off', false)",
    "set client_encoding = 'SJIS'",
    "set names 'GBK'",
    "select set_config('client_encoding', 'BIG5', true)",
    'set backslash_quote = on',
    'alter role current_user set standard_conforming_strings = off',
    'alter database current_database() set client_encoding = sjis',
    'create function f() returns int language sql set standard_conforming_strings = off as $$ select 1 $$',
  ]) {
    it(`refuses what would change how the server lexes SQL: ${sql}`, async () => {
      const error = await refusal(sql);
      assert.equal(error.code === '42501' || error.code === '42601', true, error.message);
      if (error.code === '42501') assert.match(error.message, /differently from the gateway|hoop:/);
      const { rows } = await admin.query('select setting from pg_settings where name = $1', [
        'standard_conforming_strings',
      ]);
      assert.deepEqual(rows, [{ setting: 'on' }]);
      const roles = await admin.query('select count(*)::int as n from pg_db_role_setting');
      assert.deepEqual(roles.rows, [{ n: 0 }], 'no role or database default was set');
    });
  }

  it('lets settings that keep the defaults through', async () => {
    const c = await client();
    try {
      await c.query('set standard_conforming_strings = on');
      await c.query("set client_encoding = 'UTF8'");
      await c.query('reset all');
      await c.query('discard all');
    } finally {
      await c.end();
    }
  });

  /** psql through the tunnel with extra environment; its exit status and stderr. */
  const psql = (sql: string, env: NodeJS.ProcessEnv) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(
        'psql',
        [
          `postgres://whoever@127.0.0.1:${listener.address.port}/${postgres.database}`,
          '-X',
          '-A',
          '-t',
          '-c',
          sql,
        ],
        { env: { ...process.env, PGPASSWORD: '', ...env }, timeout: 30_000 },
        (error, stdout, stderr) =>
          resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });

  it('refuses a start-up client_encoding that splits strings differently', async () => {
    const result = await psql('select 1', { PGCLIENTENCODING: 'SJIS' });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /client_encoding=SJIS/);
  });

  it('refuses SQL text that is not valid UTF-8 (22021): a SQL_ASCII server would read its bytes otherwise', async () => {
    const wire = await PgWire.open(gw.url, gw.keys['agent-1']!, 'pg');
    try {
      // Two different invalid tags the gateway would both read as U+FFFD.
      const text = Buffer.concat([
        Buffer.from('select $'),
        Buffer.from([0xbf]),
        Buffer.from('$$'),
        Buffer.from([0xe3, 0x81]),
        Buffer.from('$ -- $'),
        Buffer.from([0xbf]),
        Buffer.from('$; drop table canary;'),
        Buffer.from([0]),
      ]);
      const length = Buffer.alloc(4);
      length.writeInt32BE(4 + text.length);
      wire.send(Buffer.concat([Buffer.from('Q'), length, text]));
      const answer = await wire.untilReady();
      assert.deepEqual(errorsOf(answer), ['22021']);
      // The session goes on.
      wire.send(buildQuery('select 1'));
      assert.deepEqual(errorsOf(await wire.untilReady()), []);
    } finally {
      wire.close();
    }
    await canaryIntact();
  });

  it('keeps standard_conforming_strings on for an open session when an administrator turns it off and reloads', async () => {
    const c = await client();
    try {
      await admin.query('alter system set standard_conforming_strings = off');
      await admin.query('select pg_reload_conf()');
      await new Promise((resolve) => setTimeout(resolve, 200));
      // Read with standard_conforming_strings off, the second quote ends the string and DROP runs.
      await c.query(`select 'x y\\' || ';drop table canary; -- '\n;`).catch(() => {});
      assert.deepEqual((await c.query('show standard_conforming_strings')).rows, [
        { standard_conforming_strings: 'on' },
      ]);
    } finally {
      await admin.query('alter system reset standard_conforming_strings');
      await admin.query('select pg_reload_conf()');
      await c.end();
    }
    await canaryIntact();
    // A new session too.
    const next = await client();
    try {
      assert.deepEqual((await next.query('show standard_conforming_strings')).rows, [
        { standard_conforming_strings: 'on' },
      ]);
    } finally {
      await next.end();
    }
  });

  it('overrides a database default that would make the server lex differently: the session lexes as the gateway does', async () => {
    await admin.query(`alter database ${postgres.database} set standard_conforming_strings = off`);
    try {
      // A name of its own, so the session logs in anew rather than reusing a pooled backend.
      const result = await psql('show standard_conforming_strings', {
        PGAPPNAME: 'fresh-login',
        PGOPTIONS: '',
      });
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /^on$/m);
    } finally {
      await admin.query(`alter database ${postgres.database} reset standard_conforming_strings`);
    }
  });
});
