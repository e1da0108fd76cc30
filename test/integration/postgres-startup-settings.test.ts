import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { postgresConnection, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startPostgres, type PgInstance } from '../helpers/postgres.js';
import { tool } from '../helpers/tools.js';
import { endedSessions, startConnect, type RunningConnect } from '../helpers/tunnel.js';

interface PgError extends Error {
  code?: string;
  severity?: string;
}

/**
 * Session settings a client asks for at start-up (StartupMessage parameters,
 * `options`, PGOPTIONS) reach the target through `hoop connect`; those that
 * would weaken enforcement are refused with a FATAL naming them, and the
 * session is recorded as startup_refused.
 */
describe('postgres start-up settings through hoop connect', () => {
  let postgres: PgInstance;
  let gw: TestGateway;
  let connect: RunningConnect;

  before(async () => {
    postgres = await startPostgres();
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    await admin.query('create schema app');
    await admin.query("create table app.marker (what text); insert into app.marker values ('app')");
    await admin.end();
    gw = await startTestGateway({
      connections: postgresConnection(postgres),
      env: { PG_PASSWORD: postgres.password },
      policy: [{ name: 'agents', match: { groups: ['agents'] }, effect: 'allow' }],
    });
    connect = await startConnect(gw, 'pg', ['--no-tls']);
  });

  after(async () => {
    await connect?.stop();
    await gw?.close();
    await postgres?.stop();
  });

  const client = async (options: Partial<pg.ClientConfig> = {}): Promise<pg.Client> => {
    const c = new pg.Client({
      host: '127.0.0.1',
      port: connect.port,
      user: 'whoever',
      database: postgres.database,
      ...options,
    });
    c.on('error', () => {});
    await c.connect();
    return c;
  };

  /** The error a client's connect fails with. */
  const refusedConnect = async (options: Partial<pg.ClientConfig>): Promise<PgError> => {
    try {
      const c = await client(options);
      await c.end();
    } catch (error) {
      return error as PgError;
    }
    assert.fail(`not refused: ${JSON.stringify(options)}`);
  };

  const psql = (sql: string, env: NodeJS.ProcessEnv) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        tool('psql'),
        [
          `postgres://whoever@127.0.0.1:${connect.port}/${postgres.database}`,
          '-X',
          '-A',
          '-t',
          '-c',
          sql,
        ],
        { env: { ...process.env, PGPASSWORD: '', PGSSLMODE: 'disable', ...env }, timeout: 30_000 },
        (error, stdout, stderr) =>
          resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });

  it('node-postgres with statement_timeout in its config: a pg_sleep past it fails with 57014', async () => {
    const c = await client({ statement_timeout: 300 });
    try {
      assert.deepEqual((await c.query('show statement_timeout')).rows, [
        { statement_timeout: '300ms' },
      ]);
      await assert.rejects(c.query('select pg_sleep(5)'), (error: PgError) => {
        assert.equal(error.code, '57014');
        return true;
      });
      // The session goes on.
      assert.deepEqual((await c.query('select 1 as one')).rows, [{ one: 1 }]);
    } finally {
      await c.end();
    }
  });

  it('node-postgres: lock_timeout, idle_in_transaction_session_timeout, application_name and options reach the target', async () => {
    const c = await client({
      lock_timeout: 1500,
      idle_in_transaction_session_timeout: 60_000,
      application_name: 'compat check',
      options:
        '-c search_path=app,public --DateStyle=SQL,\\ DMY -c TimeZone=Asia/Tokyo -c extra_float_digits=0 -c IntervalStyle=iso_8601 -c client_min_messages=warning',
    });
    try {
      const shown = await c.query(
        `select current_setting('lock_timeout') as lock_timeout,
                current_setting('idle_in_transaction_session_timeout') as idle,
                current_setting('application_name') as application_name,
                current_setting('search_path') as search_path,
                current_setting('DateStyle') as datestyle,
                current_setting('TimeZone') as timezone,
                current_setting('extra_float_digits') as extra_float_digits,
                current_setting('IntervalStyle') as intervalstyle,
                current_setting('client_min_messages') as client_min_messages,
                (select what from marker) as marker`,
      );
      assert.deepEqual(shown.rows, [
        {
          lock_timeout: '1500ms',
          idle: '1min',
          application_name: 'compat check',
          search_path: 'app,public',
          datestyle: 'SQL, DMY',
          timezone: 'Asia/Tokyo',
          extra_float_digits: '0',
          intervalstyle: 'iso_8601',
          client_min_messages: 'warning',
          marker: 'app',
        },
      ]);
    } finally {
      await c.end();
    }
  });

  it("psql with PGOPTIONS='-c search_path=… -c statement_timeout=…' and PGTZ", async () => {
    const shown = await psql("select current_setting('search_path'), what from marker", {
      PGOPTIONS: '-c search_path=app -c statement_timeout=250',
      PGTZ: 'America/Sao_Paulo',
    });
    assert.equal(shown.code, 0, shown.stderr);
    assert.equal(shown.stdout.trim(), 'app|app');
    const tz = await psql('show timezone', { PGTZ: 'America/Sao_Paulo' });
    assert.equal(tz.stdout.trim(), 'America/Sao_Paulo');
    const slow = await psql('select pg_sleep(5)', { PGOPTIONS: '-c statement_timeout=250' });
    assert.notEqual(slow.code, 0);
    assert.match(slow.stderr, /canceling statement due to statement timeout/);
  });

  it('a pooled target connection is only reused with the same settings', async () => {
    for (const timeout of [200, 4000, 200]) {
      const c = await client({ statement_timeout: timeout });
      try {
        assert.deepEqual((await c.query('show statement_timeout')).rows, [
          { statement_timeout: timeout === 200 ? '200ms' : '4s' },
        ]);
      } finally {
        await c.end();
      }
    }
  });

  it('refuses settings that would weaken enforcement with a FATAL naming the setting, recorded as startup_refused', async () => {
    for (const [options, named] of [
      [{ options: '-c role=postgres' }, /role=postgres/],
      [{ options: '-c session_authorization=postgres' }, /session_authorization=postgres/],
      [{ options: '-c standard_conforming_strings=off' }, /standard_conforming_strings=off/],
      [{ options: '--backslash-quote=on' }, /backslash_quote=on/],
      [{ options: '-c local_preload_libraries=auto_explain' }, /local_preload_libraries/],
    ] as const) {
      const error = await refusedConnect(options);
      assert.equal(error.code, '42501', `${JSON.stringify(options)}: ${error.message}`);
      assert.equal(error.severity, 'FATAL');
      assert.match(error.message, named);
    }
    const psqlRefused = await psql('select 1', { PGOPTIONS: '-c role=postgres' });
    assert.notEqual(psqlRefused.code, 0);
    assert.match(
      psqlRefused.stderr,
      /FATAL: {2}hoop: the start-up setting role=postgres is refused/,
    );
    const sessions = await endedSessions(gw.gateway.store, 'pg', { count: 1 });
    assert.equal(sessions[0]?.closeReason, 'startup_refused');
    // node-postgres always sends client_encoding=UTF8 as a parameter of its own, which outranks
    // options (as on the server); psql sends none unless PGCLIENTENCODING is set.
    const encoding = await psql('select 1', { PGOPTIONS: '--client-encoding=SJIS' });
    assert.notEqual(encoding.code, 0);
    assert.match(encoding.stderr, /client_encoding=SJIS is refused/);
    const outranked = await client({ options: '--client-encoding=SJIS' });
    assert.deepEqual((await outranked.query('show client_encoding')).rows, [
      { client_encoding: 'UTF8' },
    ]);
    await outranked.end();
  });

  it('refuses server switches other than -c and --name=value (42601), naming the switch', async () => {
    const error = await refusedConnect({ options: '-e' });
    assert.equal(error.code, '42601');
    assert.match(error.message, /the switch -e/);
  });

  it("passes the target's own refusal of a setting on as it is", async () => {
    const error = await refusedConnect({ options: '-c statement_timeout=soon' });
    assert.equal(error.code, '22023');
    assert.match(error.message, /invalid value for parameter "statement_timeout": "soon"/);
    const unknown = await refusedConnect({ options: '-c no_such_setting=1' });
    assert.equal(unknown.code, '42704');
    assert.match(unknown.message, /no_such_setting/);
  });

  it('a start-up packet naming another database is refused (3D000) and recorded as startup_refused, not protocol_error', async () => {
    const before = (await gw.gateway.store.listSessions({ connection: 'pg' })).length;
    const error = await refusedConnect({ database: 'another' });
    assert.equal(error.code, '3D000');
    const sessions = await endedSessions(gw.gateway.store, 'pg', { count: before + 1 });
    assert.equal(sessions[0]?.closeReason, 'startup_refused');
    assert.match(sessions[0]?.closeDetail ?? '', /reaches database/);
  });
});
