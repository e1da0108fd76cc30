import type { LeakCase, LeakSession } from './harness/leak.js';
import { wire } from './harness/wire-client.js';

/*
 * More attacks on the channels other than result rows (errors, notices,
 * notifications, settings) and on the extended protocol's message order.
 * Each aims at a planted secret; `secrets.ts` checks every byte the client
 * received for it in any form.
 */

type Case = Omit<LeakCase, 'category'>;

const ONE = 'from customers where id = 1';

/** A raw extended-protocol exchange on one client; its rows and errors are recorded. */
const extended =
  (label: string, build: () => Buffer[][], before?: string) =>
  async (s: LeakSession): Promise<void> => {
    const client = await s.wire();
    if (before) s.note(before, await client.query(before));
    for (const [i, batch] of build().entries()) {
      const syncs = batch.filter((m) => m[0] === 0x53 || m[0] === 0x51).length;
      s.note(`${label} #${i + 1}`, await client.exchange(batch, syncs, syncs === 0 ? 500 : 15_000));
    }
  };

/** A DO block that reads customer 1's `column` into `r`, then runs `body`. */
const withValue = (column: string, body: string): string =>
  `do $$ declare r text; begin select ${column} into r ${ONE}; ${body}; end $$`;

const { parse, bind, describe, execute, sync, close, flush, query } = wire;

export const SERVER_MESSAGES: Case[] = [
  { name: 'a failed cast to boolean', steps: ['select ssn::boolean from customers'], exec: true },
  { name: 'a failed cast to interval', steps: ['select ssn::interval from customers'] },
  { name: 'a failed cast to timestamptz', steps: ['select email::timestamptz from customers'] },
  {
    name: 'a failed cast to json (the token and the JSON context line)',
    steps: [`select ('["' || ssn || '" x')::json from customers`],
    exec: true,
  },
  {
    name: 'an email inside a broken jsonb object',
    steps: [`select ('{"a": "' || email || '" x')::jsonb from customers`],
  },
  { name: 'a failed cast to macaddr', steps: ['select ssn::macaddr from customers'] },
  { name: 'a failed cast to money', steps: ['select email::money from customers'] },
  { name: 'a cast to regproc names the value', steps: ['select ssn::regproc from customers'] },
  {
    name: 'a quoted identifier of the value cast to regrole',
    steps: ['select quote_ident(ssn)::regrole from customers'],
  },
  {
    name: 'a cast to regnamespace names the value',
    steps: ['select ssn::regnamespace from customers'],
  },
  {
    name: 'a cast to a user enum shows the input value',
    steps: ["create type adv_e as enum ('a')", 'select ssn::adv_e from customers'],
    exec: true,
    execSession: true,
  },
  {
    name: 'the card number concatenated and cast to int8 (the whole text echoed)',
    steps: ["select (card_number || 'x')::int8 from customers"],
  },
  { name: 'the phone number cast to int', steps: ['select phone::int from customers'] },
  {
    name: 'a scalar subquery cast in the select list, reading no table at top level',
    steps: [`select (select ssn ${ONE})::int`],
    exec: true,
  },
  { name: 'a cast in WHERE', steps: ['select id from customers where ssn::int = 1'] },
  { name: 'a cast in ORDER BY', steps: ['select id from customers order by ssn::int'] },
  { name: 'a cast inside an aggregate', steps: ['select sum(ssn::int) from customers'] },
  {
    name: 'a cast in a CTE read by the outer query',
    steps: ['with x as (select email from customers) select email::int from x'],
  },
  {
    name: 'an array literal of the value cast to int[]',
    steps: ['select array[ssn]::int[] from customers'],
  },
  {
    name: 'xmlparse of content with the value after a broken tag',
    steps: ["select xmlparse(content '<a>' || ssn) from customers"],
  },
  {
    name: 'a server file named by the value (pg_read_file)',
    steps: [`select pg_read_file(ssn) ${ONE}`],
  },
  {
    name: 'the second statement of a string fails, the first harmless',
    steps: ['select 1; select ssn::int from customers'],
    exec: true,
  },
  {
    name: 'a two-column unique key shows both values',
    steps: [
      'create table adv_u2 (a text, b text, unique (a, b))',
      'insert into adv_u2 select email, ssn from customers',
      'insert into adv_u2 select email, ssn from customers',
    ],
    exec: true,
  },
  {
    name: 'a unique index on an expression shows the expression’s value',
    steps: [
      'create table adv_u3 (v text)',
      'create unique index on adv_u3 (lower(v))',
      'insert into adv_u3 select email from customers',
      'insert into adv_u3 select upper(email) from customers',
    ],
  },
  {
    name: 'a deferred unique constraint fails at COMMIT, whose text reads nothing',
    steps: [
      'create table adv_dd (v text unique deferrable initially deferred)',
      'begin',
      `insert into adv_dd select ssn ${ONE}`,
      `insert into adv_dd select ssn ${ONE}`,
      'commit',
    ],
  },
  {
    name: 'a deferred foreign key fails at COMMIT',
    steps: [
      'create table adv_dp (v text primary key)',
      'create table adv_df (v text references adv_dp deferrable initially deferred)',
      'begin',
      `insert into adv_df select card_number ${ONE}`,
      'commit',
    ],
  },
  {
    name: 'a deferred constraint checked by SET CONSTRAINTS ALL IMMEDIATE',
    steps: [
      'create table adv_di (v text unique deferrable initially deferred)',
      'begin',
      `insert into adv_di select ssn ${ONE}`,
      `insert into adv_di select ssn ${ONE}`,
      'set constraints all immediate',
      'rollback',
    ],
  },
  {
    name: 'a check violation on UPDATE from a subquery',
    steps: [
      'create table adv_cu (v text check (length(v) < 3))',
      "insert into adv_cu values ('a')",
      `update adv_cu set v = (select email ${ONE})`,
    ],
  },
  {
    name: 'RAISE WARNING with the value formatted into the message',
    steps: [withValue('email', "raise warning '%', format('value=%s', r)")],
    exec: true,
  },
  {
    name: 'RAISE NOTICE of the value in base64',
    steps: [withValue('ssn', "raise notice '%', encode(convert_to(r, 'UTF8'), 'base64')")],
  },
  {
    name: 'RAISE NOTICE of the value reversed',
    steps: [withValue('ssn', "raise notice '%', reverse(r)")],
  },
  {
    name: 'RAISE with a custom SQLSTATE pretending to be a cast error',
    steps: [
      withValue(
        'ssn',
        "raise exception using errcode = '22P02', message = format('invalid input syntax for type integer: \"%s\"', r)",
      ),
    ],
  },
  {
    name: 'RAISE in a trigger on a table the statement writes from the customers',
    steps: [
      'create table adv_t (v text)',
      "create function adv_tf() returns trigger language plpgsql as $f$ begin raise notice 'row %', new.v; return new; end $f$",
      'create trigger adv_tt before insert on adv_t for each row execute function adv_tf()',
      'insert into adv_t select ssn from customers',
    ],
  },
  {
    name: 'a trigger that reads the customers itself and raises, fired by an INSERT of a constant',
    steps: [
      'create table adv_t2 (v text)',
      `create function adv_tf2() returns trigger language plpgsql as $f$ declare r text; begin select ssn into r ${ONE}; raise notice '%', r; return new; end $f$`,
      'create trigger adv_tt2 before insert on adv_t2 for each row execute function adv_tf2()',
      "insert into adv_t2 values ('x')",
    ],
  },
  {
    name: 'ASSERT with the value as its message',
    steps: [withValue('ssn', 'assert false, r')],
    exec: true,
  },
  {
    name: 'dynamic SQL built from the value fails (internal query and context)',
    steps: [withValue('ssn', "execute 'select x' || r")],
  },
  {
    name: 'DROP TABLE IF EXISTS of a table named by the value (a NOTICE)',
    steps: [withValue('ssn', "execute format('drop table if exists %I', r)")],
  },
  {
    name: 'a function that reads the customers and raises, called with no table in the query',
    steps: [
      `create function adv_peek() returns int language plpgsql as $f$ declare r text; begin select ssn into r ${ONE}; raise notice '%', r; return 1; end $f$`,
      'select adv_peek()',
    ],
  },
  {
    name: 'NOTIFY from dynamic SQL in a DO block',
    steps: ['listen adv', withValue('ssn', "execute format('notify adv, %L', r)"), 'select 1'],
  },
  {
    name: 'pg_notify of the email, LISTEN in the same string',
    steps: ["listen adv; select pg_notify('adv', email) from customers; select 1"],
  },
  {
    name: 'a channel named after the value, listened to by dynamic SQL',
    steps: [
      withValue('ssn', "execute format('listen %I', r)"),
      `select pg_notify(ssn, 'x') ${ONE}`,
    ],
  },
  {
    name: 'a trigger notifies another agent listening',
    steps: [
      async (s) => {
        const other = await s.session('agent-2');
        await other.sql('listen adv_trg');
        await s.sql('create table adv_nt (v text)');
        await s.sql(
          "create function adv_ntf() returns trigger language plpgsql as $f$ begin perform pg_notify('adv_trg', new.v); return new; end $f$",
        );
        await s.sql(
          'create trigger adv_ntt after insert on adv_nt for each row execute function adv_ntf()',
        );
        await s.sql('insert into adv_nt select email from customers');
        await other.sql('select 1');
      },
    ],
  },
  {
    name: 'a custom setting read back from pg_settings',
    steps: [
      `select set_config('adv.x', ssn, false) ${ONE}`,
      "select setting from pg_settings where name = 'adv.x'",
    ],
  },
  {
    name: 'current_setting with missing_ok after set_config',
    steps: [
      `select set_config('adv.y', email, false) ${ONE}`,
      "select current_setting('adv.y', true)",
    ],
  },
  {
    name: 'a transaction-local setting read by SHOW before COMMIT',
    steps: ['begin', `select set_config('adv.z', ssn, true) ${ONE}`, 'show adv.z', 'commit'],
    exec: true,
    execSession: true,
  },
  {
    name: 'application_name set inside a DO block',
    steps: [withValue('ssn', "perform set_config('application_name', r, false)")],
  },
  {
    name: 'application_name set to the reversed value',
    steps: [`select set_config('application_name', reverse(ssn), false) ${ONE}`],
  },
  {
    name: 'a setting set in a DO block, read by SHOW',
    steps: [withValue('email', "perform set_config('adv.w', r, false)"), 'show adv.w'],
  },
];

/** A function opening cursor `adv_c` whose one column is named after customer 1's `column`. */
const NAMED_CURSOR = (column: string): string =>
  `create function adv_cur() returns refcursor language plpgsql as $f$ declare c refcursor := 'adv_c'; r text; begin select ${column} into r ${ONE}; open c for execute format('select 1 as %I', r); return c; end $f$`;

SERVER_MESSAGES.push(
  {
    name: 'a column named after the value by dynamic SQL, read by FETCH (RowDescription)',
    steps: [NAMED_CURSOR('ssn'), 'begin', 'select adv_cur()', 'fetch all from adv_c', 'commit'],
  },
  {
    name: 'a column named after the email, its cursor described and executed as a portal',
    steps: [
      NAMED_CURSOR('email'),
      extended(
        'cursor portal',
        () => [[describe('P', 'adv_c'), execute('adv_c'), sync()]],
        'begin; select adv_cur()',
      ),
    ],
  },
  {
    name: 'a column named after the value, FETCH through Parse and Describe of the statement',
    steps: [
      NAMED_CURSOR('ssn'),
      extended(
        'fetch parsed',
        () => [
          [
            parse('f', 'fetch all from adv_c'),
            describe('S', 'f'),
            bind('', 'f'),
            execute(),
            sync(),
          ],
        ],
        'begin; select adv_cur()',
      ),
    ],
  },
);

export const MESSAGE_ORDER: Case[] = [
  {
    name: 'a portal bound before its statement is closed, executed after',
    steps: [
      extended('close then execute', () => [
        [
          parse('s1', 'select ssn from customers'),
          bind('p', 's1'),
          close('S', 's1'),
          execute('p'),
          sync(),
        ],
      ]),
    ],
  },
  {
    name: 'Describe of a harmless statement, Execute of a portal bound from a masked one',
    steps: [
      extended('describe other', () => [
        [
          parse('a', 'select name from customers'),
          parse('b', 'select email from customers'),
          describe('S', 'a'),
          bind('', 'b'),
          execute(),
          sync(),
        ],
      ]),
    ],
  },
  {
    name: 'Bind and Flush without Sync, Execute in the next batch',
    steps: [
      extended('flush', () => [
        [parse('', 'select ssn, card_number from customers'), bind('', ''), flush()],
        [execute(), sync()],
      ]),
    ],
  },
  {
    name: 'the unnamed portal bound twice, harmless then masked, executed once',
    steps: [
      extended('rebind', () => [
        [
          parse('h', 'select name from customers'),
          parse('m', 'select ssn from customers'),
          bind('', 'h'),
          describe('P'),
          bind('', 'm'),
          execute(),
          sync(),
        ],
      ]),
    ],
  },
  {
    name: 'the unnamed statement re-Parsed between Bind and Execute',
    steps: [
      extended('reparse', () => [
        [
          parse('', 'select name from customers'),
          bind('p', ''),
          parse('', 'select email from customers'),
          execute('p'),
          bind('', ''),
          execute(),
          sync(),
        ],
      ]),
    ],
  },
  {
    name: 'a cast error in the middle of a pipeline (the error is masked too)',
    steps: [
      extended('pipelined error', () => [
        [
          parse('', 'select 1'),
          bind('', ''),
          execute(),
          parse('', 'select ssn::int from customers'),
          bind('', ''),
          execute(),
          sync(),
        ],
      ]),
    ],
  },
  {
    name: 'an error skips to Sync, then rows of a portal named like the skipped one',
    steps: [
      extended('after error', () => [
        [parse('', 'select nonsense'), bind('p', ''), execute('p'), sync()],
        [parse('', 'select ssn from customers'), bind('p', ''), execute('p'), sync()],
      ]),
    ],
  },
  {
    name: 'every column in binary, Execute with a row limit over Flush',
    steps: [
      extended('binary', () => [
        [
          parse('', 'select email, ssn from customers'),
          bind('p', '', [], [1]),
          execute('p', 1),
          flush(),
        ],
        [execute('p', 1), execute('p'), sync()],
      ]),
      // The portal needs a transaction to survive between the batches.
    ],
  },
  {
    name: 'a named portal closed and rebound from a masked statement in a transaction',
    steps: [
      extended(
        'rebind in transaction',
        () => [
          [parse('h', 'select name from customers'), bind('p', 'h'), describe('P', 'p'), sync()],
          [
            close('P', 'p'),
            parse('m', "select replace(ssn, '-', '') from customers"),
            bind('p', 'm'),
            sync(),
          ],
          [execute('p'), sync()],
          [query('commit')],
        ],
        'begin',
      ),
    ],
  },
  {
    name: 'a WITH HOLD cursor declared and committed, executed as a portal later',
    steps: [
      extended(
        'held cursor',
        () => [[execute('adv_h'), sync()]],
        'declare adv_h cursor with hold for select ssn from customers',
      ),
    ],
  },
  {
    name: 'a protocol statement that is a SQL EXECUTE of a SQL PREPARE',
    steps: [
      extended(
        'execute inside parse',
        () => [[parse('', 'execute adv_ps'), bind('', ''), execute(), sync()]],
        'prepare adv_ps as select email from customers',
      ),
    ],
  },
  {
    name: 'a cast error of an Execute answered after Flush, before any Sync',
    steps: [
      extended('error before sync', () => [
        [parse('', 'select email::int from customers'), bind('', ''), execute(), flush()],
        [sync()],
      ]),
    ],
  },
  {
    name: 'a DO block raising the value, run through Parse/Bind/Execute',
    steps: [
      extended('do via parse', () => [
        [parse('', withValue('ssn', "raise notice '%', r")), bind('', ''), execute(), sync()],
      ]),
    ],
  },
];
