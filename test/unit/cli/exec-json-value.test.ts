import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonValue } from '../../../src/cli/exec/json-output.js';
import { pgTypeName } from '../../../src/cli/exec/pg-types.js';

describe('jsonValue (hoop exec --output json)', () => {
  it('keeps int8 a number only while a double holds it exactly', () => {
    assert.equal(jsonValue('9007199254740991', 20), 9007199254740991);
    assert.equal(jsonValue('-9007199254740991', 20), -9007199254740991);
    assert.equal(jsonValue('9007199254740992', 20), '9007199254740992');
    assert.equal(jsonValue('-9223372036854775808', 20), '-9223372036854775808');
  });

  it('gives floats as numbers except what JSON has no number for', () => {
    assert.equal(jsonValue('0.1', 700), 0.1);
    assert.equal(jsonValue('1e+308', 701), 1e308);
    for (const text of ['NaN', 'Infinity', '-Infinity']) assert.equal(jsonValue(text, 701), text);
  });

  it('keeps numeric and money as text, parses json, maps bool and NULL', () => {
    assert.equal(jsonValue('1.10', 1700), '1.10');
    assert.equal(jsonValue('$1.00', 790), '$1.00');
    assert.deepEqual(jsonValue('{"a":[1]}', 3802), { a: [1] });
    assert.equal(jsonValue('t', 16), true);
    assert.equal(jsonValue('f', 16), false);
    assert.equal(jsonValue(null, 23), null);
    assert.equal(jsonValue('2024-01-02', 1082), '2024-01-02');
  });

  it('names built-in types and none other', () => {
    assert.equal(pgTypeName(23), 'int4');
    assert.equal(pgTypeName(1007), '_int4');
    assert.equal(pgTypeName(3802), 'jsonb');
    assert.equal(pgTypeName(16384), null);
    assert.equal(pgTypeName(0), null);
  });
});
