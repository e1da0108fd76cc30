import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import {
  classifySql,
  initSqlParser,
  type ClassifiedStatement,
} from '../../../../src/server/sql/index.js';

before(() => initSqlParser());

function one(sql: string): ClassifiedStatement {
  const result = classifySql(sql);
  assert.ok(result.ok, `did not classify: ${sql} (${JSON.stringify(result)})`);
  assert.equal(result.statements.length, 1, sql);
  return result.statements[0]!;
}

describe('PL/pgSQL: every statement and expression is classified', () => {
  // One function of every PL/pgSQL construct that holds SQL or an expression, each calling its own marker.
  const body = `
declare
  a int := f_default();
  c1 cursor (k int) for select * from t_cursor where id = k;
  arr int[];
  r record;
  cur refcursor;
begin
  case f_case() when 1 then perform f_case_then(); else perform f_case_else(); end case;
  case when f_searched() then null; end case;
  while f_while() loop exit when f_exit(); continue when f_continue(); end loop;
  for i in f_lower()..f_upper() by f_step() loop null; end loop;
  foreach a in array f_foreach() loop null; end loop;
  for r in c1(f_cursor_arg()) loop null; end loop;
  for r in select * from t_for loop null; end loop;
  assert f_assert(), f_assert_msg();
  raise notice '%', f_raise() using detail = f_raise_detail();
  arr[f_subscript()] := f_assign();
  open cur for select * from t_open;
  open cur for execute 'select * from t_open_execute' using f_open_using();
  fetch absolute f_fetch() from cur into r;
  move relative f_move() in cur;
  call p_call(f_call_arg());
  insert into t_insert values (f_values());
  return next f_return_next();
  return query select * from t_return_query;
exception when others then
  perform f_exception();
end`;
  const statement = (): ClassifiedStatement =>
    one(`create function f() returns setof int language plpgsql as $BODY$${body}$BODY$`);

  it('finds the function of every construct', () => {
    const markers = [...new Set([...body.matchAll(/\b[fp]_[a-z_]+/g)].map((m) => m[0]))];
    const { functions } = statement();
    assert.deepEqual(
      markers.filter((name) => !functions.includes(name)),
      [],
    );
  });

  it('finds the table of every embedded query, and what each does', () => {
    const { tables, kinds, unknown } = statement();
    assert.deepEqual([...tables].sort(), [
      't_cursor',
      't_for',
      't_insert',
      't_open',
      't_open_execute',
      't_return_query',
    ]);
    assert.deepEqual(kinds, ['ddl', 'select', 'call', 'insert']);
    assert.deepEqual(unknown, []);
  });

  it('does not count an expression’s own evaluation as a SELECT', () => {
    assert.deepEqual(one('do $$ declare x int; begin x := 1 + 2; end $$').kinds, ['do']);
    assert.deepEqual(one('do $$ declare x int; begin x := count(*) from t; end $$').kinds, [
      'do',
      'select',
    ]);
  });

  it('compiles trigger functions with NEW and OLD', () => {
    const s = one(
      'create function trg() returns trigger language plpgsql as $$ begin new.a := lower(new.a); insert into audit values (old.id); return new; end $$',
    );
    assert.deepEqual(s.kinds, ['ddl', 'insert']);
    assert.deepEqual(s.tables, ['audit']);
    assert.ok(s.functions.includes('lower'));
  });

  it('refuses to trust PL/pgSQL the compiler refuses', () => {
    const undeclared = one('do $$ begin x := 1; end $$');
    assert.deepEqual(undeclared.kinds, ['do', 'dynamic']);
    assert.deepEqual(undeclared.unknown, [
      {
        reason: 'unparsed-body',
        message: 'runs PL/pgSQL that does not compile ("x" is not a known variable)',
      },
    ]);
  });

  it('compiles fields of %ROWTYPE variables, which need the catalog, as fields of records', () => {
    const s = one(
      "create function f() returns void language plpgsql as $$ declare r app.t%ROWTYPE; begin select * into r from app.t; r.total := pg_read_file('x'); end $$",
    );
    assert.deepEqual(s.unknown, []);
    assert.deepEqual(s.tables, ['app.t']);
    assert.deepEqual(s.functions, ['pg_read_file']);
    // A composite type named bare is not rewritten: that body stays unknowable.
    assert.equal(
      one(
        'create function f() returns void language plpgsql as $$ declare r t; begin r.a := 1; end $$',
      ).unknown[0]?.reason,
      'unparsed-body',
    );
  });

  it('names what builds the SQL an EXECUTE runs', () => {
    assert.deepEqual(
      one("do $$ begin execute format('drop table %I', 't') || quote_literal('x'); end $$").unknown,
      [
        {
          reason: 'dynamic-sql',
          message:
            'executes SQL built at run time (EXECUTE of an expression built with format(), quote_literal())',
        },
      ],
    );
    assert.deepEqual(one('do $$ declare q text; begin execute q; end $$').unknown, [
      {
        reason: 'dynamic-sql',
        message: 'executes SQL built at run time (EXECUTE of an expression)',
      },
    ]);
  });

  it('refuses an EXECUTE constant that does not parse as SQL', () => {
    const s = one("do $$ begin execute 'drop tabel t'; end $$");
    assert.deepEqual(s.kinds, ['do', 'dynamic']);
    assert.equal(s.unknown[0]?.reason, 'unparsed-body');
  });
});

describe('function and procedure bodies', () => {
  it('parses an SQL body given as a string, every statement of it', () => {
    const s = one(
      "create function f(a int) returns int language sql as 'update t set x = a; select count(*) from u'",
    );
    assert.deepEqual(s.kinds, ['ddl', 'update', 'select']);
    assert.deepEqual(s.tables, ['t', 'u']);
  });

  it('refuses to trust a body in a language it cannot analyse', () => {
    for (const language of ['c', 'internal', 'plpython3u', 'plperlu', 'plv8', 'pltcl']) {
      const s = one(
        `create function f() returns int language ${language} as ${language === 'c' ? "'lib', 'sym'" : "'x'"}`,
      );
      assert.ok(s.kinds.includes('dynamic'), language);
      assert.deepEqual(
        s.unknown.map((u) => u.reason),
        ['language'],
        language,
      );
    }
  });

  it('takes a quoted language name as the server does: case and all', () => {
    assert.deepEqual(
      one("create function f() returns void language 'PLPGSQL' as $$ begin delete from t; end $$")
        .unknown[0]?.message,
      'runs code in language PLPGSQL (a function body), which the gateway cannot analyse',
    );
    assert.deepEqual(
      one('create function f() returns void language PLPGSQL as $$ begin delete from t; end $$')
        .kinds,
      ['ddl', 'delete'],
    );
  });

  it('reads a body that does not parse as unknowable', () => {
    const s = one("create function f() returns int language sql as 'selec 1'");
    assert.deepEqual(s.kinds, ['ddl', 'dynamic']);
    assert.match(s.unknown[0]!.message, /does not parse \(a function body: syntax error/);
  });

  it('refuses to trust a body run with standard_conforming_strings off, not one run with it on', () => {
    const off = one(
      "create function f() returns void language sql set standard_conforming_strings = off as 'select 1'",
    );
    assert.deepEqual(
      off.unknown.map((u) => u.reason),
      ['lexer-settings'],
    );
    const on = one(
      "create function f() returns void language sql set standard_conforming_strings = on as 'select 1'",
    );
    assert.deepEqual(on.unknown, []);
  });
});

describe('routines called or bound by name, for the catalog to resolve', () => {
  it('lists calls, CALL and operators', () => {
    const s = one('call app.p(a.f(1) + 2, x operator(app.===) y)');
    const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
    assert.deepEqual([...s.routines].sort(byName), [
      { name: '+', how: 'operator' },
      { name: 'a.f', how: 'call' },
      { name: 'app.===', how: 'operator' },
      { name: 'app.p', how: 'call' },
    ]);
  });

  it('lists what definitions bind, and counts them as functions', () => {
    const cases: [string, string, string][] = [
      [
        'create trigger t after insert on x for each row execute function s.trg()',
        's.trg',
        'trigger',
      ],
      ['create event trigger e on ddl_command_start execute function et()', 'et', 'event trigger'],
      ['create cast (int as text) with function c(int)', 'c', 'cast'],
      [
        'create operator === (leftarg = int, rightarg = int, function = eq)',
        'eq',
        'operator function',
      ],
      [
        'create operator === (leftarg = int, procedure = eq2, restrict = sel)',
        'sel',
        'operator restrict',
      ],
      [
        'create aggregate a(int) (sfunc = step, stype = int, finalfunc = fin)',
        'fin',
        'aggregate finalfunc',
      ],
      ['create type t (input = tin, output = tout)', 'tin', 'type input'],
      ['create language pl handler h', 'h', 'language handler'],
      ['create foreign data wrapper w handler fh', 'fh', 'foreign-data wrapper handler'],
      ['create access method am type table handler amh', 'amh', 'access method'],
      ["create conversion cv for 'LATIN1' to 'UTF8' from conv", 'conv', 'conversion'],
      [
        'create operator class oc for type int using btree as function 1 cmp(int, int)',
        'cmp',
        'operator class support function',
      ],
    ];
    for (const [sql, name, via] of cases) {
      const s = one(sql);
      assert.ok(
        s.routines.some((r) => r.name === name && r.how === 'bind' && r.via === via),
        `${sql}: ${JSON.stringify(s.routines)}`,
      );
      assert.ok(s.functions.includes(name), sql);
    }
  });
});

describe('PREPARE, EXECUTE, cursors, EXPLAIN', () => {
  it('classifies a PREPARE’s statement on its own, for EXECUTE to be decided by', () => {
    const s = one('prepare del (int) as delete from t where id = $1 returning email');
    assert.deepEqual(s.kinds, ['prepare', 'delete']);
    assert.equal(s.prepares?.name, 'del');
    const inner = s.prepares!.statement;
    assert.deepEqual(inner.kinds, ['delete']);
    assert.deepEqual(inner.tables, ['t']);
    assert.deepEqual(inner.lineage, [
      { kind: 'value', name: 'email', sources: [{ kind: 'column', table: 't', column: 'email' }] },
    ]);
    assert.equal(one('execute del(1)').prepared, 'del');
  });

  it('carries what the prepared statement hides', () => {
    const s = one("prepare p as select query_to_xml('drop table t', true, false, '')");
    assert.ok(s.kinds.includes('drop'));
    assert.ok(s.prepares!.statement.kinds.includes('drop'));
  });

  it('refuses to follow a prepared statement run from inside code', () => {
    const s = one("create function f() returns void language sql as 'execute p'");
    assert.deepEqual(
      s.unknown.map((u) => u.reason),
      ['prepared-in-code'],
    );
  });

  it('counts code under a plain EXPLAIN as planned, not run', () => {
    const s = one(
      "explain select query_to_xml('delete from t', true, false, ''), query_to_xml($1, true, false, '')",
    );
    assert.deepEqual(s.kinds, ['explain']);
    assert.deepEqual(s.planned, ['select', 'delete']);
    assert.deepEqual(s.unknown, []);
  });

  it('counts code under EXPLAIN ANALYZE as run', () => {
    const s = one("explain analyze select query_to_xml($1, true, false, '')");
    assert.deepEqual(s.kinds, ['explain', 'select', 'dynamic']);
  });
});
