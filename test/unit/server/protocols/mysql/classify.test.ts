import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyMysql } from '../../../../../src/server/protocols/mysql/sql/classify.js';
import {
  lex,
  LexError,
  type LexSettings,
} from '../../../../../src/server/protocols/mysql/sql/lexer.js';
import { versionId } from '../../../../../src/server/protocols/mysql/handler.js';

const MARIADB: LexSettings = {
  ansiQuotes: false,
  noBackslashEscapes: false,
  versionId: 101119,
  mariadb: true,
};
const MYSQL: LexSettings = { ...MARIADB, versionId: 80036, mariadb: false };

const kinds = (sql: string, settings = MARIADB) => {
  const c = classifyMysql(sql, settings);
  assert.ok(c.ok, `${sql}: ${c.ok ? '' : c.error.message}`);
  return c.statements.map((s) => s.kinds.join('+'));
};

describe('MySQL lexer', () => {
  it('reads executable comments as code, version-gated, /*M! on MariaDB only', () => {
    assert.deepEqual(kinds('select 1 /*!; drop table t */'), ['select', 'drop']);
    assert.deepEqual(kinds('select 1 /*!50000 ; drop table t */'), ['select', 'drop']);
    assert.deepEqual(kinds('select 1 /*M!100100 ; drop table t */'), ['select', 'drop']);
    assert.deepEqual(kinds('select 1 /*M!100100 ; drop table t */', MYSQL), ['select']);
    assert.deepEqual(kinds('select 1 /*!90000 ; drop table t */', MYSQL), ['select']);
    assert.deepEqual(kinds('select 1 /* ; drop table t */'), ['select']);
  });

  it('refuses versions servers read differently, nested and unterminated comments', () => {
    for (const sql of [
      '/*!500001 drop table t */',
      '/*!1 drop table t */',
      '/*! /* */ drop table t */',
      'select /* x',
    ]) {
      const c = classifyMysql(sql, MARIADB);
      assert.equal(c.ok, false, sql);
    }
    assert.throws(() => lex('select 1\0', MARIADB), LexError);
  });

  it('ends # and "-- " comments at the newline; "--x" is two minuses', () => {
    assert.deepEqual(kinds('select 1 # x\n; drop table t'), ['select', 'drop']);
    assert.deepEqual(kinds('select 1 -- x\n; drop table t'), ['select', 'drop']);
    assert.deepEqual(kinds('select 1 --1; drop table t'), ['select', 'drop']);
    assert.deepEqual(kinds('select 1 #\r; drop table t'), ['select']);
  });

  it('follows backslash escapes, NO_BACKSLASH_ESCAPES and ANSI_QUOTES', () => {
    assert.deepEqual(kinds("select '\\'; drop table t; -- '"), ['select']);
    assert.deepEqual(
      kinds("select '\\'; drop table t; -- '", { ...MARIADB, noBackslashEscapes: true }),
      ['select', 'drop'],
    );
    const tokens = lex('select "a" from t', { ...MARIADB, ansiQuotes: true });
    assert.equal(tokens[1]!.type, 'quoted');
    assert.equal(lex('select "a"', MARIADB)[1]!.type, 'string');
  });

  it('reads a stored program or compound statement whole, as unknowable', () => {
    const c = classifyMysql('create procedure p() begin select 1; drop table t; end', MARIADB);
    assert.ok(c.ok);
    assert.equal(c.statements.length, 1);
    assert.ok(c.statements[0]!.kinds.includes('dynamic'));
    assert.deepEqual(kinds('begin not atomic drop table t; end'), ['utility+dynamic']);
    assert.deepEqual(kinds('begin; commit'), ['transaction', 'transaction']);
  });
});

describe('MySQL classification', () => {
  it('maps statements to the PostgreSQL kinds', () => {
    assert.deepEqual(kinds('select * from t for update'), ['select+lock']);
    assert.deepEqual(kinds('insert into t values (1) on duplicate key update a = 1'), [
      'insert+update',
    ]);
    assert.deepEqual(kinds('replace into t values (1)'), ['insert+delete']);
    assert.deepEqual(kinds('truncate t'), ['truncate']);
    assert.deepEqual(kinds("grant select on app.* to 'u'@'%'"), ['grant']);
    assert.deepEqual(kinds('call p()'), ['call+dynamic']);
    assert.deepEqual(kinds("prepare s from 'delete from t'"), ['prepare+delete']);
    assert.deepEqual(kinds('prepare s from @q'), ['prepare+dynamic']);
    assert.deepEqual(kinds("load data local infile 'x' into table t"), [
      'insert+copy+copy_from_stdin',
    ]);
    assert.deepEqual(kinds("select * from t into outfile '/tmp/x'"), ['select+copy+copy_to_file']);
    assert.deepEqual(kinds('explain select * from t'), ['explain']);
    assert.deepEqual(kinds('analyze select * from t'), ['explain+select']);
  });

  it('names tables as written, lower-cased, with their database', () => {
    const c = classifyMysql('select * from App.Customers c join orders o on o.c = c.id', MARIADB);
    assert.ok(c.ok);
    assert.deepEqual(c.statements[0]!.tables.sort(), ['app.customers', 'orders']);
  });

  it('traces the lineage of expressions', () => {
    const c = classifyMysql("select concat(c.email, '') as e, name from customers c", MARIADB);
    assert.ok(c.ok);
    assert.deepEqual(c.statements[0]!.lineage, [
      {
        kind: 'value',
        name: 'e',
        sources: [{ kind: 'column', table: 'customers', column: 'email' }],
      },
      {
        kind: 'value',
        name: 'name',
        sources: [{ kind: 'column', table: 'customers', column: 'name' }],
      },
    ]);
  });

  it('marks lexer-changing settings and uses of values other than returning them', () => {
    const setting = (sql: string) => {
      const c = classifyMysql(sql, MARIADB);
      assert.ok(c.ok);
      return c.statements[0]!.settings.map((s) => s.lexer);
    };
    assert.deepEqual(setting('set names gbk'), [true]);
    assert.deepEqual(setting('set names utf8mb4'), [false]);
    assert.deepEqual(setting("set sql_mode = 'STRICT_ALL_TABLES'"), [false]);
    assert.deepEqual(setting("set sql_mode = 'ANSI'"), [true]);
    const c = classifyMysql('select email into @v from customers', MARIADB);
    assert.ok(c.ok && c.statements[0]!.nonProjection);
  });

  it('refuses what the parser cannot read and enforces the length limit', () => {
    assert.equal(classifyMysql('select from from', MARIADB).ok, false);
    const long = classifyMysql('select 1', MARIADB, { maxLength: 3 });
    assert.ok(!long.ok && long.reason === 'limit');
  });

  it('reads server versions as MYSQL_VERSION_ID', () => {
    assert.deepEqual(versionId('5.5.5-10.11.19-MariaDB-0+deb12u1'), { id: 101119, mariadb: true });
    assert.deepEqual(versionId('8.0.36'), { id: 80036, mariadb: false });
  });
});
