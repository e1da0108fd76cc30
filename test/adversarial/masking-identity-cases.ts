import type { LeakCase, LeakSession, LeakStep } from './harness/leak.js';

/*
 * Attacks on what masking knows of a column: which column a value is
 * (views, renames, schemas, the gateway's catalog connection) and what it
 * derives from (functions, cursors, constructors, casts to other types).
 * Same policy as `masking-cases.ts`: customers.email, *.ssn and
 * *.card_number masked by name, email/card/phone detectors elsewhere.
 */

type Case = Omit<LeakCase, 'category'>;

/** SQL run as the table owner `app` straight on the target: a DBA's object, not the agent's. */
const asOwner =
  (...statements: string[]): LeakStep =>
  async (s: LeakSession) => {
    await s.target.admin.query('set role app');
    try {
      for (const sql of statements) await s.target.admin.query(s.fill(sql));
    } finally {
      await s.target.admin.query('reset role');
    }
  };

/** `sql` run by a second agent under the same masks. */
const other =
  (...statements: string[]): LeakStep =>
  async (s: LeakSession) => {
    const session = await s.session('agent-2');
    for (const sql of statements) await session.sql(sql);
  };

/** Views an administrator made over the masked table, read by the agent. */
export const VIEWS: Case[] = [
  {
    name: 'a view that selects the SSN under its own name',
    steps: [asOwner('create view v_ssn as select id, ssn from customers'), 'select * from v_ssn'],
  },
  {
    name: 'a view that renames the SSN column',
    steps: [
      asOwner('create view v_tax as select id, ssn as tax from customers'),
      'select tax from v_tax',
    ],
  },
  {
    name: 'a view over a view that renames it again',
    steps: [
      asOwner(
        'create view v_a as select id, ssn as a from customers',
        'create view v_b as select id, a as b from v_a',
      ),
      'select b from v_b',
    ],
  },
  {
    name: 'a security_barrier view',
    steps: [
      asOwner(
        'create view v_sb with (security_barrier) as select id, ssn as k from customers where id > 0',
      ),
      'select k from v_sb',
    ],
  },
  {
    name: 'a security_invoker view',
    steps: [
      asOwner('create view v_si with (security_invoker) as select ssn as k from customers'),
      'select k from v_si',
    ],
  },
  {
    name: 'a materialized view holding a copy of the SSNs',
    steps: [
      asOwner('create materialized view mv_ssn as select id, ssn as k from customers'),
      'select k from mv_ssn',
    ],
  },
  {
    name: 'a view computing digits from the SSN',
    steps: [
      asOwner("create view v_d as select id, replace(ssn, '-', '') as d from customers"),
      'select d from v_d',
    ],
  },
  {
    name: 'a view of whole rows as text',
    steps: [asOwner('create view v_rows as select c::text as t from customers c'), 'table v_rows'],
  },
  {
    name: 'an expression over a renamed view column',
    steps: [
      asOwner('create view v_tax as select id, ssn as tax from customers'),
      "select reverse(tax), tax || '' from v_tax",
    ],
  },
  {
    name: 'a view calling a user-defined identity function',
    steps: [
      asOwner(
        "create function adv_id(text) returns text language sql immutable as 'select $1'",
        'create view v_f as select adv_id(ssn) as x from customers',
      ),
      'select x from v_f',
    ],
  },
  {
    name: 'a view joining orders to the SSN under the name note',
    steps: [
      asOwner(
        'create view v_j as select o.id, c.ssn as note from orders o join customers c on c.id = o.customer_id',
      ),
      'select note from v_j',
    ],
  },
  {
    name: 'a view with a UNION of the SSN and a harmless column',
    steps: [
      asOwner(
        'create view v_u as select ssn as s from customers union all select note from orders',
      ),
      'select s from v_u',
    ],
  },
  {
    name: 'a view in another schema named like the table',
    steps: [
      asOwner('create schema adv', 'create view adv.customers as select * from public.customers'),
      'select * from adv.customers',
    ],
  },
  {
    name: 'COPY of a query over a renaming view',
    steps: [
      asOwner('create view v_tax as select id, ssn as tax from customers'),
      'copy (select tax from v_tax) to stdout',
    ],
  },
  {
    name: 'a view read through a cursor',
    steps: [
      asOwner('create view v_tax as select id, ssn as tax from customers'),
      'begin',
      'declare adv_c cursor for select tax from v_tax',
      'fetch all from adv_c',
      'commit',
    ],
  },
];

/** Renames and schema moves, by an agent, an administrator or code, before another reads. */
export const RENAMES: Case[] = [
  {
    name: 'the table renamed, another agent reads it under the new name',
    steps: ['alter table customers rename to clients', other('select * from clients')],
  },
  {
    name: 'the table moved to another schema, another agent reads it there',
    steps: [
      'create schema adv',
      'alter table customers set schema adv',
      other('select * from adv.customers'),
    ],
  },
  {
    name: 'the schema renamed, another agent reads through the new schema name',
    steps: [
      'alter table customers rename column ssn to tax_id',
      'alter schema public rename to p2',
      other('select tax_id from p2.customers'),
    ],
    cleanup: ['alter schema p2 rename to public'],
  },
  {
    name: 'a rename run by a DO block from a constant string',
    steps: [
      "do $$ begin execute 'alter table customers rename column ssn to x'; end $$",
      other('select x from customers'),
    ],
  },
  {
    name: 'a rename run by a DO block from a string built with format()',
    steps: [
      "do $$ begin execute format('alter table %I rename column %I to %I', 'customers', 'ssn', 'x'); end $$",
      other('select x from customers'),
    ],
  },
  {
    name: 'a rename inside a function, called by a SELECT',
    steps: [
      'create function adv_r() returns void language plpgsql as $$ begin alter table customers rename column ssn to x; end $$',
      'select adv_r()',
      other('select x from customers'),
    ],
  },
  {
    name: 'two renames in one string, then the last name read',
    steps: [
      'alter table customers rename column ssn to a; alter table customers rename column a to b',
      other('select b from customers'),
    ],
  },
  {
    name: 'a rename and a read in the same string',
    steps: ['alter table customers rename column ssn to x; select x from customers'],
  },
  {
    name: 'a rename committed in a transaction, then read by the same agent',
    steps: [
      'begin',
      'alter table customers rename column ssn to x',
      'commit',
      'select x from customers',
    ],
  },
  {
    name: 'a rename by the owner outside the gateway after the gateway read the table',
    steps: [
      other('select id from customers'),
      asOwner('alter table customers rename column ssn to x'),
      other('select x from customers', 'select pg_sleep(2.5)', 'select x from customers'),
    ],
  },
  {
    name: 'the SSN and email columns swapped by name, read by another agent',
    steps: [
      'alter table customers rename column ssn to adv_t',
      'alter table customers rename column email to ssn',
      'alter table customers rename column adv_t to email',
      other('select id, email, ssn from customers'),
    ],
  },
  {
    name: 'a renamed column copied out by another agent',
    steps: [
      'alter table customers rename column ssn to x',
      other('copy customers to stdout', 'copy (select x from customers) to stdout'),
    ],
  },
  {
    name: 'a renamed table and column read through a cursor by another agent',
    steps: [
      'alter table customers rename column ssn to x',
      'alter table customers rename to clients',
      other('begin', 'declare c cursor for select * from clients', 'fetch all from c', 'commit'),
    ],
  },
  {
    name: 'a renamed column read by another agent through the extended protocol',
    steps: [
      'alter table customers rename column card_number to k',
      async (s) => {
        const session = await s.session('agent-2');
        await session.sql('select k from customers where id > 0');
      },
    ],
  },
];

/** What derives from a masked column, in ways the built-in list may not know. */
export const MORE_DERIVATIONS: Case[] = [
  {
    name: 'numeric of the digits',
    steps: ["select replace(ssn, '-', '')::numeric from customers"],
    exec: true,
  },
  {
    name: 'to_hex of the digits',
    steps: ["select to_hex(int8(replace(ssn, '-', ''))) from customers"],
  },
  { name: 'md5 as a uuid', steps: ['select md5(ssn)::uuid from customers'] },
  { name: 'bytea of a prefix and the value', steps: ["select ('x' || ssn)::bytea from customers"] },
  {
    name: 'jsonb_build_array ->> 0',
    steps: ['select jsonb_build_array(ssn) ->> 0 from customers'],
  },
  { name: 'regexp_match subscript', steps: ["select (regexp_match(ssn, '.*'))[1] from customers"] },
  {
    name: 'xmlserialize of an element',
    steps: ['select xmlserialize(content xmlelement(name x, ssn) as text) from customers'],
  },
  { name: 'row(…)::text', steps: ['select row(ssn)::text from customers'] },
  { name: '(c.*)::text', steps: ['select (c.*)::text from customers c'] },
  { name: 'to_json(c.*)', steps: ['select to_json(c.*) from customers c'] },
  {
    name: 'jsonb_each_text of the row in FROM',
    steps: ['select v from customers c, jsonb_each_text(to_jsonb(c)) e(k, v)'],
  },
  {
    name: 'unnest of an array mixing columns',
    steps: ['select unnest(array[name, ssn]) from customers'],
  },
  {
    name: 'array_agg inside a scalar subquery, as text',
    steps: ['select (select array_agg(ssn) from customers)::text'],
  },
  {
    name: 'a star over a subquery with column aliases',
    steps: ['select * from (select id, ssn from customers) s(a, b)'],
  },
  {
    name: 'a UNION with a constant',
    steps: ["select upper(ssn) from customers union select 'x'"],
  },
  {
    name: 'the last four digits as an integer, one row each',
    steps: ["select right(replace(ssn, '-', ''), 9)::int from customers"],
  },
  {
    name: 'VALUES holding a scalar subquery among constants',
    steps: ["values ('a'), ((select ssn from customers order by id limit 1)), ('b')"],
  },
  {
    name: 'a cursor over a derived value, fetched',
    steps: [
      'begin',
      "declare adv_c cursor for select replace(ssn, '-', '') from customers",
      'fetch all from adv_c',
      'commit',
    ],
  },
  {
    name: 'a prepared statement over a derived value, executed',
    steps: ['prepare adv_p as select reverse(ssn) from customers', 'execute adv_p'],
  },
];

/** User code between the column and the output. */
export const MORE_FUNCTIONS: Case[] = [
  {
    name: 'a SQL identity function over the column',
    steps: [
      "create function adv_id(text) returns text language sql immutable as 'select $1'",
      'select adv_id(ssn) from customers',
    ],
  },
  {
    name: 'a function returning a whole customers row, expanded',
    steps: [
      "create function adv_row() returns customers language sql as 'select * from customers limit 1'",
      'select (adv_row()).*',
    ],
  },
  {
    name: 'a set-returning function of the table’s row type in FROM',
    steps: [
      "create function adv_rows() returns setof customers language sql as 'select * from customers'",
      'select * from adv_rows()',
    ],
  },
  {
    name: 'a PL/pgSQL function running SQL from a string into a variable',
    steps: [
      "create function adv_e() returns text language plpgsql as $$ declare r text; begin execute 'select ssn from customers limit 1' into r; return r; end $$",
      'select adv_e()',
    ],
  },
  {
    name: 'query_to_xml of SQL built with format()',
    steps: ["select query_to_xml(format('select %s from customers', 'ssn'), true, false, '')"],
  },
  {
    name: 'xpath over cursor_to_xml',
    steps: [
      'begin',
      'declare adv_c cursor for select ssn from customers',
      "select xpath('//ssn/text()', cursor_to_xml('adv_c', 10, true, false, ''))",
      'commit',
    ],
  },
  {
    name: 'a user-defined aggregate over textcat',
    steps: [
      'create aggregate adv_agg(text) (sfunc = textcat, stype = text)',
      'select adv_agg(ssn) from customers',
    ],
  },
  {
    name: 'a procedure returning the value through an INOUT argument',
    steps: [
      'create procedure adv_p(inout x text) language plpgsql as $$ begin select ssn into x from customers limit 1; end $$',
      'call adv_p(null)',
    ],
  },
  {
    name: 'a function named like a transparent built-in, in a schema first on the search_path',
    steps: [
      'create schema adv',
      "create function adv.lower(text) returns text language sql as 'select $1'",
      'set search_path = adv, pg_catalog, public',
      'select lower(ssn) from customers',
    ],
  },
  {
    name: 'a function in attribute notation on a qualified row',
    steps: [
      'create function adv_s(c customers) returns text language sql return c.ssn',
      'select (c).adv_s from customers c',
    ],
  },
];

/** The gateway's catalog connection and schemas that shadow the table. */
export const MORE_CATALOG: Case[] = [
  {
    name: 'a temporary table named customers with a harmless shape, then the real one read by schema',
    steps: [
      'create temp table customers (id int, name text, email text, a text, b text, c text, d text)',
      'select * from public.customers',
      'copy public.customers to stdout',
    ],
  },
  {
    name: 'a decoy customers table first on the session’s search_path, then the real one copied',
    steps: [
      'create schema adv',
      'create table adv.customers (id int, name text, email text, a text, b text, c text, d text)',
      'set search_path = adv, public, ext',
      'copy public.customers to stdout',
      'select * from public.customers',
    ],
  },
  {
    name: 'the role’s search_path changed to a decoy schema while a session reads the real table',
    steps: [
      'create schema adv',
      'create table adv.customers (id int, name text, email text, a text, b text, c text, d text)',
      'alter role app set search_path = adv, public, ext',
      "select pg_terminate_backend(pid) from pg_stat_activity where usename = 'app' and pid <> pg_backend_pid()",
      'select pg_sleep(0.3)',
      'select * from public.customers',
      'copy public.customers to stdout',
    ],
    cleanup: ["select pg_terminate_backend(pid) from pg_stat_activity where usename = 'app'"],
  },
  {
    name: 'an operator on oid in a schema first on the role’s search_path, read through FETCH',
    steps: [
      'create schema adv',
      "create function adv.eq(oid, oid) returns boolean language sql immutable as 'select false'",
      'create operator adv.= (leftarg = oid, rightarg = oid, function = adv.eq)',
      'alter role app set search_path = adv, pg_catalog, public, ext',
      "select pg_terminate_backend(pid) from pg_stat_activity where usename = 'app' and pid <> pg_backend_pid()",
      'select pg_sleep(0.3)',
      other(
        'begin',
        'declare c cursor for select * from public.customers',
        'fetch all from c',
        'commit',
      ),
    ],
    cleanup: ["select pg_terminate_backend(pid) from pg_stat_activity where usename = 'app'"],
  },
];
