import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import {
  classifySql,
  initSqlParser,
  type ClassifiedStatement,
} from '../../../../src/server/sql/index.js';
import { regclassName } from '../../../../src/server/sql/sql-functions.js';

before(() => initSqlParser());

function one(sql: string): ClassifiedStatement {
  const result = classifySql(sql);
  assert.ok(result.ok, `did not classify: ${sql} (${JSON.stringify(result)})`);
  return result.statements[0]!;
}

const dynamic = (s: ClassifiedStatement) => s.kinds.includes('dynamic');

describe('functions that run SQL from a string', () => {
  it('classifies a constant query as part of the statement', () => {
    for (const sql of [
      "select query_to_xml('delete from t', true, false, '')",
      "select query_to_xmlschema('delete from t', true, false, '')",
      "select pg_catalog.query_to_xml_and_xmlschema('delete from t', true, false, '')",
      "select * from ts_stat('delete from t returning v')",
      "select ts_rewrite('a'::tsquery, 'delete from t returning 1, 2')",
      "select dblink('delete from t returning 1')",
      "select dblink('conn', 'delete from t returning 1')",
      "select dblink('delete from t returning 1', false)",
      "select dblink('conn', 'delete from t returning 1', true)",
      "select dblink_exec('conn', 'delete from t')",
      "select dblink_send_query('conn', 'delete from t')",
      "select dblink_open('cur', 'delete from t returning 1')",
      "select dblink_open('conn', 'cur', 'delete from t returning 1', false)",
    ]) {
      const s = one(sql);
      assert.ok(s.kinds.includes('delete'), sql);
      assert.deepEqual(s.tables, ['t'], sql);
      assert.ok(!dynamic(s), sql);
    }
  });

  it('treats anything but a bare string constant as SQL built at run time', () => {
    for (const sql of [
      "select query_to_xml($1, true, false, '')",
      "select query_to_xml('delete from ' || 't', true, false, '')",
      "select query_to_xml('delete from t'::text, true, false, '')",
      "select query_to_xml(format('delete from %I', 't'), true, false, '')",
      "select query_to_xml(q, true, false, '') from queries",
      "select dblink_exec('conn', current_setting('x'))",
      "select query_to_xml(variadic array['x'])",
      "select cursor_to_xmlschema('c', true, false, '')",
      "select schema_to_xml('s', true, false, '')",
      "select database_to_xmlschema(true, false, '')",
      "select table_to_xml(t.oid::regclass, true, false, '') from pg_class t",
      "select table_to_xml('16384', true, false, '')",
    ]) {
      const s = one(sql);
      assert.ok(dynamic(s), sql);
      assert.equal(s.unknown[0]?.reason, 'dynamic-sql', sql);
    }
  });

  it('leaves the three-argument ts_rewrite and other functions alone', () => {
    assert.ok(!dynamic(one("select ts_rewrite('a'::tsquery, 'a'::tsquery, 'b'::tsquery)")));
    assert.ok(!dynamic(one("select format('%s', 'delete from t'), quote_ident('t')")));
  });

  it('reads the table a table_to_xml names', () => {
    const s = one(`select table_to_xml('App."Secret.Table"', true, false, '')`);
    assert.deepEqual(s.kinds, ['select']);
    assert.deepEqual(s.tables, ['app."Secret.Table"']);
  });
});

describe('regclassName', () => {
  it('reads names as regclass input does', () => {
    assert.equal(regclassName('Secrets'), 'secrets');
    assert.equal(regclassName(' vault . Secrets '), 'vault.secrets');
    assert.equal(regclassName('"Vault"."a""b"'), 'Vault."a""b"');
    assert.equal(regclassName('db.s.t'), 'db.s.t');
  });

  it('knows nothing of OIDs and malformed names', () => {
    for (const text of ['16384', '', 'a..b', '"open', 'a.b.c.d', 'a b']) {
      assert.equal(regclassName(text), undefined, text);
    }
  });
});
