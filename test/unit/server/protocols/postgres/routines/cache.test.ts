import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  NOTHING_REACHED,
  RoutineCache,
} from '../../../../../../src/server/protocols/postgres/routines/index.js';
import { classifySql, initSqlParser } from '../../../../../../src/server/sql/index.js';

before(() => initSqlParser());

function statement(sql: string) {
  const classification = classifySql(sql);
  assert.ok(classification.ok);
  return classification.statements[0]!;
}

describe('RoutineCache', () => {
  it('forgets a fact after its TTL', () => {
    const bucket = new RoutineCache({ ttlMs: 1_000 }).bucket('db');
    bucket.set('f:now', [], 10_000);
    assert.deepEqual(bucket.get('f:now', 11_000)?.value, []);
    assert.equal(bucket.get('f:now', 11_001), undefined);
  });

  it('keeps at most maxEntries facts over every database, the oldest going first', () => {
    const cache = new RoutineCache({ maxEntries: 3 });
    const a = cache.bucket('a');
    const b = cache.bucket('b');
    a.set('1', 1, 0);
    a.set('2', 2, 0);
    b.set('3', 3, 0);
    b.set('4', 4, 0);
    assert.equal(cache.size, 3);
    assert.equal(b.get('3', 0)?.value, undefined, 'the writer’s own oldest goes first');
    assert.equal(a.get('1', 0)?.value, 1);
    b.set('5', 5, 0);
    assert.equal(cache.size, 3);
    assert.equal(b.get('4', 0), undefined);
  });

  it('invalidates one database or all of them, and counts the change', () => {
    const cache = new RoutineCache();
    const a = cache.bucket('a');
    const b = cache.bucket('b');
    a.set('k', 1, 0);
    b.set('k', 2, 0);
    cache.invalidate('a');
    assert.equal(a.get('k', 0), undefined);
    assert.equal(b.get('k', 0)?.value, 2);
    assert.equal(a.generation, 1);
    assert.equal(b.generation, 0);
    cache.invalidate();
    assert.equal(b.get('k', 0), undefined);
    assert.equal(cache.size, 0);
    assert.equal(b.generation, 1);
  });

  it('remembers a statement’s result for the same lists until its facts expire', () => {
    const cache = new RoutineCache({ maxResults: 2 });
    const bucket = cache.bucket('db');
    const one = statement('select f() from t');
    bucket.remember(one, NOTHING_REACHED, 5_000);
    assert.equal(bucket.memo(one, 4_999), NOTHING_REACHED);
    assert.equal(bucket.memo({ ...one, text: 'select f() from t -- other' }, 0), NOTHING_REACHED);
    assert.equal(bucket.memo(one, 5_000), undefined, 'expired');
    assert.equal(bucket.memo({ ...one, tables: ['u'] }, 0), undefined, 'other tables');
    assert.equal(bucket.memo(statement('select f() from t'), 0), undefined, 'other lists');
    bucket.remember(statement('select 1'), NOTHING_REACHED, 5_000);
    bucket.remember(statement('select 2'), NOTHING_REACHED, 5_000);
    assert.equal(bucket.memo(one, 0), undefined, 'bounded: the oldest result went');
  });

  it('refuses limits that are not positive whole numbers', () => {
    assert.throws(() => new RoutineCache({ maxEntries: 0 }), RangeError);
    assert.throws(() => new RoutineCache({ ttlMs: -1 }), RangeError);
  });
});
