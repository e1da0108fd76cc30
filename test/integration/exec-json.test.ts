import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import pg from 'pg';
import { builtInTypes } from '../../src/cli/exec/pg-types.js';
import { runHoop, type CliResult } from '../helpers/cli.js';
import { postgresConnection, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { freePort } from '../helpers/ports.js';
import { startPostgres, type PgInstance } from '../helpers/postgres.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed CLI output, read field by field
type Json = any;

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SCHEMA = JSON.parse(readFileSync(path.join(ROOT, 'schema/exec-output.schema.json'), 'utf8'));

/**
 * ajv (a devDependency) rather than a hand-written check: it also proves the
 * committed schema is valid JSON Schema 2020-12 that other tools will read,
 * and its strict mode refuses keywords it does not know.
 */
const validate = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true }).compile(
  SCHEMA,
);

/** Parses `hoop exec … --output json`'s stdout and checks it against the schema. */
function parsed(result: CliResult): Json {
  let output: Json;
  try {
    output = JSON.parse(result.stdout);
  } catch {
    assert.fail(`stdout is not JSON: ${JSON.stringify(result)}`);
  }
  assert.ok(validate(output) as boolean, `${JSON.stringify(validate.errors)} in ${result.stdout}`);
  for (const entry of output.results ?? []) {
    for (const row of entry.rows)
      assert.equal(row.length, entry.columns.length, 'a value a column');
  }
  return output;
}

/**
 * `hoop exec --output json`'s documented shape (schema/exec-output.schema.json)
 * with real outputs of the built CLI: typed values, type names, several
 * results, tags and counts, and every kind of error.
 */
describe('hoop exec --output json', () => {
  let postgres: PgInstance;
  let gw: TestGateway;
  let env: NodeJS.ProcessEnv;
  const json = (sql: string, extra: string[] = []) =>
    runHoop(['exec', 'pg', '-i', sql, '--output', 'json', ...extra], env);

  before(async () => {
    postgres = await startPostgres({ password: 'target-secret-j1' });
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    await admin.query("create type mood as enum ('happy', 'sad')");
    await admin.query('create table t (id int primary key, m mood, note text)');
    await admin.query("insert into t values (1, 'happy', null), (2, 'sad', 'x')");
    await admin.end();
    gw = await startTestGateway({
      connections: [
        postgresConnection(postgres),
        `  - { name: pg-down, type: postgres, host: 127.0.0.1, port: ${await freePort()}, database: app, user: app, groups: [agents] }`,
      ].join('\n'),
      env: { PG_PASSWORD: postgres.password },
      policy: [
        { name: 'no-drops', match: { statements: ['drop'] }, effect: 'deny' },
        {
          name: 'updates-need-review',
          match: { statements: ['update'] },
          effect: 'review',
          review: { approvers: ['dba'], approvals: 1 },
        },
        { name: 'agents', match: { groups: ['agents'] }, effect: 'allow' },
      ],
    });
    env = { HOOP_GATEWAY: gw.url, HOOP_TOKEN: gw.keys['agent-1'] ?? '' };
  });

  after(async () => {
    await gw?.close();
    await postgres?.stop();
  });

  it('gives rows as arrays in column order, with type names and OIDs, even when names repeat', async () => {
    const result = await json('select id, note, 1 as id from t order by 1');
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(parsed(result), {
      results: [
        {
          command: 'SELECT',
          tag: 'SELECT 2',
          rowCount: 2,
          columns: [
            { name: 'id', type: 'int4', dataTypeID: 23 },
            { name: 'note', type: 'text', dataTypeID: 25 },
            { name: 'id', type: 'int4', dataTypeID: 23 },
          ],
          rows: [
            [1, null, 1],
            [2, 'x', 1],
          ],
        },
      ],
    });
  });

  it('types values where JSON holds them exactly, and keeps the rest as text', async () => {
    const result = await json(
      [
        'select true as b, false as f, 32767::int2 as i2, 2147483647 as i4, 9007199254740991::int8 as safe,',
        "9007199254740992::int8 as unsafe, '-9223372036854775808'::int8 as min, 1.5::float8 as d,",
        "'NaN'::float8 as nan, '-Infinity'::float4 as ninf, 0.1::float4 as r,",
        '12345678901234567890.123::numeric as n, 2::numeric as two, 12.5::money as m,',
        `'{"a": [1, 2.5, null, "x"], "b": {"c": true}}'::jsonb as jb, '[1, "two"]'::json as j,`,
        `'"just a string"'::json as js, 'pg_class'::regclass::oid as o,`,
        "'2024-01-02 03:04:05+00'::timestamptz at time zone 'UTC' as ts, '{1,2}'::int[] as arr,",
        "'\\x00ff'::bytea as bin, 'happy'::mood as enum, null::int8 as nothing",
      ].join(' '),
    );
    assert.equal(result.code, 0, result.stderr);
    const [first] = parsed(result).results;
    const named = Object.fromEntries(
      first.columns.map((column: Json, i: number) => [column.name, first.rows[0][i]]),
    );
    assert.deepEqual(named, {
      b: true,
      f: false,
      i2: 32767,
      i4: 2147483647,
      safe: 9007199254740991,
      unsafe: '9007199254740992',
      min: '-9223372036854775808',
      d: 1.5,
      nan: 'NaN',
      ninf: '-Infinity',
      r: 0.1,
      n: '12345678901234567890.123',
      two: '2',
      m: '$12.50',
      jb: { a: [1, 2.5, null, 'x'], b: { c: true } },
      j: [1, 'two'],
      js: 'just a string',
      o: 1259,
      ts: '2024-01-02 03:04:05',
      arr: '{1,2}',
      bin: '\\x00ff',
      enum: 'happy',
      nothing: null,
    });
    const types = Object.fromEntries(first.columns.map((c: Json) => [c.name, c.type]));
    assert.equal(types.arr, '_int4');
    assert.equal(types.jb, 'jsonb');
    assert.equal(types.ts, 'timestamp');
    assert.equal(types.enum, null, 'a type the database defined has no built-in name');
    assert.ok(first.columns.find((c: Json) => c.name === 'enum').dataTypeID >= 16384);
  });

  it('gives one entry per result with its tag and count; --json is the same as --output json', async () => {
    const sql =
      'create temp table x (a int); insert into x values (1), (2); delete from x where a > 5; select count(*) from x; ;';
    const long = await json(sql);
    assert.equal(long.code, 0, long.stderr);
    const output = parsed(long);
    assert.deepEqual(
      output.results.map((r: Json) => [r.command, r.tag, r.rowCount]),
      [
        ['CREATE TABLE', 'CREATE TABLE', null],
        ['INSERT', 'INSERT 0 2', 2],
        ['DELETE', 'DELETE 0', 0],
        ['SELECT', 'SELECT 1', 1],
      ],
    );
    assert.deepEqual(output.results[3].rows, [[2]], 'count(*) is an int8 that fits: a number');
    const short = await runHoop(['exec', 'pg', '--json', '-i', sql], env);
    assert.deepEqual(JSON.parse(short.stdout), output);

    const both = await runHoop(['exec', 'pg', '--json', '--output', 'csv', '-i', 'select 1'], env);
    assert.equal(both.code, 2, both.stderr);
    assert.match(both.stderr, /--json/);
  });

  it('prints every failure as {error} with its code, hint and exit code', async () => {
    const cases: { sql: string; name?: string; code: RegExp; exit: number; hint: RegExp }[] = [
      {
        sql: 'drop table t',
        code: /^42501$/,
        exit: 3,
        hint: /policy refuses this, not the database/,
      },
      {
        sql: 'selec 1',
        code: /^42601$/,
        exit: 1,
        hint: /Fix the syntax/,
      },
      { sql: 'select * from nope', code: /^42P01$/, exit: 1, hint: /Check the names/ },
      { sql: 'select 1', name: 'pg-down', code: /^08/, exit: 6, hint: /lost the database/ },
      {
        sql: 'select 1',
        name: 'nope',
        code: /^HOOP_CONNECTION_UNKNOWN$/,
        exit: 2,
        hint: /hoop connections/,
      },
    ];
    for (const { sql, name, code, exit, hint } of cases) {
      const result = await runHoop(['exec', name ?? 'pg', '-i', sql, '-o', 'json'], env);
      assert.equal(result.code, exit, `${sql}: ${result.stderr}`);
      const { error } = parsed(result);
      assert.match(error.code, code, sql);
      assert.equal(error.exitCode, exit);
      assert.match(error.hint, hint, sql);
      assert.ok(result.stderr.includes(error.hint), 'the same hint on stderr');
    }
  });

  it('names the review a held statement waits for (exit 4)', async () => {
    const result = await json("update t set note = 'y' where id = 1");
    assert.equal(result.code, 4, result.stderr);
    const { error } = parsed(result);
    assert.match(error.review, /^rev_/);
    assert.equal(error.exitCode, 4);
    assert.equal(
      error.hint,
      `When it is approved (\`hoop reviews show ${error.review}\`), run it with: hoop exec pg --review ${error.review}`,
    );
  });

  it('prints authentication and reachability failures in the same shape', async () => {
    const wrong = await runHoop(['exec', 'pg', '-i', 'select 1', '--json'], {
      ...env,
      HOOP_TOKEN: 'hoop_not-a-key',
    });
    assert.equal(wrong.code, 5);
    assert.match(parsed(wrong).error.code, /^HOOP_AUTH_/);
    const down = await runHoop(['exec', 'pg', '-i', 'select 1', '--json'], {
      ...env,
      HOOP_GATEWAY: `http://127.0.0.1:${await freePort()}`,
    });
    assert.equal(down.code, 6);
    assert.equal(parsed(down).error.code, 'HOOP_GATEWAY_UNREACHABLE');
  });

  it('names every built-in type as the server it runs against does', async () => {
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ oid: number; typname: string }>(
        'select oid::int as oid, typname from pg_type where oid = any($1::oid[])',
        [[...builtInTypes().keys()]],
      );
      const server = new Map(rows.map((row) => [row.oid, row.typname]));
      for (const [oid, name] of builtInTypes()) {
        // A type an older server lacks is absent there; one it has must have the same name.
        if (server.has(oid)) assert.equal(server.get(oid), name, `OID ${oid}`);
      }
      assert.ok(server.size > 150, `the server knows most of them: ${server.size}`);
    } finally {
      await admin.end();
    }
  });
});
