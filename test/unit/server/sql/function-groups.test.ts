import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import {
  classifySql,
  DANGEROUS_FUNCTIONS,
  FUNCTION_GROUPS,
  FUNCTION_GROUP_NAMES,
  initSqlParser,
  type ClassifiedStatement,
} from '../../../../src/server/sql/index.js';
import { groupsOf } from '../../../../src/server/sql/function-groups.js';

before(() => initSqlParser());

function one(sql: string): ClassifiedStatement {
  const result = classifySql(sql);
  assert.ok(result.ok, `did not classify: ${sql} (${JSON.stringify(result)})`);
  return result.statements[0]!;
}

describe('function groups', () => {
  it('names every group with @ and lists each member once', () => {
    for (const group of FUNCTION_GROUP_NAMES) {
      assert.match(group, /^@[a-z-]+$/);
      const members = FUNCTION_GROUPS[group] as readonly string[];
      assert.equal(new Set(members).size, members.length, group);
    }
  });

  it('puts the pseudo-entries for statements into groups', () => {
    assert.deepEqual(groupsOf('copy program'), ['@program-execution']);
    assert.deepEqual(groupsOf('copy file'), ['@server-files']);
    assert.deepEqual(groupsOf('load'), ['@code-loading']);
    assert.deepEqual(groupsOf('alter system'), ['@configuration']);
    assert.deepEqual(groupsOf('dblink_get_result'), ['@remote-servers']);
    assert.deepEqual(groupsOf('lo_import'), ['@server-files', '@large-objects']);
    assert.deepEqual(groupsOf('lower'), []);
  });

  it('keeps the earlier dangerous list', () => {
    for (const name of [
      'pg_read_file',
      'pg_terminate_backend',
      'set_config',
      'pg_switch_wal',
      'query_to_xml',
    ]) {
      assert.ok(DANGEROUS_FUNCTIONS.has(name), name);
    }
  });

  it('reports the groups of what a statement calls, binds or does, in the groups’ order', () => {
    const s = one(
      "select pg_read_file('x'), pg_cancel_backend(1), lo_get(1), pg_logical_slot_get_changes('s', null, null)",
    );
    assert.deepEqual(s.functionGroups, [
      '@server-files',
      '@signal-backends',
      '@replication',
      '@large-objects',
    ]);
    assert.deepEqual(one("copy t to program 'x'").functionGroups, ['@program-execution']);
    assert.deepEqual(one('create extension plpython3u').functions, ['create extension']);
    assert.deepEqual(one('create language pl handler h').functionGroups, ['@code-loading']);
  });
});

describe('large objects are classified by what they do', () => {
  const cases: [string, string[]][] = [
    ["select lo_import('/etc/passwd')", ['select', 'insert']],
    ["select lo_export(16384, '/tmp/x')", ['select']],
    ["select lo_from_bytea(0, 'x')", ['select', 'insert']],
    ['select lo_create(0), lo_creat(-1)', ['select', 'insert']],
    ["select lo_put(16384, 0, 'x')", ['select', 'update']],
    ["select lowrite(0, 'x')", ['select', 'update']],
    ['select lo_truncate(0, 1)', ['select', 'update']],
    ['select lo_unlink(16384)', ['select', 'delete']],
    ['select lo_get(16384), loread(0, 10)', ['select']],
  ];
  for (const [sql, kinds] of cases) {
    it(sql, () => {
      const s = one(sql);
      assert.deepEqual(s.kinds, kinds);
      assert.deepEqual(s.tables, ['pg_catalog.pg_largeobject']);
      assert.ok(s.functionGroups.includes('@large-objects'));
    });
  }
});
