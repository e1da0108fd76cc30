import type { LeakCase, LeakSession, Row } from './harness/leak.js';

/*
 * More attacks on the uses of a masked column other than output (issue 12):
 * moving the value where no rule masks it (a table, a view, a setting, a
 * lock, a rule's or trigger's side effect, code), and turning a predicate,
 * an ordering or an error into an oracle. Each copy case names where the
 * value would have landed (`planted`), read afterwards as the superuser:
 * it must hold no secret. The policy is the suite's (MASKING_POLICY):
 * customers.email, *.ssn and *.card_number masked, everything allowed.
 */

type Case = Omit<LeakCase, 'category'>;

const SSN_CHARS = "unnest(string_to_array('0123456789-', null)) d";
const SSN_DIGITS = '0123456789-';

/** Rows of (position, character) → the string, positions 1-based (`offset` taken off first). */
const byPosition =
  (posCol = 0, charCol = 1, offset = 0) =>
  (rows: Row[]): string[] => {
    const chars: string[] = [];
    for (const row of rows) {
      const at = Number(row[posCol]) - offset;
      // A probe's own rows (one column, or a position out of range) are not guesses.
      if (Number.isInteger(at) && at > 0 && at < 64 && row[charCol] != null) {
        chars[at - 1] = row[charCol]!;
      }
    }
    return [Array.from(chars, (c) => c ?? '?').join('')];
  };

/**
 * One query per (position, character) guess for customer 1's SSN; the
 * guess is echoed as a row (`select k, 'd'`) when `hit` says the answer
 * gave it away, for `byPosition` to rebuild.
 */
const guessing =
  (
    build: (k: number, d: string) => string,
    hit: (r: Awaited<ReturnType<LeakSession['sql']>>) => boolean,
  ) =>
  async (s: LeakSession): Promise<void> => {
    for (let k = 1; k <= 11; k++) {
      for (const d of SSN_DIGITS) {
        const r = await s.sql(build(k, d));
        if (hit(r)) {
          await s.sql(`select ${k}, '${d}'`);
          break;
        }
      }
    }
  };

const rowsCame = (r: { rows: Row[]; error?: unknown }): boolean => !r.error && r.rows.length > 0;
const failed = (code: string) => (r: { error?: { code?: string } }) => r.error?.code === code;

export const MORE_COPIES: Case[] = [
  {
    name: 'MERGE … WHEN MATCHED THEN UPDATE copies the value into another table',
    steps: [
      'merge into scratch s using customers c on s.id = c.id when matched then update set note = c.ssn',
      'select note from scratch',
    ],
    planted: ['select note from scratch'],
    exec: true,
  },
  {
    name: 'MERGE … WHEN NOT MATCHED THEN INSERT of the card number',
    steps: [
      'merge into scratch s using customers c on false when not matched then insert values (c.id + 10, c.card_number)',
      'select note from scratch',
    ],
    planted: ['select note from scratch'],
    exec: true,
  },
  {
    name: 'INSERT … ON CONFLICT DO UPDATE sets a column from the existing row',
    steps: [
      "insert into customers (id, name) values (1, 'x') on conflict (id) do update set name = customers.ssn",
      'select name from customers',
    ],
    planted: ['select name from customers'],
    exec: true,
  },
  {
    name: 'a data-modifying CTE inserting what another CTE read',
    steps: [
      'with x as (select id, ssn from customers) insert into scratch select id + 20, ssn from x',
      'select note from scratch',
    ],
    planted: ['select note from scratch'],
    exec: true,
  },
  {
    name: 'a CTE that UPDATEs the value into another column, counted outside',
    steps: [
      'with u as (update customers set name = email returning id) select count(*) from u',
      "select replace(name, '@', ' at ') from customers",
    ],
    recover: (rows) => rows.map((row) => String(row[0] ?? '').replace(' at ', '@')),
    planted: ['select name from customers'],
  },
  {
    name: 'UPDATE … FROM another table sets the value',
    steps: [
      'update scratch s set note = c.ssn from customers c where c.id = s.id',
      'select note from scratch',
    ],
    planted: ['select note from scratch'],
    exec: true,
  },
  {
    name: 'INSERT … VALUES with a scalar subquery',
    steps: [
      'insert into scratch values (7, (select ssn from customers where id = 1))',
      'select note from scratch',
    ],
    planted: ['select note from scratch'],
    exec: true,
  },
  {
    name: 'INSERT … SELECT of the whole row as text',
    steps: [
      'insert into scratch select id + 30, c::text from customers c',
      'select note from scratch',
    ],
    planted: ['select note from scratch'],
    exec: true,
  },
  {
    name: 'INSERT … SELECT of row_to_json of the row',
    steps: [
      'insert into scratch select id + 30, row_to_json(c)::text from customers c',
      "select replace(note, '@', ' at ') from scratch",
    ],
    planted: ['select note from scratch'],
  },
  {
    name: 'UPDATE with an aggregate of whole rows',
    steps: [
      "update scratch set note = (select string_agg(c::text, ';') from customers c)",
      'select note from scratch',
    ],
    planted: ['select note from scratch'],
  },
  {
    name: 'CREATE TABLE AS with the value hidden in a UNION',
    steps: [
      'create table adv_t as select name from customers union all select ssn from customers',
      'select name from adv_t',
    ],
    planted: ["select string_agg(name, ',') from adv_t"],
    exec: true,
  },
  {
    name: 'a view with the value in a correlated subquery',
    steps: [
      'create view adv_v as select id, (select c2.ssn from customers c2 where c2.id = c.id) as s from customers c',
      'select s from adv_v',
    ],
    exec: true,
  },
  {
    name: 'a materialized view WITH NO DATA, refreshed later',
    steps: [
      'create materialized view adv_mv as select card_number as c from customers with no data',
      'refresh materialized view adv_mv',
      'select c from adv_mv',
    ],
    exec: true,
  },
  {
    name: 'SELECT … INTO a temporary table',
    steps: ['select ssn as s into temp adv_tt from customers', 'select s from adv_tt'],
    exec: true,
    execSession: true,
  },
  {
    name: 'EXPLAIN ANALYZE of CREATE TABLE AS',
    steps: [
      'explain analyze create table adv_t as select ssn as s from customers',
      'select s from adv_t',
    ],
    planted: ["select string_agg(s, ',') from adv_t"],
    exec: true,
  },
  {
    name: 'PREPARE a SELECT, then CREATE TABLE AS EXECUTE',
    steps: [
      'prepare adv_p as select ssn as s from customers',
      'create table adv_t as execute adv_p',
      'select s from adv_t',
    ],
    planted: ["select string_agg(s, ',') from adv_t"],
    exec: true,
    execSession: true,
  },
  {
    name: 'a cursor WITH HOLD over a derived value, FETCHed after COMMIT',
    steps: [
      'declare adv_c cursor with hold for select lower(email) from customers',
      'fetch all from adv_c',
    ],
    exec: true,
    execSession: true,
  },
  {
    name: 'a cursor over a UNION that ends in the SSN',
    steps: [
      'begin',
      'declare adv_c cursor for select name from customers union all select ssn from customers',
      'fetch all from adv_c',
      'commit',
    ],
    exec: true,
    execSession: true,
  },
  {
    name: 'a custom setting set to the value, read back with current_setting',
    steps: [
      "select set_config('adv.x', ssn, false) is null from customers where id = 1",
      "select current_setting('adv.x')",
    ],
    exec: true,
    execSession: true,
  },
  {
    name: 'a large object written with lowrite',
    steps: [
      "select lowrite(lo_open(lo_create(4301), 131072), convert_to(card_number, 'UTF8')) from customers where id = 1",
      'select lo_get(4301)',
    ],
    planted: ["select convert_from(lo_get(4301), 'UTF8')"],
    cleanup: ['select lo_unlink(4301)'],
  },
  {
    name: 'a transaction advisory lock keyed by the digits, read in the same transaction',
    steps: [
      "begin; select pg_try_advisory_xact_lock(replace(ssn, '-', '')::bigint) from customers where id = 1; select objid from pg_locks where locktype = 'advisory' and pid = pg_backend_pid(); commit",
    ],
    exec: true,
  },
  {
    name: 'a DO block that UPDATEs the value into another table',
    steps: [
      'do $$ begin update scratch set note = (select ssn from customers where id = 1); end $$',
      'select note from scratch',
    ],
    planted: ['select note from scratch'],
    exec: true,
  },
  {
    name: 'a DO block that NOTIFYs the value through PERFORM',
    steps: [
      async (s) => {
        const other = await s.session('agent-2');
        await other.sql('listen adv');
        await s.sql(
          "do $$ begin perform pg_notify('adv', (select ssn from customers where id = 1)); end $$",
        );
        await other.sql('select 1');
      },
    ],
  },
  {
    name: 'a PL/pgSQL function that copies the value, created and then called',
    steps: [
      'create function adv_f() returns void language plpgsql as $$ begin insert into scratch select 5, ssn from customers; end $$',
      'select adv_f()',
      'select note from scratch',
    ],
    planted: ['select note from scratch'],
    exec: true,
  },
  {
    name: 'a BEGIN ATOMIC function returning the card number, stored by CREATE TABLE AS',
    steps: [
      'create function adv_g() returns text begin atomic select card_number from customers where id = 1; end',
      'create table adv_t as select adv_g() as x',
      'select x from adv_t',
    ],
    exec: true,
  },
  {
    name: 'a SQL procedure that copies the value, then CALLed',
    steps: [
      'create procedure adv_p() language sql as $$ insert into scratch select 3, ssn from customers $$',
      'call adv_p()',
      'select note from scratch',
    ],
    planted: ['select note from scratch'],
    exec: true,
  },
  {
    name: 'a BEFORE UPDATE trigger copying the SSN into the name',
    steps: [
      'create function adv_tf() returns trigger language plpgsql as $$ begin new.name := new.ssn; return new; end $$',
      'create trigger adv_tr before update on customers for each row execute function adv_tf()',
      'update customers set phone = phone',
      'select name from customers',
    ],
    planted: ['select name from customers'],
    exec: true,
  },
  {
    name: 'a rule that inserts the updated row’s SSN elsewhere',
    steps: [
      'create rule adv_r as on update to customers do also insert into scratch values (new.id, new.ssn)',
      'update customers set phone = phone',
      'select note from scratch',
    ],
    planted: ['select note from scratch'],
    exec: true,
  },
  {
    name: 'ALTER COLUMN … TYPE … USING the SSN rewrites another column',
    steps: [
      'alter table customers alter column name type text using ssn',
      'select name from customers',
    ],
    planted: ['select name from customers'],
    exec: true,
  },
  {
    name: 'the table made to inherit from a parent with another name',
    steps: [
      'create table adv_parent (id int, name text, email text, ssn text, card_number text, phone text, notes text)',
      'alter table customers inherit adv_parent',
      "select replace(email, '@', ' at '), email from adv_parent",
    ],
    recover: (rows) => rows.map((row) => String(row[0] ?? '').replace(' at ', '@')),
  },
  {
    name: 'the table moved to another schema, then reformatted there',
    steps: [
      'create schema adv',
      'alter table customers set schema adv',
      "select replace(email, '@', ' at ') from adv.customers",
    ],
    recover: (rows) => rows.map((row) => String(row[0] ?? '').replace(' at ', '@')),
  },
  {
    name: 'an expression index on the digits, ANALYZEd, read from pg_stats',
    steps: [
      "create index adv_i on customers ((replace(ssn, '-', '')))",
      'analyze customers',
      "select most_common_vals::text, histogram_bounds::text from pg_stats where tablename in ('customers', 'adv_i')",
    ],
    exec: true,
  },
  {
    name: 'pg_stats read as autovacuum left them',
    steps: [
      async (s) => {
        // What autovacuum does on its own schedule, done now.
        await s.target.admin.query('analyze customers');
      },
      "select attname, most_common_vals::text, histogram_bounds::text from pg_stats where tablename = 'customers'",
    ],
  },
  {
    name: 'a recursive CTE feeding an INSERT',
    steps: [
      'with recursive r(x) as (select ssn from customers union all select x from r where false) insert into scratch select 50, x from r',
      'select note from scratch',
    ],
    planted: ['select note from scratch'],
    exec: true,
  },
];

export const MORE_ORACLES: Case[] = [
  {
    name: 'binary search with >= on the SSN, one query a guess',
    steps: [
      async (s) => {
        let prefix = '';
        for (let k = 1; k <= 11; k++) {
          let best = '';
          for (const d of SSN_DIGITS.split('').sort()) {
            const r = await s.sql(
              `select 1 from customers where id = 1 and ssn >= '${prefix}${d}'`,
            );
            if (rowsCame(r)) best = d;
          }
          prefix += best;
          await s.sql(`select ${k}, '${best}'`);
        }
      },
    ],
    recover: byPosition(),
  },
  {
    name: 'SIMILAR TO oracle',
    steps: [
      `select k, d from customers c, generate_series(1, 11) k, ${SSN_CHARS} where c.id = 1 and c.ssn similar to repeat('_', k - 1) || d || '%'`,
    ],
    recover: byPosition(),
    exec: true,
  },
  {
    name: 'starts_with() oracle on a prefix built per position',
    steps: [
      `select k, d from customers c, generate_series(1, 11) k, ${SSN_CHARS} where c.id = 1 and starts_with(substr(c.ssn, k), d)`,
    ],
    recover: byPosition(),
  },
  {
    name: 'equality of the bare column with an overlay of itself',
    steps: [
      `select k, d from customers c, generate_series(1, 11) k, ${SSN_CHARS} where c.id = 1 and c.ssn = overlay(c.ssn placing d from k for 1)`,
    ],
    recover: byPosition(),
    exec: true,
  },
  {
    name: 'equality with a constant on a derived column of a subquery',
    steps: [
      guessing(
        (k, d) =>
          `select 1 from (select substr(ssn, ${k}, 1) as x from customers where id = 1) s where s.x = '${d}'`,
        rowsCame,
      ),
    ],
    recover: byPosition(),
  },
  {
    name: 'equality with a constant on a derived column of a CTE',
    steps: [
      guessing(
        (k, d) =>
          `with s as (select substr(ssn, ${k}, 1) as ssn from customers where id = 1) select 1 from s where ssn = '${d}'`,
        rowsCame,
      ),
    ],
    recover: byPosition(),
  },
  {
    name: 'a view of one character, then equality on it',
    steps: [
      'create view adv_v as select c.id, k, substr(c.ssn, k, 1) as x from customers c, generate_series(1, 11) k',
      guessing((k, d) => `select 1 from adv_v where id = 1 and k = ${k} and x = '${d}'`, rowsCame),
    ],
    recover: byPosition(),
  },
  {
    name: 'EXISTS in the select list',
    steps: [
      `select k, d, exists (select 1 from customers where id = 1 and substr(ssn, k, 1) = d) from generate_series(1, 11) k, ${SSN_CHARS}`,
    ],
    recover: (rows) => byPosition()(rows.filter((row) => row[2] === 't' || row[2] === 'true')),
    exec: true,
  },
  {
    name: 'a set-returning function in the select list: row counts are character codes',
    steps: [
      'select k, generate_series(1, ascii(substr(ssn, k, 1))) from customers, generate_series(1, 11) k where id = 1',
    ],
    recover: (rows) => {
      const counts = new Map<number, number>();
      for (const row of rows) counts.set(Number(row[0]), (counts.get(Number(row[0])) ?? 0) + 1);
      return [
        [...counts.keys()]
          .sort((a, b) => a - b)
          .map((k) => String.fromCharCode(counts.get(k)!))
          .join(''),
      ];
    },
  },
  {
    name: 'mod() by zero when the guess is right',
    steps: [
      guessing(
        (k, d) =>
          `select mod(1, ascii(substr(ssn, ${k}, 1)) - ascii('${d}')) from customers where id = 1`,
        failed('22012'),
      ),
    ],
    recover: byPosition(),
  },
  {
    name: 'NULLIF in a divisor',
    steps: [
      guessing(
        (k, d) =>
          `select 1 / length(coalesce(nullif(substr(ssn, ${k}, 1), '${d}'), '')) from customers where id = 1`,
        failed('22012'),
      ),
    ],
    recover: byPosition(),
  },
  {
    name: 'HAVING with max() of one character',
    steps: [
      `select k, d from customers c, generate_series(1, 11) k, ${SSN_CHARS} where c.id = 1 group by k, d having max(substr(c.ssn, k, 1)) = d`,
    ],
    recover: byPosition(),
    exec: true,
  },
  {
    name: 'HAVING with a FILTERed count',
    steps: [
      `select k, d from customers c, generate_series(1, 11) k, ${SSN_CHARS} where c.id = 1 group by k, d having count(*) filter (where substr(c.ssn, k, 1) = d) > 0`,
    ],
    recover: byPosition(),
  },
  {
    name: 'DISTINCT ON a comparison, the match sorted first',
    steps: [
      `select distinct on (k) k, d from customers c, generate_series(1, 11) k, ${SSN_CHARS} where c.id = 1 order by k, substr(c.ssn, k, 1) = d desc`,
    ],
    recover: byPosition(),
  },
  {
    name: 'a window ORDER BY the comparison, first row per position kept',
    steps: [
      `select k, d from (select k, d, row_number() over (partition by k order by substr(c.ssn, k, 1) = d desc) as n from customers c, generate_series(1, 11) k, ${SSN_CHARS} where c.id = 1) x where n = 1`,
    ],
    recover: byPosition(),
  },
  {
    name: 'string_agg ordered by the SSN tells the order of the names',
    steps: [
      `select k, (select string_agg(d, '' order by substr(c.ssn, k, 1) = d desc) from ${SSN_CHARS}) from customers c, generate_series(1, 11) k where c.id = 1`,
    ],
    recover: (rows) => [rows.map((row) => String(row[1] ?? '').charAt(0)).join('')],
  },
  {
    name: 'JOIN … USING a derived column',
    steps: [
      `select k, x from (select k, substr(ssn, k, 1) as x from customers, generate_series(1, 11) k where id = 1) a join (select d as x from ${SSN_CHARS}) b using (x)`,
    ],
    recover: byPosition(),
  },
  {
    name: 'a row comparison as a binary search',
    steps: [
      async (s) => {
        let prefix = '';
        for (let k = 1; k <= 11; k++) {
          let best = '';
          for (const d of SSN_DIGITS.split('').sort()) {
            const r = await s.sql(
              `select 1 from customers where id = 1 and (ssn, 0) >= ('${prefix}${d}', 0)`,
            );
            if (rowsCame(r)) best = d;
          }
          prefix += best;
          await s.sql(`select ${k}, '${best}'`);
        }
      },
    ],
    recover: byPosition(),
  },
  {
    name: 'UPDATE … WHERE EXISTS … RETURNING the guess',
    steps: [
      guessing(
        (k, d) =>
          `update scratch set note = note where exists (select 1 from customers where id = 1 and substr(ssn, ${k}, 1) = '${d}') returning ${k}, '${d}'`,
        rowsCame,
      ),
    ],
    recover: byPosition(),
  },
  {
    name: 'MERGE … WHEN NOT MATCHED AND a guess inserts the guess',
    steps: [
      `merge into scratch s using (select k, d from generate_series(1, 11) k, ${SSN_CHARS}) g on false when not matched and exists (select 1 from customers where id = 1 and substr(ssn, g.k, 1) = g.d) then insert values (100 + g.k, g.d)`,
      'select id, note from scratch where id > 100',
    ],
    recover: byPosition(0, 1, 100),
  },
  {
    name: 'get_byte of the SSN as bytea in WHERE',
    steps: [
      `select k, d from customers c, generate_series(1, 11) k, ${SSN_CHARS} where c.id = 1 and get_byte(convert_to(c.ssn, 'UTF8'), k - 1) = ascii(d)`,
    ],
    recover: byPosition(),
  },
  {
    name: 'IN list of one-character guesses',
    steps: [
      guessing(
        (k, d) => `select 1 from customers where id = 1 and substr(ssn, ${k}, 1) in ('${d}')`,
        rowsCame,
      ),
    ],
    recover: byPosition(),
  },
  {
    name: 'a row-security policy whose USING tests a character, forced on the owner',
    steps: [
      'create table adv_g (k int, d text)',
      "insert into adv_g values (1, '0')",
      'alter table customers enable row level security',
      'alter table customers force row level security',
      'create policy adv_pol on customers using (substr(ssn, (select k from adv_g), 1) = (select d from adv_g))',
      async (s) => {
        for (let k = 1; k <= 11; k++) {
          for (const d of SSN_DIGITS) {
            await s.sql(`update adv_g set k = ${k}, d = '${d}'`);
            const r = await s.sql('select id from customers where id = 1');
            if (rowsCame(r)) {
              await s.sql(`select ${k}, '${d}'`);
              break;
            }
          }
        }
      },
    ],
    recover: byPosition(),
    cleanup: ['alter table customers no force row level security'],
  },
  {
    name: 'INTERSECT with one guessed character for every position',
    steps: [
      async (s) => {
        for (const d of SSN_DIGITS) {
          const r = await s.sql(
            `select k, substr(ssn, k, 1) from customers, generate_series(1, 11) k where id = 1 intersect select k, '${d}' from generate_series(1, 11) k`,
          );
          for (const row of r.rows) await s.sql(`select ${Number(row[0])}, '${d}'`);
        }
      },
    ],
    recover: byPosition(),
  },
  {
    name: 'EXCEPT leaves the positions where the guess is wrong',
    steps: [
      async (s) => {
        for (const d of SSN_DIGITS) {
          const r = await s.sql(
            `select k + 100, '${d}' from generate_series(1, 11) k except select k + 100, substr(ssn, k, 1) from customers, generate_series(1, 11) k where id = 1`,
          );
          const wrong = new Set(r.rows.map((row) => Number(row[0]) - 100));
          for (let k = 1; k <= 11; k++)
            if (!wrong.has(k) && !r.error) await s.sql(`select ${k}, '${d}'`);
        }
      },
    ],
    recover: byPosition(),
  },
  {
    name: 'SELECT DISTINCT over a character and a guess: one row when equal',
    steps: [
      guessing(
        (k, d) =>
          `select distinct x from (select substr(ssn, ${k}, 1) as x from customers where id = 1 union all select '${d}') s`,
        (r) => !r.error && r.rows.length === 1,
      ),
    ],
    recover: byPosition(),
  },
  {
    name: 'UNION without ALL over a character and a guess',
    steps: [
      guessing(
        (k, d) => `select substr(ssn, ${k}, 1) from customers where id = 1 union select '${d}'`,
        (r) => !r.error && r.rows.length === 1,
      ),
    ],
    recover: byPosition(),
  },
  {
    name: 'extended protocol: a parameter compared with a derived value',
    steps: [
      async (s) => {
        const { wire } = await import('./harness/wire-client.js');
        const client = await s.wire();
        for (let k = 1; k <= 11; k++) {
          for (const d of SSN_DIGITS) {
            const got = await client.exchange(
              [
                wire.parse(
                  '',
                  `select ${k}, $1::text from customers where id = 1 and substr(ssn, ${k}, 1) = $1`,
                ),
                wire.bind('', '', [d]),
                wire.execute(),
                wire.sync(),
              ],
              1,
              15_000,
            );
            s.note(`param ${k} ${d}`, got);
          }
        }
      },
    ],
    recover: byPosition(),
  },
];
