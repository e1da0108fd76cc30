import type { LeakCase, LeakSession, Row } from './harness/leak.js';
import { wire } from './harness/wire-client.js';

/*
 * The attacks on result masking, by category. The policy masks
 * customers.email, *.ssn and *.card_number by name and scans everything else
 * with the email, credit card and phone detectors. SSNs have no detector:
 * once the lineage loses track of one, nothing else stands in the way, so
 * most attacks aim at the SSN; emails, cards and phones are checked in every
 * case all the same (see `secrets.ts`). `exec: true` cases also run through
 * `hoop exec`.
 */

type Case = Omit<LeakCase, 'category'>;

const Q = {
  all: 'select email, ssn, card_number, phone, notes from customers order by id',
  ssn: 'select ssn from customers order by id',
  derived: "select replace(ssn, '-', '') from customers order by id",
  name: 'select name from customers order by id',
};

/** Joins column `col` of every row, in order (a value spread over rows). */
const joined =
  (col = 0) =>
  (rows: Row[]): string[] => [rows.map((row) => row[col] ?? '').join('')];

/** Rows of (position, character) → the string, positions 1-based. */
const byPosition =
  (posCol = 0, charCol = 1) =>
  (rows: Row[]): string[] => {
    const chars: string[] = [];
    for (const row of rows) {
      const at = Number(row[posCol]);
      if (Number.isInteger(at) && at > 0 && row[charCol] !== null) chars[at - 1] = row[charCol]!;
    }
    return [Array.from(chars, (c) => c ?? '?').join('')];
  };

/** Characters and the 1-based positions to try in position oracles. */
const SSN_CHARS = "unnest(string_to_array('0123456789-', null)) d";
/** No `_` or `%`: in a LIKE pattern they are wildcards. */
const EMAIL_CHARS = "unnest(string_to_array('abcdefghijklmnopqrstuvwxyz0123456789.@-', null)) d";

/** A raw extended-protocol exchange on one client; its rows and errors are recorded. */
const extended =
  (label: string, build: (s: LeakSession) => Buffer[][], before?: string) =>
  async (s: LeakSession): Promise<void> => {
    const client = await s.wire();
    if (before) s.note(before, await client.query(before));
    for (const [i, batch] of build(s).entries()) {
      // One ReadyForQuery per Sync or Query; a batch ending in Flush gets a moment instead.
      const syncs = batch.filter((m) => m[0] === 0x53 || m[0] === 0x51).length;
      s.note(`${label} #${i + 1}`, await client.exchange(batch, syncs, syncs === 0 ? 500 : 15_000));
    }
  };

const { parse, bind, describe, execute, sync, close, flush, query } = wire;

export const EXTENDED: Case[] = [
  {
    name: 'Parse/Bind/Describe/Execute of the masked columns (the driver’s way)',
    steps: [
      extended('pbde', () => [[parse('', Q.all), bind('', ''), describe('P'), execute(), sync()]]),
    ],
  },
  {
    name: 'Execute without any Describe: rows arrive with no RowDescription',
    steps: [extended('pbe', () => [[parse('', Q.all), bind('', ''), execute(), sync()]])],
  },
  {
    name: 'a named statement bound and executed in a later batch without Describe',
    steps: [
      extended('named', () => [
        [parse('s1', Q.ssn), sync()],
        [bind('', 's1'), execute(), sync()],
      ]),
    ],
  },
  {
    name: 'Describe of the statement only, then Bind and Execute',
    steps: [
      extended('describe S', () => [
        [parse('s1', Q.ssn), describe('S', 's1'), bind('', 's1'), execute(), sync()],
      ]),
    ],
  },
  {
    name: 're-Parse of an existing name with a harmless query, then Bind of that name',
    steps: [
      extended('re-parse', () => [
        [parse('s1', Q.ssn), sync()],
        [parse('s1', Q.name), sync()],
        [bind('', 's1'), describe('P'), execute(), sync()],
      ]),
    ],
  },
  {
    name: 'Close and re-Parse of a name, executed without Describe',
    steps: [
      extended('close/re-parse', () => [
        [parse('s1', Q.name), describe('S', 's1'), sync()],
        [close('S', 's1'), parse('s1', Q.derived), bind('', 's1'), execute(), sync()],
      ]),
    ],
  },
  {
    name: 'the unnamed statement bound twice, the second time without Describe',
    steps: [
      extended('unnamed twice', () => [
        [parse('', Q.ssn), bind('', ''), describe('P'), execute(), bind('', ''), execute(), sync()],
      ]),
    ],
  },
  {
    name: 'a failed Parse in a batch, then Bind of an earlier statement after Sync',
    steps: [
      extended('parse error', () => [
        [parse('s1', Q.derived), sync()],
        [parse('s2', 'select nonsense from nowhere'), bind('', 's1'), execute(), sync()],
        [bind('', 's1'), execute(), sync()],
      ]),
    ],
  },
  {
    name: 'two named portals: Describe one, Execute the other',
    steps: [
      extended('portals', () => [
        [
          parse('a', Q.name),
          parse('b', Q.derived),
          bind('pa', 'a'),
          bind('pb', 'b'),
          describe('P', 'pa'),
          execute('pb'),
          execute('pa'),
          sync(),
        ],
      ]),
    ],
  },
  {
    name: 'Execute with a row limit, then the rest of the portal',
    steps: [
      extended('suspended', () => [
        [
          parse('', Q.ssn),
          bind('p', ''),
          describe('P', 'p'),
          execute('p', 1),
          execute('p', 0),
          sync(),
        ],
      ]),
    ],
  },
  {
    name: 'a portal kept open across Syncs in a transaction, executed later without Describe',
    steps: [
      extended(
        'held portal',
        () => [
          [parse('', Q.name), bind('p', ''), describe('P', 'p'), sync()],
          [parse('', Q.derived), bind('q', ''), sync()],
          [execute('q'), sync()],
          [query('commit')],
        ],
        'begin',
      ),
    ],
  },
  {
    name: 'a SQL cursor executed as a protocol portal',
    steps: [
      extended(
        'cursor portal',
        () => [[execute('adv_c'), sync()], [query('commit')]],
        `begin; declare adv_c cursor for ${Q.ssn}`,
      ),
    ],
  },
  {
    name: 'a SQL cursor over a derived value, described and executed as a portal',
    steps: [
      extended(
        'cursor portal',
        () => [[describe('P', 'adv_c'), execute('adv_c'), sync()], [query('commit')]],
        `begin; declare adv_c cursor for ${Q.derived}`,
      ),
    ],
  },
  {
    name: 'a SQL PREPARE bound through the protocol (never Parsed there)',
    steps: [
      extended(
        'bind prepared',
        () => [[bind('', 'adv_ps'), describe('P'), execute(), sync()]],
        `prepare adv_ps as ${Q.derived}`,
      ),
    ],
  },
  {
    name: 'a protocol statement run by SQL EXECUTE',
    steps: [
      extended('execute', () => [[parse('adv_ps', Q.derived), sync()], [query('execute adv_ps')]]),
    ],
  },
  {
    name: 'a pipelined batch: harmless, masked, harmless, one Sync',
    steps: [
      extended('pipeline', () => [
        [
          parse('', Q.name),
          bind('', ''),
          describe('P'),
          execute(),
          parse('', Q.derived),
          bind('', ''),
          execute(),
          parse('', 'select 1'),
          bind('', ''),
          describe('P'),
          execute(),
          sync(),
        ],
      ]),
    ],
  },
  {
    name: 'Describe after Execute, Flush instead of Sync',
    steps: [
      extended('flush', () => [
        [parse('', Q.ssn), bind('p', ''), execute('p', 1), flush()],
        [describe('P', 'p'), execute('p'), sync()],
      ]),
    ],
  },
  {
    name: 'a simple Query between Parse and Bind of a named statement',
    steps: [
      extended('query inside', () => [
        [parse('s1', Q.derived), query(Q.name), bind('', 's1'), execute(), sync()],
      ]),
    ],
  },
  {
    name: 'binary results requested for some columns only',
    steps: [
      extended('mixed formats', () => [
        [
          parse('', 'select name, ssn, email, card_number from customers order by id'),
          bind('', '', [], [0, 1, 0, 1]),
          describe('P'),
          execute(),
          sync(),
        ],
      ]),
    ],
  },
  {
    name: 'a parameter that only filters, the secret in the select list',
    steps: [
      extended('param', () => [
        [
          parse('', 'select ssn, $1::text as p from customers order by id', [25]),
          bind('', '', ['x']),
          execute(),
          sync(),
        ],
      ]),
    ],
  },
];

export const ERRORS: Case[] = [
  {
    name: 'a failed cast of an SSN to integer',
    steps: ['select ssn::int from customers'],
    exec: true,
  },
  {
    name: 'a failed cast of an email to integer',
    steps: ['select email::int from customers'],
    exec: true,
  },
  {
    name: 'a failed cast of a card number to bigint',
    steps: ['select card_number::bigint from customers'],
    exec: true,
  },
  { name: 'a failed cast to date', steps: ['select ssn::date from customers'] },
  { name: 'a failed cast to uuid', steps: ['select ssn::uuid from customers'] },
  { name: 'a failed cast to inet', steps: ['select ssn::inet from customers'] },
  {
    name: 'a cast to regclass names the value',
    steps: ['select ssn::regclass from customers'],
    exec: true,
  },
  {
    name: 'a malformed array literal built from the value',
    steps: ["select ('{' || ssn || 'x}')::int[] from customers"],
  },
  { name: 'a failed cast to numeric', steps: ['select ssn::numeric from customers'] },
  {
    name: 'nextval of a sequence named by the value',
    steps: ['select nextval(ssn) from customers'],
  },
  {
    name: 'xmlparse of the value as a document (the error shows the input line)',
    steps: ['select xmlparse(document ssn) from customers'],
    exec: true,
  },
  {
    name: 'a unique violation shows the duplicate key',
    steps: [
      'create table adv_u (v text unique)',
      'insert into adv_u select ssn from customers',
      'insert into adv_u select ssn from customers',
    ],
    exec: true,
  },
  {
    name: 'a check violation shows the failing row',
    steps: [
      "create table adv_c (v text check (v = 'x'))",
      'insert into adv_c select ssn from customers where id = 1',
    ],
    exec: true,
  },
  {
    name: 'a not-null violation shows the failing row',
    steps: [
      'create table adv_n (a text, b text not null)',
      'insert into adv_n select ssn, null from customers where id = 1',
    ],
  },
  {
    name: 'a foreign key violation shows the missing key',
    steps: [
      'create table adv_p (v text primary key)',
      'create table adv_f (v text references adv_p)',
      'insert into adv_f select ssn from customers where id = 1',
    ],
  },
  {
    name: 'no partition for the row shows the partition key',
    steps: [
      'create table adv_part (v text) partition by list (v)',
      'insert into adv_part select ssn from customers where id = 1',
    ],
  },
  {
    name: 'RAISE NOTICE in a DO block',
    steps: [
      "do $$ declare r text; begin select ssn into r from customers where id = 1; raise notice '%', r; end $$",
    ],
    exec: true,
  },
  {
    name: 'RAISE EXCEPTION with DETAIL and HINT',
    steps: [
      "do $$ declare r record; begin select * into r from customers where id = 1; raise exception 'no' using detail = r.ssn, hint = r.card_number; end $$",
    ],
    exec: true,
  },
  {
    name: 'RAISE in a function called from a SELECT list',
    steps: [
      "create function adv_say(t text) returns int language plpgsql as $fn$ begin raise notice 'value %', t; return 1; end $fn$",
      'select adv_say(ssn) from customers',
    ],
  },
  {
    name: 'an error raised by a cast inside PL/pgSQL',
    steps: ['do $$ begin perform (select ssn from customers where id = 1)::int; end $$'],
  },
  {
    name: 'NOTIFY payloads from pg_notify',
    steps: ['listen adv', "select pg_notify('adv', ssn) from customers", 'select 1'],
  },
  {
    name: 'a custom setting set from the value, then SHOW',
    steps: ["select set_config('adv.x', ssn, false) from customers where id = 1", 'show adv.x'],
    exec: true,
    execSession: true,
  },
  {
    name: 'a custom setting set from the value, then current_setting()',
    steps: [
      "select set_config('adv.x', ssn, false) from customers where id = 1",
      "select current_setting('adv.x')",
    ],
  },
  {
    name: 'application_name set from the value comes back as ParameterStatus',
    steps: ["select set_config('application_name', ssn, false) from customers where id = 1"],
  },
  {
    name: 'application_name set by UPDATE pg_settings',
    steps: [
      "update pg_settings set setting = (select ssn from customers where id = 1) where name = 'application_name'",
    ],
  },
  {
    name: 'COPY (query) TO STDOUT of a derived value',
    steps: [
      async (s) => {
        const client = await s.wire();
        s.note('copy', await client.query(`copy (${Q.derived}) to stdout`));
      },
    ],
  },
  {
    name: 'COPY table TO STDOUT in binary',
    steps: [
      async (s) => {
        const client = await s.wire();
        s.note('copy', await client.query('copy customers to stdout (format binary)'));
      },
    ],
  },
];

export const COPIES: Case[] = [
  {
    name: 'CREATE TABLE AS with a renamed column',
    steps: ['create table adv_t as select ssn as s from customers', 'select s from adv_t'],
    exec: true,
  },
  {
    name: 'CREATE TABLE AS of a card number with dots between the groups',
    steps: [
      "create table adv_t as select translate(card_number, ' ', '.') as c from customers",
      'select c from adv_t',
    ],
    exec: true,
  },
  {
    name: 'INSERT … SELECT into another table’s unmasked column',
    steps: [
      'insert into scratch (id, note) select id, ssn from customers',
      'select note from scratch',
    ],
    exec: true,
  },
  {
    name: 'UPDATE copies the value into an unmasked column of the same table',
    steps: ['update customers set name = ssn', 'select name from customers'],
    exec: true,
  },
  {
    name: 'UPDATE … RETURNING the unmasked column the value went into',
    steps: ['update customers set notes = ssn returning notes'],
    exec: true,
  },
  {
    name: 'SELECT … INTO a new table',
    steps: ['select ssn as s into adv_t from customers', 'select * from adv_t'],
    exec: true,
  },
  {
    name: 'a view renaming the column',
    steps: ['create view adv_v as select id, ssn as s from customers', 'select s from adv_v'],
    exec: true,
  },
  {
    name: 'a view keeping the column name',
    steps: ['create view adv_v as select ssn from customers', 'select ssn from adv_v'],
  },
  {
    name: 'a view renaming the email column',
    steps: [
      "create view adv_v as select replace(email, '@', ' at ') as contact from customers",
      'select contact from adv_v',
    ],
    recover: (rows) => rows.map((row) => (row[0] ?? '').replace(' at ', '@')),
  },
  {
    name: 'a materialized view',
    steps: [
      'create materialized view adv_mv as select ssn as s from customers',
      'select * from adv_mv',
    ],
    exec: true,
  },
  {
    name: 'a temporary table',
    steps: ['create temp table adv_tt as select ssn as s from customers', 'select * from adv_tt'],
    exec: true,
    execSession: true,
  },
  {
    name: 'COPY TO STDOUT of a table made by CREATE TABLE AS',
    steps: [
      'create table adv_t as select ssn as s from customers',
      async (s) => {
        const client = await s.wire();
        s.note('copy', await client.query('copy adv_t to stdout'));
      },
    ],
  },
  {
    name: 'a cursor over a derived value, FETCHed',
    steps: ['begin', `declare adv_c cursor for ${Q.derived}`, 'fetch all from adv_c', 'commit'],
    exec: true,
    execSession: true,
  },
  {
    name: 'a cursor over the plain column, FETCHed',
    steps: ['begin', `declare adv_c cursor for ${Q.ssn}`, 'fetch all from adv_c', 'commit'],
  },
  {
    name: 'PREPARE … AS a derived value, then EXECUTE',
    steps: [`prepare adv_ps as ${Q.derived}`, 'execute adv_ps'],
    exec: true,
    execSession: true,
  },
  {
    name: 'INSERT … RETURNING the copy',
    steps: [
      'create table adv_t (s text)',
      'insert into adv_t select ssn from customers returning s',
    ],
    exec: true,
  },
  {
    name: 'the table renamed, then read by its new name',
    steps: [
      'alter table customers rename to clients',
      "select email, ssn, card_number, replace(email, '@', ' at ') as e from clients",
    ],
    recover: (rows) => rows.map((row) => (row[3] ?? '').replace(' at ', '@')),
  },
  {
    name: 'the SSN column renamed',
    steps: ['alter table customers rename column ssn to tax_id', 'select tax_id from customers'],
    exec: true,
  },
  {
    name: 'the card column renamed, then reformatted',
    steps: [
      'alter table customers rename column card_number to cc',
      "select replace(cc, ' ', 'x') from customers",
    ],
    exec: true,
  },
  {
    name: 'the email column renamed, then reformatted',
    steps: [
      'alter table customers rename column email to contact',
      "select replace(contact, '@', ' at ') from customers",
    ],
    recover: (rows) => rows.map((row) => (row[0] ?? '').replace(' at ', '@')),
  },
  {
    name: 'search_path puts a same-named view first',
    steps: [
      'create schema adv',
      'create view adv.orders as select id, ssn as note from public.customers',
      'set search_path = adv, public',
      'select note from orders',
    ],
  },
  {
    name: 'search_path puts a same-named customers table first',
    steps: [
      'create schema adv',
      'create table adv.customers (id int, name text, email text)',
      'insert into adv.customers select id, ssn, email from public.customers',
      'set search_path = adv, public',
      'select name from customers',
    ],
  },
  {
    name: 'a generated column copying the value',
    steps: [
      'alter table customers add column adv_x text generated always as (ssn) stored',
      'select adv_x from customers',
    ],
    exec: true,
  },
  {
    name: 'a sequence set to the value',
    steps: [
      'create sequence adv_s',
      "select setval('adv_s', replace(ssn, '-', '')::bigint) from customers where id = 1",
      'select last_value from adv_s',
    ],
    exec: true,
  },
  {
    name: 'a large object holding the value',
    steps: [
      "select lo_from_bytea(4300, convert_to(ssn, 'UTF8')) from customers where id = 1",
      'select lo_get(4300)',
    ],
    exec: true,
  },
  {
    name: 'an advisory lock keyed by the value, read from pg_locks',
    steps: [
      "select pg_advisory_lock(replace(ssn, '-', '')::bigint) from customers where id = 1",
      "select objid from pg_locks where locktype = 'advisory' and pid = pg_backend_pid()",
    ],
    exec: true,
    execSession: true,
  },
  {
    name: 'a table named after the value, read from pg_class',
    steps: [
      "do $$ begin execute format('create table %I ()', (select ssn from customers where id = 1)); end $$",
      "select relname from pg_class where relname like '%-%-%'",
    ],
    exec: true,
  },
  {
    name: 'a table comment holding the value',
    steps: [
      "do $$ begin execute format('comment on table scratch is %L', (select ssn from customers where id = 1)); end $$",
      "select obj_description('scratch'::regclass)",
    ],
  },
  {
    name: 'a prepared statement named after the value, read from pg_prepared_statements',
    steps: [
      "do $$ begin execute format('prepare %I as select 1', (select ssn from customers where id = 1)); end $$",
      'select name from pg_prepared_statements',
    ],
  },
  {
    name: 'an enum label holding the value',
    steps: [
      "do $$ begin execute format('create type adv_e as enum (%L)', (select ssn from customers where id = 1)); end $$",
      'select enum_range(null::adv_e)::text',
    ],
    exec: true,
  },
  {
    name: 'column statistics after ANALYZE (pg_stats)',
    steps: [
      'analyze customers',
      "select histogram_bounds::text from pg_stats where tablename = 'customers' and attname = 'ssn'",
    ],
    exec: true,
  },
  {
    name: 'another agent reads application_name from pg_stat_activity',
    steps: [
      "select set_config('application_name', ssn, false) from customers where id = 1",
      async (s) => {
        const other = await s.session('agent-2');
        await other.sql(
          "select application_name from pg_stat_activity where application_name like '%-%-%'",
        );
      },
    ],
  },
  {
    name: 'another agent LISTENs while the first NOTIFYs the value',
    steps: [
      async (s) => {
        const other = await s.session('agent-2');
        await other.sql('listen adv');
        await s.sql("select pg_notify('adv', ssn) from customers where id = 1");
        await other.sql('select 1');
      },
    ],
  },
];

export const DERIVATIONS: Case[] = [
  {
    name: "int8(replace(ssn, '-', ''))",
    steps: ["select int8(replace(ssn, '-', '')) from customers"],
    exec: true,
  },
  { name: 'reverse(email)', steps: ['select reverse(email) from customers'], exec: true },
  {
    name: 'translate() of the digits into letters',
    steps: ["select translate(ssn, '0123456789', 'abcdefghij') from customers"],
    recover: (rows) =>
      rows.map((row) => (row[0] ?? '').replace(/[a-j]/g, (c) => String(c.charCodeAt(0) - 97))),
    exec: true,
  },
  {
    name: "encode(convert_to(email, 'UTF8'), 'base64')",
    steps: ["select encode(convert_to(email, 'UTF8'), 'base64') from customers"],
    exec: true,
  },
  { name: 'md5(ssn) (no hash is allowed)', steps: ['select md5(ssn) from customers'], exec: true },
  { name: 'sha256 of the SSN', steps: ["select sha256(convert_to(ssn, 'UTF8')) from customers"] },
  { name: 'array[ssn]', steps: ['select array[ssn] from customers'] },
  { name: 'array_agg(ssn)', steps: ['select array_agg(ssn) from customers'], exec: true },
  { name: "string_to_array(ssn, '-')", steps: ["select string_to_array(ssn, '-') from customers"] },
  { name: 'row_to_json of the row', steps: ['select row_to_json(c) from customers c'] },
  {
    name: 'json_build_object',
    steps: ["select json_build_object('s', ssn) from customers"],
    exec: true,
  },
  { name: 'json_agg', steps: ['select json_agg(ssn) from customers'] },
  { name: 'jsonb_object_agg', steps: ['select jsonb_object_agg(id, ssn) from customers'] },
  { name: 'string_agg', steps: ["select string_agg(ssn, ',') from customers"], exec: true },
  { name: 'xmlelement', steps: ['select xmlelement(name s, ssn) from customers'], exec: true },
  { name: 'xmlforest', steps: ['select xmlforest(ssn, email) from customers'] },
  { name: 'hstore of a pair', steps: ["select hstore('s', ssn) from customers"], exec: true },
  { name: 'hstore of the whole row', steps: ['select hstore(c) from customers c'] },
  {
    name: 'to_tsvector (lexemes with positions)',
    steps: ["select to_tsvector('simple', ssn) from customers where id = 1"],
    recover: (rows) =>
      rows.map((row) =>
        [...(row[0] ?? '').matchAll(/'([^']*)':(\d+)/g)]
          .sort((a, b) => Number(a[2]) - Number(b[2]))
          .map((m) => m[1])
          .join(''),
      ),
  },
  {
    name: 'substr() pieces, one character a row',
    steps: [
      'select i, substr(ssn, i, 1) from customers, generate_series(1, 11) i where id = 1 order by i',
    ],
    recover: byPosition(),
    exec: true,
  },
  {
    name: 'regexp_split_to_table into characters',
    steps: ["select regexp_split_to_table(ssn, '') from customers where id = 1"],
    recover: joined(),
  },
  {
    name: 'unnest(string_to_array(…, null)) into characters',
    steps: ['select c from customers, unnest(string_to_array(ssn, null)) c where id = 1'],
    recover: joined(),
  },
  { name: "format('%s', ssn)", steps: ["select format('%s', ssn) from customers"], exec: true },
  {
    name: "concat_ws and || ''",
    steps: ["select concat_ws('', ssn, ''), ssn || '' from customers"],
  },
  {
    name: 'lpad and overlay',
    steps: ["select lpad(ssn, 20, '*'), overlay(ssn placing '' from 1 for 0) from customers"],
  },
  {
    name: 'coalesce, nullif, greatest',
    steps: ["select coalesce(ssn, ''), nullif(ssn, ''), greatest(ssn, '') from customers"],
  },
  {
    name: 'CASE WHEN true THEN ssn END',
    steps: ['select case when true then ssn end from customers'],
  },
  {
    name: 'a correlated scalar subquery',
    steps: ['select (select c2.ssn from customers c2 where c2.id = c.id) from customers c'],
  },
  {
    name: 'casts to bytea, name, char and varchar',
    steps: ['select ssn::bytea, ssn::name, ssn::char(20), ssn::varchar from customers'],
  },
  {
    name: 'get_byte of each position, one a row',
    steps: [
      "select i, get_byte(convert_to(ssn, 'UTF8'), i - 1) from customers, generate_series(1, 11) i where id = 1 order by i",
    ],
    recover: (rows) => [rows.map((row) => String.fromCharCode(Number(row[1]))).join('')],
  },
  { name: 'lag() over the rows', steps: ['select lag(ssn) over (order by id) from customers'] },
  { name: 'field selection from a whole-row value', steps: ['select (c).ssn from customers c'] },
  { name: 'LATERAL VALUES', steps: ['select x from customers c, lateral (values (c.ssn)) v(x)'] },
  {
    name: 'jsonb_path_query over to_jsonb of the row',
    steps: ["select jsonb_path_query(to_jsonb(c), '$.ssn') from customers c"],
  },
  {
    name: 'regexp_matches groups',
    steps: ["select regexp_matches(ssn, '(\\d+)-(\\d+)-(\\d+)') from customers"],
  },
  {
    name: 'split_part into three columns',
    steps: [
      "select split_part(ssn, '-', 1), split_part(ssn, '-', 2), split_part(ssn, '-', 3) from customers",
    ],
    recover: (rows) => rows.map((row) => row.join('-')),
    exec: true,
  },
  {
    name: 'a custom operator over textcat',
    steps: [
      'create operator ||| (leftarg = text, rightarg = text, function = textcat)',
      "select ssn ||| '' from customers",
    ],
  },
  { name: 'COLLATE "C"', steps: ['select ssn collate "C" from customers'] },
  {
    name: 'a recursive CTE building the value a character at a time',
    steps: [
      "with recursive r(i, s) as (select 0, ''::text union all select i + 1, s || substr((select ssn from customers where id = 1), i + 1, 1) from r where i < 11) select s from r order by i desc limit 1",
    ],
  },
  {
    name: 'subscript of an array mixing columns',
    steps: ['select (array[name, ssn])[2] from customers'],
  },
  {
    name: 'ascii() of each position, one a row',
    steps: [
      'select i, ascii(substr(ssn, i, 1)) from customers, generate_series(1, 11) i where id = 1 order by i',
    ],
    recover: (rows) => [rows.map((row) => String.fromCharCode(Number(row[1]))).join('')],
  },
  {
    name: 'string_agg over regexp_split_to_table in a subquery',
    steps: [
      "select (select string_agg(x, '') from regexp_split_to_table(c.ssn, '') x) from customers c",
    ],
  },
  { name: 'DISTINCT ON', steps: ['select distinct on (ssn) ssn from customers'] },
  { name: 'GROUP BY the value', steps: ['select ssn, count(*) from customers group by ssn'] },
  {
    name: 'VALUES of a scalar subquery',
    steps: ['values ((select ssn from customers order by id limit 1))'],
  },
  { name: 'column aliases in FROM', steps: ['select x from (select ssn from customers) s(x)'] },
  { name: 'TABLE customers', steps: ['table customers'], exec: true },
];

export const ORACLES: Case[] = [
  {
    name: 'position × character oracle with substr() in WHERE',
    steps: [
      `select k, d from customers c, generate_series(1, 11) k, ${SSN_CHARS} where c.id = 1 and substr(c.ssn, k, 1) = d`,
    ],
    recover: byPosition(),
    exec: true,
  },
  {
    name: 'LIKE oracle on the email',
    steps: [
      `select k, d from customers c, generate_series(1, 40) k, ${EMAIL_CHARS} where c.id = 1 and c.email like repeat('_', k - 1) || d || '%'`,
    ],
    recover: byPosition(),
    exec: true,
  },
  {
    name: 'range oracle on each part of the SSN',
    steps: [
      "select 1, g from generate_series(0, 999) g, customers c where c.id = 1 and split_part(c.ssn, '-', 1) between lpad(g::text, 3, '0') and lpad(g::text, 3, '0')",
      "select 2, g from generate_series(0, 99) g, customers c where c.id = 1 and split_part(c.ssn, '-', 2) >= lpad(g::text, 2, '0') and split_part(c.ssn, '-', 2) < lpad((g + 1)::text, 2, '0')",
      "select 3, g from generate_series(0, 9999) g, customers c where c.id = 1 and split_part(c.ssn, '-', 3) >= lpad(g::text, 4, '0') and split_part(c.ssn, '-', 3) < lpad((g + 1)::text, 4, '0')",
    ],
    recover: (rows) => [
      [3, 2, 4].map((width, i) => String(rows[i]?.[1] ?? '').padStart(width, '0')).join('-'),
    ],
  },
  {
    name: 'ORDER BY oracle, one position a query',
    steps: [
      async (s) => {
        for (let k = 1; k <= 11; k++) {
          await s.sql(
            `select ${k}, d from customers c, ${SSN_CHARS} where c.id = 1 order by (substr(c.ssn, ${k}, 1) = d) desc, d limit 1`,
          );
        }
      },
    ],
    recover: byPosition(),
  },
  {
    name: 'regular expression oracle',
    steps: [
      `select k, d from customers c, generate_series(1, 11) k, ${SSN_CHARS} where c.id = 1 and c.ssn ~ ('^.{' || (k - 1) || '}' || case d when '-' then '-' else d end)`,
    ],
    recover: byPosition(),
  },
  {
    name: 'position() in WHERE',
    steps: [
      `select k, d from customers c, generate_series(1, 11) k, ${SSN_CHARS} where c.id = 1 and position(d in substr(c.ssn, k)) = 1`,
    ],
    recover: byPosition(),
  },
  {
    name: 'CASE in the select list',
    steps: [
      `select k, d, case when substr(c.ssn, k, 1) = d then 1 else 0 end from customers c, generate_series(1, 11) k, ${SSN_CHARS} where c.id = 1`,
    ],
    recover: (rows) => byPosition()(rows.filter((row) => row[2] === '1')),
    exec: true,
  },
  {
    name: 'count(*) FILTER per position and character',
    steps: [
      `select k, d, count(*) filter (where substr(c.ssn, k, 1) = d) from customers c, generate_series(1, 11) k, ${SSN_CHARS} where c.id = 1 group by k, d`,
    ],
    recover: (rows) => byPosition()(rows.filter((row) => row[2] === '1')),
  },
  {
    name: 'LIMIT taken from a digit: the row count is the digit',
    steps: [
      "select k, (select count(*) from (select 1 from generate_series(1, 20) limit (select case when substr(ssn, k, 1) ~ '[0-9]' then substr(ssn, k, 1)::int else 15 end from customers where id = 1)) x) from generate_series(1, 11) k",
    ],
    recover: (rows) => [rows.map((row) => (Number(row[1]) < 10 ? String(row[1]) : '-')).join('')],
  },
  {
    name: 'generate_series length oracle: row counts are character codes',
    steps: [
      'select k, count(*) from customers c, generate_series(1, 11) k, lateral generate_series(1, ascii(substr(c.ssn, k, 1))) g where c.id = 1 group by k order by k',
    ],
    recover: (rows) => [rows.map((row) => String.fromCharCode(Number(row[1]))).join('')],
  },
  {
    name: 'division-by-zero oracle, one query a guess',
    steps: [
      async (s) => {
        for (let k = 1; k <= 11; k++) {
          for (const d of '0123456789-') {
            const r = await s.sql(
              `select ${k}, '${d}', 1 / (case when substr(ssn, ${k}, 1) = '${d}' then 0 else 1 end) from customers where id = 1`,
            );
            if (r.error?.code === '22012') {
              await s.sql(`select ${k}, '${d}'`);
              break;
            }
          }
        }
      },
    ],
    recover: (rows) => byPosition()(rows.filter((row) => row.length === 2)),
  },
  {
    name: 'JOIN on a derived value',
    steps: [
      "select 1 as part, g from generate_series(0, 999) g join customers c on split_part(c.ssn, '-', 1) = lpad(g::text, 3, '0') where c.id = 1 union all select 2, g from generate_series(0, 99) g join customers c on split_part(c.ssn, '-', 2) = lpad(g::text, 2, '0') where c.id = 1 union all select 3, g from generate_series(0, 9999) g join customers c on split_part(c.ssn, '-', 3) = lpad(g::text, 4, '0') where c.id = 1 order by 1",
    ],
    recover: (rows) => [
      [3, 2, 4].map((width, i) => String(rows[i]?.[1] ?? '').padStart(width, '0')).join('-'),
    ],
    exec: true,
  },
  {
    name: 'EXISTS oracle',
    steps: [
      `select k, d from generate_series(1, 11) k, ${SSN_CHARS} where exists (select 1 from customers where id = 1 and substr(ssn, k, 1) = d)`,
    ],
    recover: byPosition(),
  },
  {
    name: 'email oracle through a case-insensitive ILIKE',
    steps: [
      `select k, d from customers c, generate_series(1, 40) k, ${EMAIL_CHARS} where c.id = 2 and c.email ilike repeat('_', k - 1) || d || '%'`,
    ],
    recover: byPosition(),
  },
];

export const FUNCTIONS: Case[] = [
  {
    name: 'a SQL function returning the column',
    steps: [
      "create function adv_f() returns setof text language sql as 'select ssn from customers'",
      'select adv_f()',
    ],
    exec: true,
  },
  {
    name: 'a set-returning function in FROM',
    steps: [
      "create function adv_f() returns setof text language sql as 'select ssn from customers'",
      'select * from adv_f()',
    ],
  },
  {
    name: 'a PL/pgSQL RETURN QUERY function',
    steps: [
      'create function adv_f() returns setof text language plpgsql as $fn$ begin return query select ssn from customers; end $fn$',
      'select adv_f()',
    ],
    exec: true,
  },
  {
    name: 'a BEGIN ATOMIC function (its body is parsed)',
    steps: [
      'create function adv_f() returns setof text begin atomic select ssn from customers; end',
      'select adv_f()',
    ],
  },
  {
    name: 'a function on the row type called in attribute notation',
    steps: [
      'create function adv_s(c customers) returns text language sql return c.ssn',
      'select c.adv_s from customers c',
    ],
    exec: true,
  },
  {
    name: 'a RETURNS TABLE function',
    steps: [
      "create function adv_f() returns table (s text) language sql as 'select ssn from customers'",
      'select s from adv_f()',
    ],
  },
  {
    name: 'a SECURITY DEFINER function',
    steps: [
      "create function adv_f() returns setof text language sql security definer as 'select ssn from customers'",
      'select adv_f()',
    ],
  },
  {
    name: 'a set-returning function with a column alias list',
    steps: [
      "create function adv_f() returns setof text language sql as 'select ssn from customers'",
      'select s from adv_f() as t(s)',
    ],
  },
  {
    name: 'query_to_xml',
    steps: ["select query_to_xml('select ssn from customers', true, false, '')"],
    exec: true,
  },
  {
    name: 'table_to_xml',
    steps: ["select table_to_xml('customers', true, false, '')"],
    exec: true,
  },
  { name: 'schema_to_xml', steps: ["select schema_to_xml('public', true, false, '')"] },
  { name: 'database_to_xml', steps: ["select database_to_xml(true, false, '')"] },
  {
    name: 'cursor_to_xml over a declared cursor',
    steps: [
      'begin',
      `declare adv_c cursor for ${Q.ssn}`,
      "select cursor_to_xml('adv_c', 10, true, false, '')",
      'commit',
    ],
  },
  {
    name: 'xpath over query_to_xml',
    steps: [
      "select xpath('//ssn/text()', query_to_xml('select ssn from customers', true, false, ''))",
    ],
    exec: true,
  },
  {
    name: 'ts_stat over the digits',
    steps: [
      "select word from ts_stat($q$select to_tsvector('simple', replace(ssn, '-', '')) from customers$q$)",
    ],
  },
  {
    name: 'crosstab',
    steps: [
      "select * from crosstab($q$select id::text, 'c'::text, ssn from customers order by 1$q$) as t(r text, v text)",
    ],
  },
  {
    name: 'xpath_table over a subquery',
    steps: [
      "select * from xpath_table('id', 'x', $q$(select id, '<s>' || ssn || '</s>' as x from customers) t$q$, '/s', 'true') as t(id int, s text)",
    ],
  },
];

/**
 * The gateway resolves column origins on a catalog connection of its own,
 * logged in as the same target role: whatever that role's settings say
 * applies to the gateway's own queries too.
 */
export const CATALOG: Case[] = [
  {
    name: "the role's search_path puts an operator of the agent's before pg_catalog in the gateway's catalog queries",
    steps: [
      'create schema adv',
      // A decoy whose columns have the customers' numbers but harmless names.
      'create table adv.decoy (a int, b text, c text, d text, e text, f text, g text)',
      // oid = oid as usual, except that the customers' columns are the decoy's: the gateway's
      // join of pg_attribute to pg_class runs it. `c.oid in (…)` compares oid with int4 and
      // gets an operator of its own, so that the customers themselves are still found.
      "create function adv.eq(oid, oid) returns boolean language sql immutable as $fn$ select case when $2 operator(pg_catalog.=) 'public.customers'::regclass then $1 operator(pg_catalog.=) 'adv.decoy'::regclass else $1 operator(pg_catalog.=) $2 end $fn$",
      'create operator adv.= (leftarg = oid, rightarg = oid, function = adv.eq)',
      "create function adv.eq(oid, int4) returns boolean language sql immutable as 'select $1 operator(pg_catalog.=) $2::oid'",
      'create operator adv.= (leftarg = oid, rightarg = int4, function = adv.eq)',
      'alter role app set search_path = adv, pg_catalog, public, ext',
      // The gateway's catalog and pooled connections log in again, with the new search_path.
      "select pg_terminate_backend(pid) from pg_stat_activity where usename = 'app' and pid <> pg_backend_pid()",
      'select pg_sleep(0.3)',
      async (s) => {
        const other = await s.session('agent-2');
        // A FETCH names no table: only the catalog tells what its columns are. The first
        // lookup may still meet the old, killed catalog connection: read twice.
        for (const cursor of ['adv_c1', 'adv_c2']) {
          await other.sql('begin');
          await other.sql(`declare ${cursor} cursor for select * from public.customers`);
          await other.sql(`fetch all from ${cursor}`);
          await other.sql('commit');
        }
      },
    ],
    cleanup: ["select pg_terminate_backend(pid) from pg_stat_activity where usename = 'app'"],
  },
];

/** A column renamed by one agent while another agent reads. */
export const CONCURRENT: Case[] = [
  {
    name: 'one agent renames the SSN column, another reads the table',
    steps: [
      'alter table customers rename column ssn to tax_id',
      async (s) => {
        const other = await s.session('agent-2');
        await other.sql('select * from customers');
      },
    ],
  },
  {
    name: 'one agent swaps the names of the SSN and name columns, another reads "name"',
    steps: [
      'alter table customers rename column ssn to adv_x',
      'alter table customers rename column name to ssn',
      'alter table customers rename column adv_x to name',
      async (s) => {
        const other = await s.session('agent-2');
        await other.sql('select id, name from customers');
      },
    ],
  },
  {
    name: 'a rename inside an open transaction, read in that transaction and by another agent after it commits',
    steps: [
      'begin',
      'alter table customers rename column ssn to tax_id',
      'select tax_id from customers',
      'commit',
      async (s) => {
        const other = await s.session('agent-2');
        await other.sql('select tax_id from customers');
      },
    ],
  },
];
