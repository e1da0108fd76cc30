import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { parseExecArgv } from '../../src/cli/exec/argv.js';
import { runHoop } from '../helpers/cli.js';
import { postgresConnection, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startPostgres, type PgInstance } from '../helpers/postgres.js';

/**
 * bin/run.js runs plain `hoop exec` arguments without oclif
 * (src/cli/exec/fast-path.ts). Each case runs the same request twice: once
 * spelled so that the fast path takes it, once spelled so that only oclif
 * reads it (`-ojson`, `-i<sql>`), and the two must print the same bytes and
 * exit with the same code: results, the target's errors, the gateway's
 * refusals, usage errors.
 */
describe('hoop exec without oclif prints what the oclif command prints', () => {
  let postgres: PgInstance;
  let gw: TestGateway;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    postgres = await startPostgres({ authMethod: 'scram-sha-256', password: 'target-secret-x1' });
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    await admin.query('create table customers (id int primary key, email text)');
    await admin.query("insert into customers values (1, 'jane@example.com'), (2, null)");
    await admin.end();
    gw = await startTestGateway({
      connections: postgresConnection(postgres),
      env: { PG_PASSWORD: postgres.password },
      policy: [
        { name: 'no-drops', match: { statements: ['drop'] }, effect: 'deny' },
        { name: 'agents', match: { groups: ['agents'] }, effect: 'allow' },
      ],
    });
    env = {
      HOOP_GATEWAY: gw.gateway.url,
      HOOP_TOKEN: gw.keys['agent-1'] ?? '',
      HOOP_CONFIG_DIR: path.join(gw.dir, 'cli'),
      HOOP_TOKEN_STORE: 'file',
    };
  });

  after(async () => {
    await gw?.close();
    await postgres?.stop();
  });

  const cases: { what: string; fast: string[]; oclif: string[]; stdin?: string; code: number }[] = [
    {
      what: 'a table',
      fast: ['pg', '-i', 'select id, email from customers order by id'],
      oclif: ['pg', '-iselect id, email from customers order by id'],
      code: 0,
    },
    {
      what: 'JSON',
      fast: ['pg', '--output', 'json', '-i', 'select id, email from customers order by id'],
      oclif: ['pg', '-ojson', '-iselect id, email from customers order by id'],
      code: 0,
    },
    {
      what: 'JSON with --json',
      fast: ['pg', '--json', '-i', 'select id, email from customers order by id'],
      oclif: ['pg', '-ojson', '-iselect id, email from customers order by id'],
      code: 0,
    },
    {
      what: 'CSV from stdin',
      fast: ['pg', '-o', 'csv', '-f', '-'],
      oclif: ['pg', '-ocsv', '-f-'],
      stdin: 'select id, email from customers order by id; select 1 as one',
      code: 0,
    },
    {
      what: "the target's error, as JSON",
      fast: ['pg', '-o', 'json', '-i', 'select * from nope'],
      oclif: ['pg', '-ojson', '-iselect * from nope'],
      code: 1,
    },
    {
      what: 'a refusal by policy',
      fast: ['pg', '-i', 'drop table customers'],
      oclif: ['pg', '-idrop table customers'],
      code: 3,
    },
    {
      what: 'an unknown connection, as JSON',
      fast: ['nope', '-o', 'json', '-i', 'select 1'],
      oclif: ['nope', '-ojson', '-iselect 1'],
      code: 2,
    },
    {
      what: 'a bad --gateway',
      fast: ['pg', '--gateway', 'ftp://x', '-i', 'select 1'],
      oclif: ['pg', '--gateway', 'ftp://x', '-iselect 1'],
      code: 2,
    },
  ];

  for (const { what, fast, oclif, stdin, code } of cases) {
    it(what, async () => {
      assert.ok(parseExecArgv(['exec', ...fast]), 'the fast path takes the first spelling');
      assert.equal(parseExecArgv(['exec', ...oclif]), undefined, 'only oclif reads the second');
      const viaFastPath = await runHoop(['exec', ...fast], env, stdin);
      const viaOclif = await runHoop(['exec', ...oclif], env, stdin);
      assert.equal(viaFastPath.code, code, viaFastPath.stderr);
      assert.deepEqual(viaFastPath, viaOclif);
    });
  }
});
