import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { maskedUse } from '../../../../src/server/policy/masked-uses.js';
import type { MaskDirective } from '../../../../src/server/policy/types.js';
import { classifySql, initSqlParser } from '../../../../src/server/sql/index.js';
import type { ColumnUseKind } from '../../../../src/server/enforcement/index.js';

before(() => initSqlParser());

const PII: MaskDirective = {
  rule: 'pii',
  columns: ['customers.email', '*.ssn'],
  detectors: [],
};

/** The first refused use of the one statement in `sql` under `mask`, as `use: message`. */
function refusal(sql: string, mask: MaskDirective = PII): string | undefined {
  const result = classifySql(sql);
  assert.ok(result.ok, `did not parse: ${sql}`);
  for (const statement of result.statements) {
    const found = maskedUse(statement, [mask]);
    if (found) return found.message;
  }
  return undefined;
}

const allowing = (...allow: ColumnUseKind[]): MaskDirective => ({ ...PII, allow });

describe('uses of masked columns other than output', () => {
  const ordinary = [
    "select id, name, email, ssn from customers where email = 'jane@example.com'",
    'select * from customers where email = $1',
    "select * from customers c where c.ssn = '536-90-4381'::text and c.id > 3",
    'select * from customers where ssn is null',
    "insert into customers (id, name, email) values (9, 'n', 'n@example.com')",
    "update customers set name = 'x', email = 'new@example.com' where id = 1",
    'update customers set name = upper(name) where id = 1 returning email',
    'delete from customers where id = 4',
    'select c.name, o.total from customers c join orders o on o.customer_id = c.id order by o.total',
    'select name, count(*) from customers group by name order by 2',
    'select lower(email), length(ssn) from customers',
    'select email from customers union all select email from customers',
    'select distinct name from customers',
    'copy customers to stdout',
    'copy (select email from customers) to stdout',
    'declare c cursor for select email, ssn, * from customers',
    'prepare p as select email from customers where id = $1',
    'create table notes_copy as select id, notes from customers',
    'create view names as select id, name from customers where id > 1',
    "select set_config('application_name', 'report', false)",
    'alter table orders add column shipped boolean',
    'alter table customers add column vip boolean default false',
    'create index on customers (email)',
    'select * from orders where note like $1',
  ];
  for (const sql of ordinary) {
    it(`lets through: ${sql}`, () => assert.equal(refusal(sql), undefined));
  }

  const refused: [string, ColumnUseKind, RegExp][] = [
    ['insert into scratch select id, ssn from customers', 'write', /copies customers\.ssn/],
    ['update customers set name = email', 'write', /UPDATE … SET of customers/],
    ['create table t as select email from customers', 'write', /CREATE TABLE … AS/],
    ['create materialized view v as select ssn from customers', 'write', /MATERIALIZED/],
    ['create view v as select ssn as s from customers', 'write', /CREATE VIEW/],
    ['select ssn into t from customers', 'write', /SELECT … INTO/],
    // COPY to a file or program is the relay's to refuse while a mask applies (its rows cannot be masked).
    ["copy (select id from customers where ssn like '5%') to stdout", 'predicate', /WHERE/],
    ['declare c cursor for select lower(email) from customers', 'write', /cursor/],
    ["select pg_notify('c', ssn) from customers", 'write', /pg_notify\(\)/],
    ["select set_config('x.y', email, false) from customers", 'write', /set_config\(\)/],
    ['select app.stash(ssn) from customers', 'write', /app\.stash\(\)/],
    [
      'merge into scratch s using customers c on s.id = c.id when matched then update set note = c.ssn',
      'write',
      /UPDATE … SET|MERGE/,
    ],
    [
      'insert into customers (id) values (1) on conflict (id) do update set name = customers.ssn',
      'write',
      /ON CONFLICT/,
    ],
    [
      'with x as (select ssn from customers) insert into scratch select 1, ssn from x',
      'write',
      /INSERT into scratch/,
    ],
    [
      'with u as (update customers set name = email returning id) select count(*) from u',
      'write',
      /UPDATE … SET of customers/,
    ],
    ['analyze customers', 'write', /ANALYZE/],
    ["select * from pg_stats where tablename = 'customers'", 'write', /pg_stats/],
    ["select * from customers where email like 'a%'", 'predicate', /WHERE condition/],
    ["select * from customers where ssn > '5'", 'predicate', /WHERE condition/],
    ["select * from customers where substr(ssn, 1, 1) = '5'", 'predicate', /WHERE condition/],
    ["select * from customers where ssn in ('1', '2')", 'predicate', /WHERE condition/],
    ['select * from customers c join scratch s on s.note = c.ssn', 'predicate', /JOIN … ON/],
    [
      "select * from (select substr(ssn, 1, 1) x from customers) s where s.x = '5'",
      'predicate',
      /WHERE/,
    ],
    ["select case when ssn like '5%' then 1 end from customers", 'predicate', /CASE/],
    ['select 1 / (ascii(ssn) - 53) from customers', 'predicate', /divisor/],
    ['select generate_series(1, ascii(ssn)) from customers', 'predicate', /generate_series/],
    ["select count(*) from customers group by id having bool_or(ssn > '5')", 'predicate', /HAVING/],
    [
      'select 1 from customers limit (select ascii(ssn) from customers limit 1)',
      'predicate',
      /LIMIT/,
    ],
    ["delete from customers where ssn like '5%'", 'predicate', /DELETE … WHERE/],
    ["select exists (select 1 from customers where ssn ~ '^5') ", 'predicate', /WHERE/],
    ['select id from customers order by ssn', 'order', /ORDER BY/],
    ['select distinct substr(ssn, 1, 1) from customers', 'order', /DISTINCT/],
    [
      "select k, substr(ssn, k, 1) from customers, generate_series(1, 11) k intersect select k, '5' from generate_series(1, 11) k",
      'predicate',
      /INTERSECT/,
    ],
    ["select ssn from customers union select '1'", 'predicate', /UNION/],
    ['select email from customers order by 1', 'order', /ORDER BY/],
    ['select substr(ssn, 1, 1), count(*) from customers group by 1', 'order', /GROUP BY/],
    ['select distinct on (email) id from customers', 'order', /DISTINCT ON/],
    ['select row_number() over (order by ssn) from customers', 'order', /window/],
    ["select string_agg(name, ',' order by ssn) from customers", 'order', /ORDER BY/],
    ['alter table customers rename column ssn to tax_id', 'alter', /rename of customers\.ssn/],
    ['alter table customers rename to clients', 'alter', /table customers/],
    ['alter table customers alter column name type text using ssn', 'write', /USING/],
    ['alter table customers alter column ssn type varchar(20)', 'alter', /TYPE of customers\.ssn/],
    [
      'alter table customers add column g text generated always as (ssn) stored',
      'write',
      /generated/,
    ],
    ["alter table customers add constraint k check (ssn like '5%')", 'predicate', /CHECK/],
    ['alter table customers enable row level security', 'alter', /EnableRowSecurity/],
    ['alter table parent attach partition customers for values in (1)', 'alter', /ATTACH/],
    ['alter table customers set schema other', 'alter', /SET SCHEMA/],
    ['alter table customers inherit other', 'alter', /AddInherit/],
    ['create table c2 (like customers)', 'alter', /LIKE/],
    [
      'create trigger t before update on customers for each row execute function f()',
      'alter',
      /TRIGGER/,
    ],
    ['create rule r as on update to customers do also notify x', 'alter', /RULE/],
    ['create policy p on customers using (true)', 'alter', /row-security/],
    [
      'do $$ begin perform pg_notify($q$c$q$, (select ssn from customers limit 1)); end $$',
      'code',
      /procedural code/,
    ],
    [
      'create function f() returns text language sql as $$ select email from customers $$',
      'code',
      /procedural code/,
    ],
    [
      'create function f() returns text begin atomic select ssn from customers; end',
      'code',
      /procedural code/,
    ],
    [
      'create function f() returns trigger language plpgsql as $$ begin new.name := new.ssn; return new; end $$',
      'code',
      /column named ssn/,
    ],
  ];
  for (const [sql, use, message] of refused) {
    it(`refuses (${use}): ${sql}`, () => {
      const got = refusal(sql);
      assert.ok(got, 'not refused');
      assert.match(got, message);
      assert.match(got, new RegExp(`allow: \\[${use}\\]`));
      assert.equal(refusal(sql, allowing(use)), undefined, `still refused with allow: [${use}]`);
    });
  }

  it('refuses code it cannot read (dynamic SQL) unless the rule allows code', () => {
    const sql = "do $$ begin execute 'select ' || 'ssn from customers'; end $$";
    assert.match(refusal(sql) ?? '', /SQL built at run time.*allow: \[code\]/);
    assert.equal(refusal(sql, allowing('code')), undefined);
  });

  it('counts nothing against a rule with detectors only', () => {
    const detectors: MaskDirective = { rule: 'scan', columns: [], detectors: ['email'] };
    assert.equal(
      refusal('insert into scratch select id, ssn from customers', detectors),
      undefined,
    );
  });

  it('matches a schema-qualified table and leaves other tables alone', () => {
    assert.match(
      refusal('insert into t select email from crm.customers') ?? '',
      /crm\.customers\.email/,
    );
    assert.equal(refusal('insert into t select email from leads'), undefined);
    assert.equal(refusal("select * from leads where email like 'a%'"), undefined);
  });
});
