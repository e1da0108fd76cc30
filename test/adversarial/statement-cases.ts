import { wire } from './harness/wire-client.js';
import type { AttackCase, AttackSession } from './harness/attack.js';

/*
 * The attacks on statement control, by category. Each one tries to make the
 * target do what the policy forbids: drop or truncate (denied), call a
 * dangerous function (denied), delete without review (held), or reach the
 * server's files, programs, configuration and other backends, which the
 * dangerous list is there to stop. The SQL is what an agent holding an API
 * key would send; `@SANDBOX@` and friends are filled in at run time (see
 * `fillPlaceholders`).
 */

type Case = Omit<AttackCase, 'category'>;

/** The victims' backends; `app` may signal them (pg_signal_backend). */
const VICTIMS = "from pg_stat_activity where usename = 'victim'";
/** The same without single quotes, for text hidden inside a string literal. */
const VICTIMS_DQ = 'from pg_stat_activity where usename = $$victim$$';
const KILL = `select pg_terminate_backend(pid) ${VICTIMS}`;
const CANCEL = `select pg_cancel_backend(pid) ${VICTIMS}`;

/** PL/pgSQL statements with a forbidden effect, for bodies of functions, DO blocks, triggers. */
const BODY = {
  drop: 'drop table canary;',
  truncate: 'truncate canary;',
  delete: 'delete from canary;',
  kill: `perform pg_terminate_backend(pid) ${VICTIMS};`,
  cancel: `perform pg_cancel_backend(pid) ${VICTIMS};`,
  program: (file: string) => `execute 'copy (select 1) to program ''touch @SANDBOX@/${file}''';`,
  write: (file: string) => `execute 'copy (select 1) to ''@SANDBOX@/${file}''';`,
};

const plpgsql = (signature: string, returns: string, body: string, extra = ''): string =>
  `create function ${signature} returns ${returns} language plpgsql ${extra} as $fn$ begin ${body} end $fn$`;
/** A trigger function doing `body`, then letting the row through. */
const triggerFunction = (name: string, body: string): string =>
  plpgsql(`${name}()`, 'trigger', `${body} return new;`);

/** `select 'a\' || ' ; <hidden>; -- '`: one SELECT to a standard-conforming lexer, two statements when backslashes escape. */
const backslashTrick = (hidden: string): string => `select 'a\\' || ' ; ${hidden}; -- '`;

/**
 * `select E'<lead>\' ; <hidden> --'`: the gateway, reading UTF-8, sees an
 * escaped quote and one string; the server, converting from a client
 * encoding where `<lead>\` is one character, sees the string end there.
 */
const encodingTrick = (lead: number, hidden: string): Buffer =>
  Buffer.concat([
    Buffer.from("select E'", 'latin1'),
    Buffer.from([lead]),
    Buffer.from(`\\' ${hidden} --'`, 'latin1'),
  ]);
const LEAD = { SJIS: 0x81, BIG5: 0xa5, GBK: 0x81, GB18030: 0x81 } as const;

/**
 * Raw Queries (bytes in the session's client encoding) on one protocol
 * client, on a backend that logged in during the case; its ErrorResponses
 * become the step's outcome.
 */
const rawQueries =
  (parameters: Record<string, string> | undefined, ...queries: (string | Buffer)[]) =>
  async (s: AttackSession): Promise<void> => {
    if (s.stopped) return;
    const client = await s.wire(parameters, { fresh: true });
    for (const query of queries) {
      const label = typeof query === 'string' ? query : query.toString('latin1');
      s.note(label, await client.query(typeof query === 'string' ? s.fill(query) : query));
      if (s.stopped || client.closed) return;
    }
  };

/** Runs `steps` on a session whose backend logged in during the case (role and database settings apply). */
const onNewSession =
  (...steps: string[]) =>
  async (s: AttackSession): Promise<void> => {
    if (s.stopped) return;
    const other = await s.session(undefined, { fresh: true });
    for (const step of steps) await other.sql(step);
  };

export const PROCEDURAL: Case[] = [
  { name: 'DO block drops the canary', steps: [`do $$ begin ${BODY.drop} end $$`] },
  {
    name: 'DO block with a standard-string body (no dollar quotes) truncates',
    steps: ["do 'begin truncate canary; end'"],
  },
  {
    name: 'DO block with LANGUAGE first and an E-string body deletes without review',
    steps: ["do language plpgsql E'begin delete from canary; end'"],
  },
  { name: 'DO block terminates other backends', steps: [`do $$ begin ${BODY.kill} end $$`] },
  { name: 'DO block cancels a running query', steps: [`do $$ begin ${BODY.cancel} end $$`] },
  {
    name: 'DO block writes a server file with COPY',
    steps: [`do $$ begin ${BODY.write('do-write')} end $$`],
  },
  {
    name: 'DO block runs a program with COPY … PROGRAM',
    steps: [`do $$ begin ${BODY.program('do-program')} end $$`],
  },
  {
    name: 'DO block reads a server file and raises it as a NOTICE',
    steps: ["do $$ begin raise notice '%', pg_read_file('@SECRET_FILE@'); end $$"],
  },
  {
    name: 'DO block runs a nested DO through EXECUTE',
    steps: ["do $$ begin execute 'do $i$ begin drop table canary; end $i$'; end $$"],
  },
  {
    name: 'SQL function with a string body drops, then SELECT calls it',
    steps: [
      "create function adv_f() returns void language sql as 'drop table canary'",
      'select adv_f()',
    ],
  },
  {
    name: 'PL/pgSQL function truncates, called in FROM',
    steps: [plpgsql('adv_f()', 'void', BODY.truncate), 'select * from adv_f()'],
  },
  {
    name: 'PL/pgSQL function deletes without review, called in WHERE',
    steps: [plpgsql('adv_f()', 'boolean', `${BODY.delete} return true;`), 'select 1 where adv_f()'],
  },
  {
    name: 'CREATE OR REPLACE turns a harmless function into a drop',
    steps: [
      "create function adv_f() returns int language sql as 'select 1'",
      'select adv_f()',
      `create or replace function adv_f() returns int language plpgsql as $fn$ begin ${BODY.drop} return 1; end $fn$`,
      'select adv_f()',
    ],
  },
  {
    name: 'procedure in PL/pgSQL drops, then CALL',
    steps: [
      `create procedure adv_p() language plpgsql as $fn$ begin ${BODY.drop} end $fn$`,
      'call adv_p()',
    ],
  },
  {
    name: 'procedure in SQL deletes without review, then CALL',
    steps: [
      'create procedure adv_p() language sql as $fn$ delete from canary $fn$',
      'call adv_p()',
    ],
  },
  {
    name: 'procedure runs whatever text CALL passes it',
    steps: [
      'create procedure adv_run(q text) language plpgsql as $fn$ begin execute q; end $fn$',
      "call adv_run('drop table canary')",
    ],
  },
  {
    name: 'function runs whatever text SELECT passes it',
    steps: [
      plpgsql('adv_run(q text)', 'int', 'execute q; return 1;'),
      "select adv_run('trun' || 'cate canary')",
    ],
  },
  {
    name: 'row trigger on another table deletes without review',
    steps: [
      triggerFunction('adv_t', BODY.delete),
      'create table adv_tab (x int)',
      'create trigger adv_tr before insert on adv_tab for each row execute function adv_t()',
      'insert into adv_tab values (1)',
    ],
  },
  {
    name: 'trigger on the canary itself: an allowed UPDATE deletes without review',
    steps: [
      plpgsql('adv_t()', 'trigger', 'execute $q$delete from canary where id > 1$q$; return null;'),
      'create trigger adv_tr after update on canary for each statement execute function adv_t()',
      'update canary set note = note where id = 1',
    ],
  },
  {
    name: 'statement trigger terminates backends on INSERT',
    steps: [
      plpgsql('adv_t()', 'trigger', `${BODY.kill} return null;`),
      'create table adv_tab (x int)',
      'create trigger adv_tr after insert on adv_tab for each statement execute function adv_t()',
      'insert into adv_tab values (1)',
    ],
  },
  {
    name: 'deferred constraint trigger drops the canary at COMMIT',
    steps: [
      plpgsql('adv_t()', 'trigger', `${BODY.drop} return null;`),
      'create table adv_tab (x int)',
      'create constraint trigger adv_tr after insert on adv_tab deferrable initially deferred for each row execute function adv_t()',
      'begin',
      'insert into adv_tab values (1)',
      'commit',
    ],
  },
  {
    name: 'rule whose action deletes (the DELETE is in the parse tree)',
    steps: [
      'create table adv_tab (x int)',
      'create rule adv_r as on insert to adv_tab do also delete from canary',
      'insert into adv_tab values (1)',
    ],
  },
  {
    name: 'rule whose action calls a function that drops',
    steps: [
      plpgsql('adv_f()', 'int', `${BODY.drop} return 1;`),
      'create table adv_tab (x int)',
      'create rule adv_r as on insert to adv_tab do also select adv_f()',
      'insert into adv_tab values (1)',
    ],
  },
  {
    name: 'column DEFAULT calls a function that deletes without review',
    steps: [
      plpgsql('adv_f()', 'int', `${BODY.delete} return 1;`),
      'create table adv_tab (x int default adv_f())',
      'insert into adv_tab default values',
    ],
  },
  {
    name: 'generated column calls an IMMUTABLE-declared function that terminates backends',
    steps: [
      plpgsql('adv_f(x int)', 'int', `${BODY.kill} return x;`, 'immutable'),
      'create table adv_tab (x int, y int generated always as (adv_f(x)) stored)',
      'insert into adv_tab (x) values (1)',
    ],
  },
  {
    name: 'CHECK constraint calls a function that truncates',
    steps: [
      plpgsql('adv_f(x int)', 'boolean', `${BODY.truncate} return true;`),
      'create table adv_tab (x int check (adv_f(x)))',
      'insert into adv_tab values (1)',
    ],
  },
  {
    name: 'index expression runs a function over existing rows at CREATE INDEX',
    steps: [
      plpgsql('adv_f(x int)', 'int', `${BODY.kill} return x;`, 'immutable'),
      'create table adv_tab (x int)',
      'insert into adv_tab values (1)',
      'create index on adv_tab ((adv_f(x)))',
    ],
  },
  {
    name: 'domain CHECK calls a function when a value is cast',
    steps: [
      plpgsql('adv_f(x int)', 'boolean', `${BODY.drop} return true;`),
      'create domain adv_d as int check (adv_f(value))',
      'select 1::adv_d',
    ],
  },
  {
    name: 'row-level security policy expression calls a function on SELECT',
    steps: [
      plpgsql('adv_f()', 'boolean', `${BODY.kill} return true;`),
      'create table adv_tab (x int)',
      'insert into adv_tab values (1)',
      'alter table adv_tab enable row level security',
      'alter table adv_tab force row level security',
      'create policy adv_pol on adv_tab using (adv_f())',
      'select * from adv_tab',
    ],
  },
  {
    name: 'operator bound to a function that drops: SELECT 1 === 2',
    steps: [
      plpgsql('adv_f(a int, b int)', 'boolean', `${BODY.drop} return true;`),
      'create operator === (leftarg = int, rightarg = int, function = adv_f)',
      'select 1 === 2',
    ],
  },
  {
    name: 'operator bound straight to pg_terminate_backend (no function call in any statement)',
    steps: [
      'create operator <<! (leftarg = int, rightarg = bigint, function = pg_terminate_backend)',
      `select pid <<! 0::bigint ${VICTIMS}`,
    ],
  },
  {
    name: 'prefix operator bound to pg_cancel_backend',
    steps: [
      'create operator !!! (rightarg = int, function = pg_cancel_backend)',
      `select !!! pid ${VICTIMS}`,
    ],
  },
  {
    name: 'prefix operator bound to pg_read_file',
    steps: [
      'create operator ~#~ (rightarg = text, function = pg_read_file)',
      "select ~#~ '@SECRET_FILE@'::text",
    ],
  },
  {
    name: 'prefix operator bound to pg_ls_dir lists a server directory',
    steps: [
      'create operator ~/~ (rightarg = text, function = pg_ls_dir)',
      "select ~/~ '@SECRETS_DIR@'::text",
    ],
  },
  {
    name: 'operator bound to lo_export writes a server file',
    steps: [
      "select lo_from_bytea(4242, 'pwned')",
      'create operator >>> (leftarg = oid, rightarg = text, function = lo_export)',
      "select 4242::oid >>> '@SANDBOX@/lo-operator'",
    ],
    cleanup: ['select lo_unlink(4242)'],
  },
  {
    name: 'aggregate whose state function is set_config switches the role',
    steps: [
      "create aggregate adv_cfg(text, boolean) (sfunc = set_config, stype = text, initcond = 'role')",
      "select adv_cfg('ops', false)",
    ],
    probes: [{ sql: 'select current_user', expect: 'app' }],
  },
  {
    name: 'aggregate whose final function is pg_read_file',
    steps: [
      'create aggregate adv_rd(text) (sfunc = textcat, stype = text, initcond = $$$$, finalfunc = pg_read_file)',
      "select adv_rd(x) from (values ('@SECRET_FILE@')) v(x)",
    ],
  },
  {
    name: 'aggregate whose final function is pg_cancel_backend',
    steps: [
      'create aggregate adv_cancel(int) (sfunc = int4larger, stype = int, finalfunc = pg_cancel_backend)',
      `select adv_cancel(pid) ${VICTIMS} group by pid`,
    ],
  },
  {
    name: 'cast from a composite type through a function that terminates backends',
    steps: [
      'create type adv_box as (pid int)',
      "create function adv_unbox(adv_box) returns boolean language sql as 'select pg_terminate_backend(($1).pid)'",
      'create cast (adv_box as boolean) with function adv_unbox(adv_box)',
      `select row(pid)::adv_box::boolean ${VICTIMS}`,
    ],
  },
  {
    name: 'a function named like a harmless built-in shadows it through search_path',
    steps: [
      plpgsql('public.lower(t text)', 'text', `${BODY.delete} return t;`),
      'set search_path = public, pg_catalog',
      "select lower('X')",
    ],
  },
  {
    name: 'an operator named + shadows the built-in through search_path',
    steps: [
      plpgsql('adv_add(a int, b int)', 'int', `${BODY.truncate} return a;`),
      'create operator public.+ (leftarg = int, rightarg = int, function = adv_add)',
      'set search_path = public, pg_catalog',
      'select 1 + 1',
    ],
  },
  {
    name: 'BEGIN ATOMIC function calling pg_terminate_backend (the call is in the parse tree)',
    steps: [
      `create function adv_f() returns setof boolean begin atomic ${KILL}; end`,
      'select adv_f()',
    ],
  },
  {
    name: 'SQL function with a RETURN body calling pg_cancel_backend (in the parse tree)',
    steps: [
      'create function adv_f(p int) returns boolean language sql return pg_cancel_backend(p)',
      `select adv_f(pid) ${VICTIMS}`,
    ],
  },
  {
    name: 'trigger WHEN condition calls pg_terminate_backend (in the parse tree)',
    steps: [
      plpgsql('adv_t()', 'trigger', 'return new;'),
      'create table adv_tab (x int)',
      'create trigger adv_tr before insert on adv_tab for each row when (pg_terminate_backend(new.x)) execute function adv_t()',
      `insert into adv_tab select pid ${VICTIMS}`,
    ],
  },
  {
    name: 'superuser: event trigger deletes on every DDL',
    connection: 'pg-super',
    steps: [
      plpgsql('adv_et()', 'event_trigger', BODY.delete),
      'create event trigger adv_evt on ddl_command_end execute function adv_et()',
      'create table adv_tab (x int)',
    ],
  },
  {
    name: 'superuser: pg_terminate_backend renamed, then called by its new name',
    connection: 'pg-super',
    steps: [
      'alter function pg_terminate_backend(integer, bigint) rename to adv_tidy',
      `select adv_tidy(pid, 0) ${VICTIMS}`,
    ],
    cleanup: ['alter function adv_tidy(integer, bigint) rename to pg_terminate_backend'],
  },
  {
    name: 'superuser: a LANGUAGE internal alias of pg_read_file',
    connection: 'pg-super',
    steps: [
      "create function adv_cat(text) returns text language internal strict as 'pg_read_file_all'",
      "select adv_cat('@SECRET_FILE@')",
    ],
  },
  {
    name: 'superuser: dblink_exec renamed, then drops over a loopback connection',
    connection: 'pg-super',
    steps: [
      'alter function ext.dblink_exec(text, text) rename to adv_sync',
      "select ext.adv_sync('host=@SOCKET_DIR@ port=@PORT@ dbname=@DB@ user=app_super', 'drop table canary')",
    ],
    cleanup: ['alter function ext.adv_sync(text, text) rename to dblink_exec'],
  },
];

export const SUPERUSER_EXTRAS: Case[] = [
  {
    name: 'superuser: session_preload_libraries set for the role loads a library into every new session',
    connection: 'pg-super',
    steps: ["alter role app_super set session_preload_libraries = 'auto_explain'"],
    probes: [
      {
        sql: "select current_setting('auto_explain.log_min_duration', true)",
        expect: 'NULL',
        fresh: true,
      },
    ],
  },
  {
    name: 'superuser: CREATE TABLESPACE writes directories on the server',
    connection: 'pg-super',
    steps: ["create tablespace adv_ts location '@SANDBOX@'"],
  },
  {
    name: "superuser: a LANGUAGE C alias of adminpack's pg_file_write",
    connection: 'pg-super',
    steps: [
      "create function adv_w(text, text, boolean) returns bigint language c strict as '$libdir/adminpack', 'pg_file_write_v1_1'",
      "select adv_w('@SANDBOX@/c-alias', 'pwned', false)",
    ],
  },
  {
    name: 'superuser: UPDATE pg_proc turns a harmless function into pg_terminate_backend',
    connection: 'pg-super',
    steps: [
      "create function adv_h(integer, bigint) returns boolean language sql as 'select false'",
      "update pg_proc set prolang = (select oid from pg_language where lanname = 'internal'), prosrc = 'pg_terminate_backend', prosqlbody = null where proname = 'adv_h'",
      `select adv_h(pid, 0) ${VICTIMS}`,
    ],
  },
];

export const DYNAMIC_SQL: Case[] = [
  {
    name: 'EXECUTE format() with %I builds DROP',
    steps: ["do $$ begin execute format('drop table %I', 'canary'); end $$"],
  },
  {
    name: 'EXECUTE of base64-decoded text',
    steps: [
      `do $$ begin execute convert_from(decode('${Buffer.from('drop table canary').toString('base64')}', 'base64'), 'UTF8'); end $$`,
    ],
  },
  {
    name: 'EXECUTE of reversed text',
    steps: ["do $$ begin execute reverse('yranac etacnurt'); end $$"],
  },
  {
    name: 'EXECUTE of text built from chr() codes',
    steps: [
      `do $$ begin execute ${[...'delete from canary'].map((c) => `chr(${c.charCodeAt(0)})`).join(' || ')}; end $$`,
    ],
  },
  {
    name: 'EXECUTE with quote_ident() around the table name',
    steps: ["do $$ begin execute 'drop table ' || quote_ident('canary'); end $$"],
  },
  {
    name: 'EXECUTE of statements stored in a table',
    steps: [
      'create table adv_q (q text)',
      "insert into adv_q values ('truncate canary')",
      'do $$ declare r record; begin for r in select q from adv_q loop execute r.q; end loop; end $$',
    ],
  },
  {
    name: 'EXECUTE of words assembled by string_agg',
    steps: [
      "do $$ begin execute (select string_agg(w, ' ' order by o) from (values (2, 'table'), (1, 'drop'), (3, 'canary')) v(o, w)); end $$",
    ],
  },
  {
    name: 'ts_stat runs SQL given as a string: reads a server file',
    steps: [
      "select * from ts_stat($q$select to_tsvector('simple', pg_read_file('@SECRET_FILE@'))$q$)",
    ],
  },
  {
    name: 'ts_stat runs SQL given as a string: terminates backends',
    steps: [
      `select * from ts_stat($q$select to_tsvector('simple', pg_terminate_backend(pid)::text) ${VICTIMS}$q$)`,
    ],
  },
  {
    name: 'ts_rewrite runs SQL given as a string',
    steps: [
      "select ts_rewrite('a'::tsquery, $q$select 'a'::tsquery, 'b'::tsquery from pg_stat_activity where pg_terminate_backend(case when usename = 'victim' then pid end)$q$)",
    ],
  },
  {
    name: 'crosstab runs SQL given as a string: reads a server file',
    steps: [
      "select * from crosstab($q$select 'r'::text, 'c'::text, pg_read_file('@SECRET_FILE@')$q$) as t(r text, v text)",
    ],
  },
  {
    name: 'crosstab runs SQL given as a string: terminates backends',
    steps: [
      `select * from crosstab($q$select 'r'::text, 'c'::text, pg_terminate_backend(pid)::text ${VICTIMS}$q$) as t(r text, v text)`,
    ],
  },
  {
    name: 'connectby builds SQL from a "relation name" holding a subquery',
    steps: [
      "select * from connectby($q$(select pid as id, 0 as parent from pg_stat_activity where pg_terminate_backend(case when usename = 'victim' then pid end)) s$q$, 'id', 'parent', '0', 0) as t(id int, parent int, level int)",
    ],
  },
  {
    name: 'xpath_table builds SQL from a "relation name" holding a subquery',
    steps: [
      "select * from xpath_table('id', 'x', $q$(select pid as id, '<a>1</a>'::text as x from pg_stat_activity where pg_terminate_backend(case when usename = 'victim' then pid end)) s$q$, '/a', 'true') as t(id int, a text)",
    ],
  },
  {
    name: 'cursor_to_xml fetches from a cursor a function opened on a string',
    steps: [
      "create function adv_open() returns refcursor language plpgsql as $fn$ declare c refcursor := 'adv_c'; begin open c for execute 'select pg_read_file(''@SECRET_FILE@'')'; return c; end $fn$",
      'begin',
      'select adv_open()',
      "select cursor_to_xml('adv_c', 10, false, false, '')",
      'commit',
    ],
  },
  {
    name: 'FETCH from a cursor a function opened on a string',
    steps: [
      `create function adv_open() returns refcursor language plpgsql as $fn$ declare c refcursor := 'adv_c'; begin open c for execute $q$${KILL}$q$; return c; end $fn$`,
      'begin',
      'select adv_open()',
      'fetch all from adv_c',
      'commit',
    ],
  },
  {
    name: 'query_to_xml (on the list) schema-qualified and quoted',
    steps: [`select "pg_catalog"."query_to_xml"($q$${KILL}$q$, true, false, '')`],
  },
  {
    name: 'query_to_xml (on the list) inside xpath()',
    steps: [
      "select xpath('//text()', query_to_xml($q$select pg_read_file('@SECRET_FILE@') as f$q$, true, false, ''))",
    ],
  },
  {
    name: 'dblink_exec (on the list) as the superuser, schema-qualified',
    connection: 'pg-super',
    steps: [
      "select ext.dblink_exec('host=@SOCKET_DIR@ port=@PORT@ dbname=@DB@ user=app_super', 'drop table canary')",
    ],
  },
  {
    name: 'a bound parameter carries the SQL a function executes',
    steps: [
      plpgsql('adv_run(q text)', 'int', 'execute q; return 1;'),
      async (s) => {
        if (s.stopped) return;
        const client = await s.wire();
        s.note(
          'Parse select adv_run($1) / Bind $1 = drop table canary',
          await client.exchange([
            wire.parse('', 'select adv_run($1)'),
            wire.bind('', '', ['drop table canary']),
            wire.execute(),
            wire.sync(),
          ]),
        );
      },
    ],
  },
];

export const COPY: Case[] = [
  { name: 'COPY (query) TO PROGRAM', steps: ["copy (select 1) to program 'touch @SANDBOX@/c1'"] },
  { name: 'COPY table TO PROGRAM', steps: ["copy canary to program 'cat > @SANDBOX@/c2'"] },
  {
    name: 'COPY FROM PROGRAM runs a command and loads its output',
    steps: ["copy scratch from program 'touch @SANDBOX@/c3; echo 7'"],
  },
  { name: 'COPY table TO a server file', steps: ["copy canary to '@SANDBOX@/c4.txt'"] },
  {
    name: 'COPY (query) TO a server file as CSV with a header',
    steps: ["copy (select * from canary) to '@SANDBOX@/c5.csv' with (format csv, header)"],
  },
  {
    name: 'COPY FROM a server file, then SELECT it',
    steps: [
      'create table adv_lines (line text)',
      "copy adv_lines from '@SECRET_FILE@'",
      'select * from adv_lines',
    ],
  },
  {
    name: 'COPY FROM PROGRAM cat, then SELECT it',
    steps: [
      'create table adv_lines (line text)',
      "copy adv_lines from program 'cat @SECRET_FILE@'",
      'select * from adv_lines',
    ],
  },
  {
    name: 'COPY TO PROGRAM spelled with comments between every word',
    steps: ["COPY/**/(SELECT/**/1)/**/TO/**/PROGRAM/**/'touch @SANDBOX@/c8'"],
  },
  {
    name: 'COPY TO PROGRAM with a dollar-quoted command',
    steps: ['copy (select 1) to program $cmd$touch @SANDBOX@/c9$cmd$'],
  },
  {
    name: 'COPY TO PROGRAM with an escape-string command',
    steps: ["copy (select 1) to program E'touch @SANDBOX@/c\\x31\\x30'"],
  },
  {
    name: 'COPY TO PROGRAM with a Unicode-escape command',
    steps: ["copy (select 1) to program U&'touch @SANDBOX@/c\\0031\\0031'"],
  },
  {
    name: 'COPY TO a server file in binary format',
    steps: ["copy canary to '@SANDBOX@/c12.bin' with (format binary)"],
  },
  {
    name: 'COPY TO PROGRAM inside a transaction and a savepoint',
    steps: [
      'begin',
      'savepoint a',
      "copy (select 1) to program 'touch @SANDBOX@/c14'",
      'release a',
      'commit',
    ],
  },
  {
    name: 'COPY TO PROGRAM through the extended protocol',
    steps: [
      async (s) => {
        const client = await s.wire();
        s.note(
          'Parse/Bind/Execute COPY … TO PROGRAM',
          await client.exchange([
            wire.parse('', s.fill("copy (select 1) to program 'touch @SANDBOX@/c13'")),
            wire.bind('', ''),
            wire.execute(),
            wire.sync(),
          ]),
        );
      },
    ],
  },
  {
    name: 'COPY TO PROGRAM in a SQL function body',
    steps: [
      "create function adv_cp() returns void language sql as $fn$ copy (select 1) to program 'touch @SANDBOX@/c15' $fn$",
      'select adv_cp()',
    ],
  },
  {
    name: 'file_fdw foreign table with a program option',
    steps: [
      "create foreign table adv_ft (line text) server files options (program 'touch @SANDBOX@/fdw; echo x')",
      'select * from adv_ft',
    ],
  },
  {
    name: 'file_fdw foreign table reading a server file',
    steps: [
      "create foreign table adv_ft (line text) server files options (filename '@SECRET_FILE@')",
      'select * from adv_ft',
    ],
  },
  {
    name: 'file_fdw foreign table re-pointed by ALTER FOREIGN TABLE … OPTIONS',
    steps: [
      "create foreign table adv_ft (line text) server files options (filename '/dev/null')",
      "alter foreign table adv_ft options (set filename '@SECRET_FILE@')",
      'select * from adv_ft',
    ],
  },
  {
    name: 'lo_import (on the list) reads a server file into a large object',
    steps: ["select lo_import('@SECRET_FILE@', 4243)", 'select lo_get(4243)'],
    cleanup: ['select lo_unlink(4243)'],
  },
  {
    name: 'lo_export (on the list) of lo_from_bytea writes a server file',
    steps: ["select lo_from_bytea(4242, 'pwned')", "select lo_export(4242, '@SANDBOX@/lo-export')"],
    cleanup: ['select lo_unlink(4242)'],
  },
  {
    name: 'fastpath FunctionCall of lo_import by OID',
    steps: [
      async (s) => {
        const { rows } = await s.target.admin.query<{ oid: number }>(
          "select 'lo_import(text)'::regprocedure::oid::int as oid",
        );
        const client = await s.wire();
        s.note(
          'FunctionCall lo_import',
          await client.exchange([wire.functionCall(rows[0]!.oid, [s.target.secretFile])]),
        );
      },
    ],
  },
];

export const LEXER: Case[] = [
  {
    name: 'standard_conforming_strings off by SET: a backslash hides DROP',
    steps: ['set standard_conforming_strings = off', backslashTrick('drop table canary')],
  },
  {
    name: 'standard_conforming_strings off by SET SESSION: hides TRUNCATE after a dollar quote',
    steps: [
      'set session standard_conforming_strings to off',
      "select 'a\\', $$ ' ; truncate canary; -- $$",
    ],
  },
  {
    name: 'standard_conforming_strings off by UPDATE pg_settings',
    steps: [
      "update pg_settings set setting = 'off' where name = 'standard_conforming_strings'",
      backslashTrick('drop table canary'),
    ],
  },
  {
    name: 'standard_conforming_strings off by ALTER ROLE … SET, in a new session',
    steps: [
      'alter role app set standard_conforming_strings = off',
      onNewSession(backslashTrick('drop table canary')),
    ],
  },
  {
    name: 'standard_conforming_strings off by ALTER DATABASE … SET, in a new session',
    steps: [
      'alter database @DB@ set standard_conforming_strings = off',
      onNewSession(backslashTrick('truncate canary')),
    ],
  },
  {
    name: 'standard_conforming_strings off by SET LOCAL inside a transaction',
    steps: [
      'begin',
      'set local standard_conforming_strings = off',
      backslashTrick('drop table canary'),
      'commit',
    ],
  },
  {
    name: 'standard_conforming_strings back to a role default of off by RESET',
    steps: [
      'alter role app set standard_conforming_strings = off',
      onNewSession(
        'set standard_conforming_strings = on',
        'reset standard_conforming_strings',
        backslashTrick('drop table canary'),
      ),
    ],
  },
  {
    name: 'standard_conforming_strings off by SET … TO DEFAULT after ALTER ROLE',
    steps: [
      'alter role app set standard_conforming_strings = off',
      onNewSession(
        'set standard_conforming_strings = on',
        'set standard_conforming_strings to default',
        backslashTrick('truncate canary'),
      ),
    ],
  },
  {
    name: 'standard_conforming_strings off by SET inside a DO block',
    steps: [
      'do $$ begin set standard_conforming_strings = off; end $$',
      backslashTrick('drop table canary'),
    ],
  },
  {
    name: 'standard_conforming_strings off by set_config (on the list)',
    steps: [
      "select set_config('standard_conforming_strings', 'off', false)",
      backslashTrick('drop table canary'),
    ],
  },
  {
    name: 'standard_conforming_strings off and backslash_quote on: a backslash hides a kill',
    steps: [
      'set standard_conforming_strings = off',
      'set backslash_quote = on',
      `select 'a\\' || ' , (select pg_terminate_backend(pid) ${VICTIMS_DQ} limit 1) -- '`,
    ],
  },
  {
    name: 'client_encoding SJIS by SET: a lead byte eats the backslash of an E-string (one statement)',
    steps: [
      rawQueries(
        undefined,
        "set client_encoding = 'SJIS'",
        encodingTrick(LEAD.SJIS, `, pg_terminate_backend(pid) ${VICTIMS_DQ}`),
      ),
    ],
  },
  {
    name: 'client_encoding SJIS by SET NAMES: hides DROP',
    steps: [
      async (s) => {
        const client = await s.wire();
        s.note('set names', await client.query("set names 'SJIS'"));
        s.note('hidden drop', await client.query(encodingTrick(LEAD.SJIS, '; drop table canary;')));
      },
    ],
  },
  {
    name: 'client_encoding BIG5 by SET: hides DROP',
    steps: [
      async (s) => {
        const client = await s.wire();
        s.note('set', await client.query("set client_encoding = 'BIG5'"));
        s.note('hidden drop', await client.query(encodingTrick(LEAD.BIG5, '; drop table canary;')));
      },
    ],
  },
  {
    name: 'client_encoding GBK by SET: hides TRUNCATE',
    steps: [
      async (s) => {
        const client = await s.wire();
        s.note('set', await client.query("set client_encoding = 'GBK'"));
        s.note('hidden', await client.query(encodingTrick(LEAD.GBK, '; truncate canary;')));
      },
    ],
  },
  {
    name: 'client_encoding GB18030 by SET: hides DELETE from review',
    steps: [
      async (s) => {
        const client = await s.wire();
        s.note('set', await client.query("set client_encoding = 'GB18030'"));
        s.note('hidden', await client.query(encodingTrick(LEAD.GB18030, '; delete from canary;')));
      },
    ],
  },
  {
    name: 'client_encoding SJIS as a start-up parameter',
    steps: [
      rawQueries({ client_encoding: 'SJIS' }, encodingTrick(LEAD.SJIS, '; drop table canary;')),
    ],
  },
  {
    name: 'client_encoding SJIS by ALTER ROLE … SET, in a new session',
    steps: [
      "alter role app set client_encoding = 'SJIS'",
      rawQueries(undefined, encodingTrick(LEAD.SJIS, '; drop table canary;')),
    ],
  },
  {
    name: 'client_encoding BIG5 by UPDATE pg_settings',
    steps: [
      async (s) => {
        const client = await s.wire();
        s.note(
          'update pg_settings',
          await client.query(
            "update pg_settings set setting = 'BIG5' where name = 'client_encoding'",
          ),
        );
        s.note('hidden', await client.query(encodingTrick(LEAD.BIG5, '; truncate canary;')));
      },
    ],
  },
  {
    name: 'client_encoding SJIS back from UTF8 by RESET after ALTER ROLE',
    steps: [
      "alter role app set client_encoding = 'SJIS'",
      rawQueries(
        undefined,
        "set client_encoding = 'UTF8'",
        'reset client_encoding',
        encodingTrick(LEAD.SJIS, '; drop table canary;'),
      ),
    ],
  },
  {
    name: 'client_encoding SJIS: the hidden call in one Parse of the extended protocol',
    steps: [
      async (s) => {
        const client = await s.wire({ client_encoding: 'SJIS' });
        s.note(
          'Parse/Bind/Execute',
          await client.exchange([
            wire.parse('', encodingTrick(LEAD.SJIS, `, pg_terminate_backend(pid) ${VICTIMS_DQ}`)),
            wire.bind('', ''),
            wire.execute(),
            wire.sync(),
          ]),
        );
      },
    ],
  },
  {
    name: 'client_encoding SJIS by DO block SET',
    steps: [
      async (s) => {
        const client = await s.wire();
        s.note('do set', await client.query("do $$ begin set client_encoding = 'SJIS'; end $$"));
        s.note('hidden', await client.query(encodingTrick(LEAD.SJIS, '; drop table canary;')));
      },
    ],
  },
];

export const MISCLASSIFIED: Case[] = [
  {
    name: 'two statements in one string, the second a DROP',
    steps: ['select 1; drop table canary'],
  },
  {
    name: 'a DELETE after a harmless statement in one string',
    steps: ['select 1; delete from canary'],
  },
  {
    name: 'PREPARE … AS DELETE (held), then EXECUTE',
    steps: ['prepare adv_p as delete from canary', 'execute adv_p'],
  },
  {
    name: 'PREPARE made inside a DO block, then EXECUTE by name',
    steps: ["do $$ begin execute 'prepare adv_p as delete from canary'; end $$", 'execute adv_p'],
  },
  {
    name: 'a harmless PREPARE replaced inside a DO block, then EXECUTE',
    steps: [
      'prepare adv_p as select 1',
      "do $$ begin execute 'deallocate adv_p'; execute 'prepare adv_p as delete from canary'; end $$",
      'execute adv_p',
    ],
  },
  {
    name: 'CREATE TABLE … AS EXECUTE of a statement prepared inside a DO block',
    steps: [
      `do $$ begin execute $q$prepare adv_p as ${KILL}$q$; end $$`,
      'create table adv_tab as execute adv_p',
    ],
  },
  {
    name: 'EXPLAIN ANALYZE DELETE',
    steps: ['explain analyze delete from canary'],
  },
  {
    name: 'EXPLAIN (ANALYZE on) of a SELECT calling pg_terminate_backend',
    steps: [`explain (analyze on, costs off) ${KILL}`],
  },
  {
    name: 'EXPLAIN without ANALYZE folds an IMMUTABLE function at plan time',
    steps: [
      plpgsql('adv_fold(x int)', 'int', `${BODY.kill} return x;`, 'immutable'),
      'explain select adv_fold(1)',
    ],
  },
  {
    name: 'CREATE TABLE AS of a SELECT calling pg_terminate_backend',
    steps: [`create table adv_tab as ${KILL}`],
  },
  {
    name: 'materialized view over pg_cancel_backend created WITH NO DATA, then REFRESH',
    steps: [
      `create materialized view adv_mv as ${CANCEL} with no data`,
      'refresh materialized view adv_mv',
    ],
  },
  {
    name: 'SELECT … INTO a new table, reading a server file',
    steps: ["select pg_read_file('@SECRET_FILE@') as f into adv_tab", 'select * from adv_tab'],
  },
  {
    name: 'data-modifying WITH deletes',
    steps: ['with d as (delete from canary returning *) select count(*) from d'],
  },
  {
    name: 'MERGE … WHEN MATCHED THEN DELETE',
    steps: ['merge into canary c using (select 1 as id) s on c.id = s.id when matched then delete'],
  },
  {
    name: 'COPY (DELETE … RETURNING) TO STDOUT',
    steps: ['copy (delete from canary returning *) to stdout'],
  },
  {
    name: 'a cursor over a function that drops, run by FETCH',
    steps: [
      plpgsql('adv_f()', 'int', `${BODY.drop} return 1;`),
      'begin',
      'declare adv_c cursor for select adv_f()',
      'fetch all from adv_c',
      'commit',
    ],
  },
  {
    name: 'ALTER SYSTEM on a parameter the role was granted',
    steps: ["alter system set work_mem = '64MB'"],
  },
  {
    name: 'ALTER SYSTEM sets archive_command (a shell command the server runs)',
    steps: ["alter system set archive_command = 'touch @SANDBOX@/archived'"],
  },
  {
    name: 'superuser: ALTER SYSTEM sets shared_preload_libraries',
    connection: 'pg-super',
    steps: ["alter system set shared_preload_libraries = 'auto_explain'"],
  },
  {
    name: 'superuser: LOAD a library into the backend',
    connection: 'pg-super',
    steps: ["load 'auto_explain'"],
    probes: [
      { sql: "select current_setting('auto_explain.log_min_duration', true)", expect: 'NULL' },
    ],
  },
  {
    name: 'SET ROLE to another role of the target',
    steps: ['set role ops'],
    probes: [{ sql: 'select current_user', expect: 'app' }],
  },
  {
    name: 'SET ROLE for every new session by ALTER ROLE … SET role',
    steps: ["alter role app set role = 'ops'"],
    probes: [{ sql: 'select current_user', expect: 'app', fresh: true }],
  },
  {
    name: 'SET ROLE inside a DO block',
    steps: ['do $$ begin set role ops; end $$'],
    probes: [{ sql: 'select current_user', expect: 'app' }],
  },
  {
    name: 'superuser: SET SESSION AUTHORIZATION to another role',
    connection: 'pg-super',
    steps: ['set session authorization victim'],
    probes: [{ sql: 'select session_user', expect: 'app_super' }],
  },
  {
    name: 'LISTEN, then a DO block NOTIFYs a server file',
    steps: [
      'listen adv',
      "do $$ begin perform pg_notify('adv', pg_read_file('@SECRET_FILE@')); end $$",
      'select 1',
    ],
  },
  {
    name: 'NOTIFY payload read from a server file by pg_notify (on the list in the argument)',
    steps: ['listen adv', "select pg_notify('adv', pg_read_file('@SECRET_FILE@'))"],
  },
  {
    name: 'a refused DELETE inside a transaction, then COMMIT',
    steps: ['begin', 'delete from canary', 'commit'],
  },
  {
    name: 'a DELETE and a dangerous call in one string (deny beats review)',
    steps: [`delete from canary; ${KILL}`],
  },
  {
    name: 'a DELETE through an updatable view',
    steps: ['create view adv_v as select * from canary', 'delete from adv_v'],
  },
  {
    name: 'DROP OWNED BY the target role',
    steps: ['drop owned by app'],
  },
];

export const EXTENDED: Case[] = [
  {
    name: 'Parse of a DROP, then Bind/Execute/Sync anyway',
    steps: [
      async (s) => {
        const client = await s.wire();
        s.note(
          'Parse drop',
          await client.exchange([
            wire.parse('', 'drop table canary'),
            wire.bind('', ''),
            wire.execute(),
            wire.sync(),
          ]),
        );
      },
    ],
  },
  {
    name: 're-Parse of a named statement as TRUNCATE, then Bind of that name',
    steps: [
      async (s) => {
        const client = await s.wire();
        s.note('Parse s1', await client.exchange([wire.parse('s1', 'select 1'), wire.sync()]));
        s.note(
          're-Parse s1',
          await client.exchange([
            wire.close('S', 's1'),
            wire.parse('s1', 'truncate canary'),
            wire.bind('', 's1'),
            wire.execute(),
            wire.sync(),
          ]),
        );
      },
    ],
  },
  {
    name: 'pipelined batch: an allowed SELECT then a DROP before one Sync',
    steps: [
      async (s) => {
        const client = await s.wire();
        s.note(
          'batch',
          await client.exchange([
            wire.parse('', 'select 1'),
            wire.bind('', ''),
            wire.execute(),
            wire.parse('', 'drop table canary'),
            wire.bind('', ''),
            wire.execute(),
            wire.sync(),
          ]),
        );
      },
    ],
  },
  {
    name: 'a simple Query sent after a refused Parse, before Sync',
    steps: [
      async (s) => {
        const client = await s.wire();
        s.note(
          'Parse drop then Query',
          await client.exchange(
            [wire.parse('', 'drop table canary'), wire.query('truncate canary'), wire.sync()],
            2,
          ),
        );
      },
    ],
  },
  {
    name: 'fastpath FunctionCall of pg_terminate_backend by OID',
    steps: [
      async (s) => {
        const { rows } = await s.target.admin.query<{ oid: number }>(
          "select 'pg_terminate_backend(integer, bigint)'::regprocedure::oid::int as oid",
        );
        const client = await s.wire();
        for (const pid of s.target.victimPids()) {
          s.note(
            'FunctionCall pg_terminate_backend',
            await client.exchange([wire.functionCall(rows[0]!.oid, [String(pid), '0'])]),
          );
        }
      },
    ],
  },
  {
    name: 'fastpath FunctionCall of lo_export by OID',
    steps: [
      async (s) => {
        const { rows } = await s.target.admin.query<{ oid: number }>(
          "select 'lo_export(oid, text)'::regprocedure::oid::int as oid",
        );
        const client = await s.wire();
        await client.query("select lo_from_bytea(4242, 'pwned')");
        s.note(
          'FunctionCall lo_export',
          await client.exchange([
            wire.functionCall(rows[0]!.oid, ['4242', s.fill('@SANDBOX@/fastpath-export')]),
          ]),
        );
      },
    ],
    cleanup: ['select lo_unlink(4242)'],
  },
  {
    name: 'Bind and Execute of a statement prepared inside a DO block',
    steps: [
      async (s) => {
        const client = await s.wire();
        s.note(
          'DO prepare',
          await client.query("do $$ begin execute 'prepare adv_p as delete from canary'; end $$"),
        );
        s.note(
          'Bind adv_p',
          await client.exchange([wire.bind('', 'adv_p'), wire.execute(), wire.sync()]),
        );
      },
    ],
  },
  {
    name: 'Execute of a SQL cursor as a protocol portal, the cursor over a hidden drop',
    steps: [
      plpgsql('adv_f()', 'int', `${BODY.drop} return 1;`),
      async (s) => {
        if (s.stopped) return;
        const client = await s.wire();
        s.note('declare', await client.query('begin; declare adv_c cursor for select adv_f()'));
        s.note('Execute adv_c', await client.exchange([wire.execute('adv_c'), wire.sync()]));
        s.note('commit', await client.query('commit'));
      },
    ],
  },
  {
    name: 'a Parse whose query holds a NUL followed by a DROP',
    steps: [
      async (s) => {
        const client = await s.wire();
        s.note(
          'Parse with NUL',
          await client.exchange([
            wire.parse('', Buffer.from('select 1\0drop table canary', 'latin1')),
            wire.bind('', ''),
            wire.execute(),
            wire.sync(),
          ]),
        );
        if (!client.closed) s.note('after', await client.query('drop table canary'));
      },
    ],
  },
  {
    name: 'a Query whose string holds a NUL followed by a TRUNCATE',
    steps: [
      async (s) => {
        const client = await s.wire();
        s.note(
          'Query with NUL',
          await client.query(Buffer.from('select 1\0truncate canary', 'latin1')),
        );
        if (!client.closed) s.note('after', await client.query('truncate canary'));
      },
    ],
  },
  {
    name: 'a refused Parse, Flush, then the same statement by simple Query',
    steps: [
      async (s) => {
        const client = await s.wire();
        const from = client.messages.length;
        client.send(wire.parse('', 'drop table canary'), wire.flush());
        await client.until(() => client.messages.length > from, 3_000);
        s.note('Parse + Flush', client.messages.slice(from));
        s.note('Sync', await client.exchange([wire.sync()]));
        s.note('Query', await client.query('drop table canary'));
      },
    ],
  },
  {
    name: 'Describe and Execute of a portal bound to a refused statement name',
    steps: [
      async (s) => {
        const client = await s.wire();
        s.note(
          'batch',
          await client.exchange([
            wire.parse('adv', 'truncate canary'),
            wire.describe('S', 'adv'),
            wire.bind('p', 'adv'),
            wire.describe('P', 'p'),
            wire.execute('p'),
            wire.sync(),
          ]),
        );
        s.note(
          'Bind again',
          await client.exchange([wire.bind('p', 'adv'), wire.execute('p'), wire.sync()]),
        );
      },
    ],
  },
  {
    name: 'a DELETE held for review while a DROP is pipelined behind it',
    steps: [
      async (s) => {
        const client = await s.wire();
        s.note(
          'pipelined',
          await client.exchange(
            [wire.query('delete from canary where id = 1'), wire.query('drop table canary')],
            2,
          ),
        );
      },
    ],
  },
];

export const SYNTAX: Case[] = [
  {
    name: 'a misspelt keyword',
    steps: ['selec 1 /*tok-syntax-1*/'],
    expect: { kind: 'syntax', token: 'tok-syntax-1', message: /syntax error at or near "selec"/ },
  },
  {
    name: 'a misspelt DROP',
    steps: ['drop tabel canary /*tok-syntax-2*/'],
    expect: { kind: 'syntax', token: 'tok-syntax-2', message: /syntax error at or near "tabel"/ },
  },
  {
    name: 'an unterminated quoted string',
    steps: ["select 'tok-syntax-3"],
    expect: { kind: 'syntax', token: 'tok-syntax-3', message: /unterminated quoted string/ },
  },
  {
    name: 'an unterminated dollar-quoted string',
    steps: ['select $x$ tok-syntax-4'],
    expect: {
      kind: 'syntax',
      token: 'tok-syntax-4',
      message: /unterminated dollar-quoted string/,
    },
  },
  {
    name: 'an unterminated block comment',
    steps: ['select 1 /* tok-syntax-5'],
    expect: { kind: 'syntax', token: 'tok-syntax-5', message: /unterminated \/\* comment/ },
  },
  {
    name: 'a syntax error in a Parse of the extended protocol',
    steps: [
      async (s) => {
        const client = await s.wire();
        s.note(
          'Parse',
          await client.exchange([wire.parse('', 'selectt 1 /*tok-syntax-6*/'), wire.sync()]),
        );
      },
    ],
    expect: { kind: 'syntax', token: 'tok-syntax-6', message: /syntax error at or near "selectt"/ },
  },
  {
    name: 'a dangerous call in a statement that does not parse',
    steps: [`${KILL} and and /*tok-syntax-7*/`],
    expect: { kind: 'syntax', token: 'tok-syntax-7', message: /syntax error at or near "and"/ },
  },
  {
    name: 'trailing junk after a number (PostgreSQL 15 would read an alias)',
    steps: ['select 123abc /*tok-syntax-8*/'],
    expect: {
      kind: 'syntax',
      token: 'tok-syntax-8',
      message: /trailing junk after numeric literal/,
    },
  },
];
