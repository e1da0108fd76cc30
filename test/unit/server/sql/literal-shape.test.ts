import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { literalShape } from '../../../../src/server/sql/literal-shape.js';

const numbers = (sql: string): string[] | undefined =>
  literalShape(sql)?.spans.map((span) => sql.slice(span.start, span.end));

describe('literalShape', () => {
  it('finds the numeric constants and keys the text without them', () => {
    const sql = 'select a1, 2, .5, 3.25e-2, 4. from t where x = 2147483648';
    assert.deepEqual(numbers(sql), ['2', '.5', '3.25e-2', '4.', '2147483648']);
    assert.equal(literalShape(sql)?.key, 'select a1, \0i, \0f, \0f, \0f from t where x = \0f');
    assert.equal(literalShape('select 7')?.key, literalShape('select 12345')?.key);
    assert.notEqual(literalShape('select 7')?.key, literalShape('select 7.0')?.key);
  });

  it('skips strings, quoted identifiers, dollar quotes, comments and parameters', () => {
    assert.deepEqual(
      numbers(
        `select '1''2', e'3\\'4', x'5', u&'6', "7""8", u&"9", $$10$$, $t1$ 11 $t1$, $12, 13 -- 14\n/* 15 /* 16 */ 17 */ + 18`,
      ),
      ['13', '18'],
    );
  });

  it('notes a minus sign the parser folds into the constant', () => {
    const sql = 'select * from t where x = - /* c */ 5 and y = 6-7';
    const spans = literalShape(sql)?.spans ?? [];
    assert.equal(spans[0]?.minus, sql.indexOf('-'));
    assert.equal(spans[2]?.minus, sql.lastIndexOf('-'));
    assert.equal(spans[1]?.minus, undefined);
  });

  it('gives no shape where it is not sure', () => {
    for (const sql of [
      'select 0x1f',
      'select 1_000',
      'select 12abc',
      'select 1..2',
      'select 1.2.3',
      'select 1e',
      "select 'unterminated",
      'select $a$ unterminated',
      'select /* unterminated',
      "select 'é', 1",
      'select 1$',
      'select a',
    ]) {
      assert.equal(literalShape(sql), undefined, sql);
    }
  });
});
