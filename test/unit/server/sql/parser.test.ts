import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import {
  initSqlParser,
  parsePlpgsql,
  parserSettled,
  parseSql,
} from '../../../../src/server/sql/parser.js';

before(() => initSqlParser());

/** `select 1 + 1 + …`: a tree as deep as it has terms, which the parser's C code writes out recursively. */
const sum = (n: number): string => `select ${Array.from({ length: n }, () => '1').join(' + ')}`;

describe('parseSql', () => {
  it('parses with the PostgreSQL 17 grammar', () => {
    const parsed = parseSql('select 1; merge into t using s on true when matched then delete');
    assert.ok(parsed.ok);
    assert.deepEqual(
      parsed.statements.map((s) => Object.keys(s.stmt)),
      [['SelectStmt'], ['MergeStmt']],
    );
  });

  it('reports a syntax error with its 1-based position', () => {
    assert.deepEqual(parseSql('select * from'), {
      ok: false,
      reason: 'syntax',
      message: 'syntax error at end of input',
      position: 14,
    });
  });

  it('survives statements that exhaust its stack, and keeps parsing correctly after them', async () => {
    for (let round = 0; round < 12; round++) {
      const deep = parseSql(sum(40_000));
      assert.deepEqual(deep, {
        ok: false,
        reason: 'limit',
        code: 'HOOP_SQL_TOO_DEEP',
        message: 'the statement is nested too deeply for the SQL parser',
      });
      // The spare instance answers at once, exactly.
      const next = parseSql('select a from t where b = 1');
      assert.ok(next.ok, `round ${round}: ${JSON.stringify(next)}`);
      assert.equal(next.statements[0]!.text, 'select a from t where b = 1');
      await parserSettled();
    }
    const after = parseSql(sum(1_000));
    assert.ok(after.ok);
  });
});

describe('parsePlpgsql', () => {
  it('compiles a DO block into PL/pgSQL statements with their SQL', () => {
    const compiled = parsePlpgsql('do $$ begin delete from t; perform pg_sleep(1); end $$');
    assert.ok(compiled.ok);
    const json = JSON.stringify(compiled.functions);
    assert.match(json, /PLpgSQL_stmt_execsql.*delete from t/);
    assert.match(json, /PLpgSQL_stmt_perform.*SELECT pg_sleep\(1\)/);
  });

  it('returns the PL/pgSQL compiler’s own error, not a JSON error', () => {
    const undeclared = parsePlpgsql('do $$ begin x := 1; end $$');
    assert.equal(undeclared.ok, false);
    assert.ok(!undeclared.ok && /"x" is not a known variable/.test(undeclared.message));
    const syntax = parsePlpgsql('do $$ begin selec 1; end $$');
    assert.ok(!syntax.ok && /syntax error at or near "selec"/.test(syntax.message));
  });
});
