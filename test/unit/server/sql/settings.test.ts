import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import {
  classifySql,
  initSqlParser,
  type ClassifiedStatement,
  type SettingChange,
} from '../../../../src/server/sql/index.js';

before(() => initSqlParser());

function one(sql: string): ClassifiedStatement {
  const result = classifySql(sql);
  assert.ok(result.ok, `did not classify: ${sql} (${JSON.stringify(result)})`);
  return result.statements[0]!;
}

describe('settings a statement changes', () => {
  const cases: [string, SettingChange[]][] = [
    ['set work_mem = 64', [{ name: 'work_mem', scope: 'session', value: '64', lexer: false }]],
    [
      'set local statement_timeout = 0',
      [{ name: 'statement_timeout', scope: 'transaction', value: '0', lexer: false }],
    ],
    [
      'set standard_conforming_strings = off',
      [{ name: 'standard_conforming_strings', scope: 'session', value: 'off', lexer: true }],
    ],
    [
      'set backslash_quote to on',
      [{ name: 'backslash_quote', scope: 'session', value: 'on', lexer: true }],
    ],
    [
      "set names 'SJIS'",
      [{ name: 'client_encoding', scope: 'session', value: 'SJIS', lexer: true }],
    ],
    [
      "set client_encoding to 'GBK'",
      [{ name: 'client_encoding', scope: 'session', value: 'GBK', lexer: true }],
    ],
    [
      'set escape_string_warning = off',
      [{ name: 'escape_string_warning', scope: 'session', value: 'off', lexer: false }],
    ],
    [
      'reset standard_conforming_strings',
      [{ name: 'standard_conforming_strings', scope: 'session', lexer: true }],
    ],
    ['reset all', [{ name: '*', scope: 'session', lexer: true }]],
    ['discard all', [{ name: '*', scope: 'session', lexer: true }]],
    ["set schema 'app'", [{ name: 'search_path', scope: 'session', value: 'app', lexer: false }]],
    [
      "select set_config('standard_conforming_strings', 'off', false)",
      [{ name: 'standard_conforming_strings', scope: 'session', value: 'off', lexer: true }],
    ],
    [
      "select set_config('search_path', 'evil', true)",
      [{ name: 'search_path', scope: 'transaction', value: 'evil', lexer: false }],
    ],
    [
      'select set_config(name, setting, false) from t',
      [{ name: '*', scope: 'session', lexer: true }],
    ],
    [
      "alter role bob set client_encoding = 'SJIS'",
      [{ name: 'client_encoding', scope: 'role', value: 'SJIS', lexer: true }],
    ],
    [
      'alter database app set standard_conforming_strings = off',
      [{ name: 'standard_conforming_strings', scope: 'database', value: 'off', lexer: true }],
    ],
    [
      'alter system set backslash_quote = on',
      [{ name: 'backslash_quote', scope: 'system', value: 'on', lexer: true }],
    ],
    [
      'alter function f() set search_path = a, b',
      [{ name: 'search_path', scope: 'function', value: 'a, b', lexer: false }],
    ],
    [
      'do $$ begin set standard_conforming_strings = off; end $$',
      [{ name: 'standard_conforming_strings', scope: 'session', value: 'off', lexer: true }],
    ],
    [
      "do $$ begin perform set_config('client_encoding', 'BIG5', false); end $$",
      [{ name: 'client_encoding', scope: 'session', value: 'BIG5', lexer: true }],
    ],
  ];
  for (const [sql, settings] of cases) {
    it(sql, () => assert.deepEqual(one(sql).settings, settings));
  }

  it('changes nothing for statements that only read', () => {
    assert.deepEqual(one('show standard_conforming_strings').settings, []);
    assert.deepEqual(one("select current_setting('client_encoding')").settings, []);
  });
});

describe('who the session acts as', () => {
  it('sees SET ROLE in every spelling', () => {
    for (const sql of [
      'set role admin',
      "set session authorization 'bob'",
      'reset role',
      'reset all',
      'discard all',
      "select set_config('role', 'admin', false)",
      "select set_config(current_setting('x'), 'admin', false)",
      'do $$ begin set role admin; end $$',
      "do $$ begin execute 'set role admin'; end $$",
    ]) {
      assert.equal(one(sql).roleChange, true, sql);
    }
    assert.equal(one("select set_config('work_mem', '1MB', false)").roleChange, false);
  });
});
