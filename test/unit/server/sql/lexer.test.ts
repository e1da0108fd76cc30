import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { countTokens, forEachToken, type TokenKind } from '../../../../src/server/sql/lexer.js';

function tokens(sql: string): [string, TokenKind][] {
  const out: [string, TokenKind][] = [];
  forEachToken(sql, (start, end, kind) => {
    out.push([sql.slice(start, end), kind]);
  });
  return out;
}

describe('forEachToken', () => {
  it('reads words, numbers, operators and punctuation', () => {
    assert.deepEqual(tokens('select a.b, 1.5e3 from t where x >= $1::int'), [
      ['select', 'word'],
      ['a', 'word'],
      ['.', 'punctuation'],
      ['b', 'word'],
      [',', 'punctuation'],
      ['1.5e3', 'number'],
      ['from', 'word'],
      ['t', 'word'],
      ['where', 'word'],
      ['x', 'word'],
      ['>=', 'operator'],
      ['$1', 'parameter'],
      ['::', 'punctuation'],
      ['int', 'word'],
    ]);
  });

  it('keeps strings, quoted identifiers and dollar quotes whole, and skips comments', () => {
    assert.deepEqual(
      tokens(`'it''s' E'a\\'b' "we""ird" $x$ a ' b $x$ -- c\n /* a /* nested */ b */ U&'d' x'1f'`),
      [
        ["'it''s'", 'string'],
        ["E'a\\'b'", 'string'],
        ['"we""ird"', 'identifier'],
        ["$x$ a ' b $x$", 'string'],
        ["U&'d'", 'string'],
        ["x'1f'", 'string'],
      ],
    );
  });

  it('splits operators as scan.l does', () => {
    assert.deepEqual(tokens('x=-1'), [
      ['x', 'word'],
      ['=', 'operator'],
      ['-', 'operator'],
      ['1', 'number'],
    ]);
    assert.deepEqual(tokens('a @- b'), [
      ['a', 'word'],
      ['@-', 'operator'],
      ['b', 'word'],
    ]);
    assert.deepEqual(tokens('a:=1'), [
      ['a', 'word'],
      [':=', 'operator'],
      ['1', 'number'],
    ]);
    assert.deepEqual(tokens('for i in 1..10'), [
      ['for', 'word'],
      ['i', 'word'],
      ['in', 'word'],
      ['1', 'number'],
      ['..', 'punctuation'],
      ['10', 'number'],
    ]);
  });

  it('ends an unterminated string at the end of the text', () => {
    assert.deepEqual(tokens("select 'open"), [
      ['select', 'word'],
      ["'open", 'unterminated'],
    ]);
  });

  it('counts multi-byte identifiers as words', () => {
    assert.deepEqual(tokens('select Ünï'), [
      ['select', 'word'],
      ['Ünï', 'word'],
    ]);
  });
});

describe('countTokens', () => {
  it('stops counting past the maximum', () => {
    assert.equal(countTokens('a b c d e f', 100), 6);
    assert.equal(countTokens('a b c d e f', 3), 4);
  });
});
