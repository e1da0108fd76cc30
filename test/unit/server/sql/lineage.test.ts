import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { classifySql, initSqlParser } from '../../../../src/server/sql/index.js';
import type { OutputLineage } from '../../../../src/server/sql/lineage.js';

before(() => initSqlParser());

/** The lineage of the one statement `sql` holds. */
function lineage(sql: string): OutputLineage[] | null {
  const result = classifySql(sql);
  assert.ok(result.ok, `did not parse: ${sql}`);
  assert.equal(result.statements.length, 1, sql);
  return result.statements[0]!.lineage;
}

/**
 * Each output as one string: `*customers` for a star, else the sorted sources
 * (`customers.email`, `row:customers`, `?` for unknown), space-separated.
 */
function sources(sql: string): string[] | null {
  const found = lineage(sql);
  return found === null ? null : found.map(describeOutput);
}

function describeOutput(output: OutputLineage): string {
  if (output.kind === 'star') return `*${output.table}`;
  return output.sources
    .map((s) =>
      s.kind === 'column'
        ? `${s.table}.${s.column}`
        : s.kind === 'row'
          ? `row:${s.table}`
          : s.kind === 'any'
            ? 'any'
            : '?',
    )
    .sort()
    .join(' ');
}

function names(sql: string): (string | undefined)[] {
  return (lineage(sql) ?? []).map((o) => (o.kind === 'value' ? o.name : undefined));
}

describe('statement lineage', () => {
  it('traces functions, casts, operators and concatenation to their columns', () => {
    assert.deepEqual(sources('select upper(name), lower(email) from customers'), [
      'customers.name',
      'customers.email',
    ]);
    assert.deepEqual(sources('select name || email, email::varchar(10) from customers'), [
      'customers.email customers.name',
      'customers.email',
    ]);
    assert.deepEqual(sources('select count(*), 1, $1 from customers'), ['', '', '']);
    assert.deepEqual(names('select upper(name), email e, id from customers'), ['upper', 'e', 'id']);
  });

  it('sees through evasion attempts: nesting, conditionals, aggregates, formats', () => {
    const each = [
      'select lower(upper(trim(email::text)))::varchar from customers',
      'select coalesce(null, email) from customers',
      'select array_agg(email) from customers',
      "select string_agg(email, ',') from customers",
      "select format('%s', email) from customers",
      'select case when true then email end from customers',
      'select nullif(email, null) from customers',
      'select greatest(email, name) from customers',
      'select array[email] from customers',
      'select row(id, email) from customers',
      "select count(*) filter (where email like 'a%') from customers",
      "select string_agg(id::text, ',' order by email) from customers",
      'select first_value(id) over (partition by email) from customers',
      "select json_build_object('e', email) from customers",
      'select substring(email from 1 for 3) from customers',
    ];
    for (const sql of each) {
      const [only] = sources(sql) ?? [];
      assert.ok(only?.split(' ').includes('customers.email'), `${sql}: ${only}`);
      assert.ok(!(only ?? '?').includes('?'), `${sql} is traced: ${only}`);
    }
  });

  it('treats whole-row references as every column of the table', () => {
    for (const sql of [
      'select c from customers c',
      'select row_to_json(c) from customers c',
      'select c::text from customers c',
      'select to_jsonb(c) from customers c',
      'select json_agg(c) from customers c',
      'select row_to_json(c.*) from customers c',
    ]) {
      const [only] = sources(sql) ?? [];
      // `c` alone may also be a column named c: both readings count.
      assert.ok(
        only === 'row:customers' || only === 'customers.c row:customers',
        `${sql}: ${only}`,
      );
    }
    // `(c).email` is field email of the whole row c (or of a column c): over-approximated.
    const [field] = sources('select (c).email from customers c') ?? [];
    assert.ok(field?.includes('row:customers'), field);
    assert.deepEqual(sources('select customers from customers'), [
      'customers.customers row:customers',
    ]);
  });

  it('expands stars: a base table to a marker, a subquery or CTE to its outputs', () => {
    assert.deepEqual(sources('select * from customers'), ['*customers']);
    assert.deepEqual(sources('select c.*, o.id from customers c, orders o'), [
      '*customers',
      'orders.id',
    ]);
    assert.deepEqual(sources('select * from customers, orders'), ['*customers', '*orders']);
    assert.deepEqual(sources('select * from (select lower(email) l, 1 one from customers) x'), [
      'customers.email',
      '',
    ]);
    assert.deepEqual(sources('select * from public.customers'), ['*public.customers']);
    assert.deepEqual(sources('select x.* from (select * from customers) x'), ['*customers']);
    // USING merges columns in an order only the catalog knows.
    assert.equal(sources('select * from customers join orders using (id)'), null);
    assert.deepEqual(sources('select c.* from customers c join orders using (id)'), ['*customers']);
    assert.equal(sources('select (c).* from customers c'), null);
  });

  it('resolves FROM subqueries, CTEs and VALUES by name', () => {
    assert.deepEqual(sources('with x as (select email e from customers) select upper(e) from x'), [
      'customers.email',
    ]);
    assert.deepEqual(
      sources('with x(a, b) as (select name, email from customers) select b, a from x'),
      ['customers.email', 'customers.name'],
    );
    assert.deepEqual(
      sources('select x.e from (select email as e, name as n from customers) as x'),
      ['customers.email'],
    );
    assert.deepEqual(sources('select s.column1 from (values (1), (2)) s'), ['']);
    assert.deepEqual(sources('select v.a from customers c, lateral (values (c.email)) v(a)'), [
      'customers.email',
    ]);
    assert.deepEqual(sources('select * from (select * from customers) x(a, b)'), ['*customers']);
    // A name the subquery does not show: all of its sources (fail closed).
    assert.deepEqual(sources('select x.zzz from (select email from customers) x'), [
      'customers.email',
    ]);
    assert.deepEqual(sources('select a from customers c(a, b)'), ['row:customers']);
  });

  it('solves recursive CTEs to a fixpoint', () => {
    const [e, n] =
      sources(
        'with recursive t(n, e) as (select 1, null::text union all select n + 1, email from t, customers where n < 3) select e, n from t',
      ) ?? [];
    // Unqualified `n` and `email` may be columns of customers or of t: both count.
    assert.ok(e?.split(' ').includes('customers.email'), e);
    assert.equal(n, 'customers.n');
    assert.deepEqual(
      sources(
        'with recursive a as (select * from b), b as (select email from customers) select * from a',
      ),
      ['customers.email'],
    );
  });

  it('unions set operations per position', () => {
    assert.deepEqual(
      sources('select name, id from customers union all select note, id from orders'),
      ['customers.name orders.note', 'customers.id orders.id'],
    );
    assert.deepEqual(names('select name as n from customers union select note from orders'), ['n']);
    assert.equal(sources('select * from customers union select * from orders'), null);
    assert.deepEqual(sources('values (1, email), (2, name)'), ['', '?'], 'no table in scope');
  });

  it('traces subqueries in the select list, including correlated ones', () => {
    assert.deepEqual(sources('select (select email from customers limit 1)'), ['customers.email']);
    assert.deepEqual(
      sources('select (select max(note) from orders o where o.id = c.id), c.name from customers c'),
      // Unqualified `note` may be the outer query's column too.
      ['customers.note orders.note', 'customers.name'],
    );
    assert.deepEqual(sources('select array(select email from customers)'), ['customers.email']);
    const [correlated] =
      sources('select (select email from orders o limit 1) from customers c') ?? [];
    assert.equal(correlated, 'customers.email orders.email');
  });

  it('counts an unqualified column for every table in scope', () => {
    assert.deepEqual(sources('select email, note from customers c join orders o on c.id = o.id'), [
      'customers.email orders.email',
      'customers.note orders.note',
    ]);
    assert.deepEqual(sources('select o.note from customers c join orders o on true'), [
      'orders.note',
    ]);
  });

  it('derives functions in FROM from their arguments', () => {
    assert.deepEqual(sources('select u from customers c, unnest(array[c.email]) u'), [
      'customers.email customers.u',
    ]);
    assert.deepEqual(sources('select unnest(array[email]) from customers'), ['customers.email']);
    assert.deepEqual(
      sources(
        'select x.a, x.b from customers c, lateral unnest(array[email]) with ordinality x(a, b)',
      ),
      ['customers.email', 'customers.email'],
    );
    assert.deepEqual(
      sources(
        'select * from customers c, json_to_recordset(json_agg(c.email)) as t(a text, b int)',
      ),
      ['*customers', 'customers.email', 'customers.email'],
    );
    assert.deepEqual(sources('select * from generate_series(1, 3) g'), ['']);
    assert.equal(sources('select * from my_function(1)'), null, 'its width is unknown');
    assert.deepEqual(sources('select f from my_function(1) f'), ['?']);
  });

  it('marks calls it cannot see through as unknown', () => {
    assert.deepEqual(sources('select my_lookup(id) from customers'), ['? customers.id']);
    assert.deepEqual(
      sources("select query_to_xml('select email from customers', true, false, '')"),
      ['? any'],
      'SQL run from a string, or a cursor read, may return anything',
    );
    assert.deepEqual(sources("select ext.cursor_to_xml('c', 10, true, false, '')"), ['? any']);
    assert.deepEqual(sources('select crm.upper(name) from customers'), ['? customers.name']);
    assert.deepEqual(sources('select pg_catalog.upper(name) from customers'), ['customers.name']);
    assert.deepEqual(sources('select email'), ['?'], 'a name no table in scope holds');
  });

  it('traces DML … RETURNING and knows statements that return no rows', () => {
    assert.deepEqual(sources('insert into customers (id) values (3) returning email'), [
      'customers.email',
    ]);
    assert.deepEqual(sources('update customers set name = o.note from orders o returning *'), [
      '*customers',
      '*orders',
    ]);
    assert.deepEqual(sources('delete from customers c returning upper(c.email)'), [
      'customers.email',
    ]);
    assert.deepEqual(
      sources('with d as (delete from customers returning email) select lower(email) from d'),
      ['customers.email'],
    );
    for (const sql of [
      'insert into customers (id) values (3)',
      'select 1 into t',
      'explain select email from customers',
      'show search_path',
      'execute p',
      'create table t (a int)',
    ]) {
      assert.equal(lineage(sql), null, sql);
    }
  });

  it('keeps the schema as written', () => {
    assert.deepEqual(sources('select lower(c.email) from crm.customers c'), [
      'crm.customers.email',
    ]);
    assert.deepEqual(sources('select lower(crm.customers.email) from crm.customers'), [
      'crm.customers.email',
    ]);
  });
});
