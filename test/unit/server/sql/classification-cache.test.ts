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
      { maxEntries: 2, maxSqlLength: 40 },
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
});
