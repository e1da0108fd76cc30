import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { cachedClassifier, classifySql, initSqlParser } from '../../../../src/server/sql/index.js';

before(() => initSqlParser());

describe('cachedClassifier', () => {
  it('parses a string once and answers repeats from the cache', () => {
    let parses = 0;
    const classify = cachedClassifier((sql) => {
      parses += 1;
      return classifySql(sql);
    });
    const first = classify('select * from customers where id = 1');
    const again = classify('select * from customers where id = 1');
    assert.equal(parses, 1);
    assert.equal(again, first);
    assert.ok(first.ok && first.statements[0]?.kinds.includes('select'));
  });

  it('forgets the oldest entry beyond its size and never caches long strings', () => {
    let parses = 0;
    const classify = cachedClassifier(
      (sql) => {
        parses += 1;
        return classifySql(sql);
      },
      { maxEntries: 2, maxSqlLength: 40, acrossConstants: false },
    );
    classify('select 1');
    classify('select 2');
    classify('select 3'); // evicts 'select 1'
    classify('select 1');
    assert.equal(parses, 4);
    const long = `select ${'1 + '.repeat(20)}1`;
    classify(long);
    classify(long);
    assert.equal(parses, 6);
  });

  it('caches refusals of unparsable SQL too (fail closed stays fail closed)', () => {
    const classify = cachedClassifier(classifySql);
    const first = classify('selec nonsense');
    assert.equal(first.ok, false);
    assert.equal(classify('selec nonsense'), first);
  });

  it('reuses a classification across numeric constants, with each string’s own text', () => {
    let parses = 0;
    const classify = cachedClassifier((sql) => {
      parses += 1;
      return classifySql(sql);
    });
    const texts = [1, 22, 333, -4, 5.5, 1e3, 2147483647].map(
      (n) => `select abalance from pgbench_accounts where aid = ${n}; select ${n} + 1`,
    );
    for (const sql of texts) assert.deepEqual(classify(sql), classifySql(sql));
    // 5.5, 1e3 and a negative int are other shapes; 1, 22, 333 and 2147483647 share one.
    assert.ok(parses < texts.length, `parsed ${parses} of ${texts.length}`);
  });

  it('gives exactly what a parse gives, over many statements and constants', () => {
    const classify = cachedClassifier(classifySql);
    const templates = [
      (n: number) => `SELECT abalance FROM pgbench_accounts WHERE aid = ${n};`,
      (n: number) => `update t set x = x + ${n} where id = ${n % 7} returning *`,
      (n: number) => `insert into t (a, b) values (${n}, '${n}') on conflict do nothing`,
      (n: number) => `delete from t where id in (${n}, ${n + 1}) -- ${n}`,
      (n: number) => `select * from t /* ${n} */ where a > ${n} limit ${n} offset ${n}`,
      (n: number) => `select $$${n}$$, $x$ ${n} $x$, e'\\'' || ${n}, "c${n}" from t`,
      (n: number) => `with d as (delete from t where id = ${n} returning *) select * from d`,
      (n: number) => `select * from t fetch first ${n} rows only`,
      (n: number) => `select x from t for update limit ${n}`,
      (n: number) => `select c.email, lower(c.email) || ${n} from customers c where c.id = -${n}`,
    ];
    for (const template of templates) {
      for (const n of [1, 2, 30, 400, 5000, 65536, 3000000000]) {
        const sql = template(n);
        assert.deepEqual(classify(sql), classifySql(sql), sql);
      }
    }
  });

  it('never reuses across constants where a number changes what runs', () => {
    let parses = 0;
    const classify = cachedClassifier((sql) => {
      parses += 1;
      return classifySql(sql);
    });
    const explain = (n: number) =>
      `explain (analyze ${n}) with x as (delete from t returning *) select * from x fetch first row only`;
    for (const n of [0, 0, 1, 0, 1]) {
      const sql = explain(n);
      assert.deepEqual(classify(sql), classifySql(sql));
    }
    const fetch = (n: number) => `fetch ${n} from c`;
    for (const n of [1, 2, 3]) assert.deepEqual(classify(fetch(n)), classifySql(fetch(n)));
    // Exact repeats aside, each string was parsed: no shape was trusted.
    assert.equal(parses, 5);
  });
});
