import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import { ERROR_CODES } from '../../../../src/lib/errors.js';
import {
  classifySql,
  DEFAULT_SQL_LIMITS,
  initSqlParser,
  SQL_LIMIT_CODES,
  sqlClassifier,
  type Classification,
} from '../../../../src/server/sql/index.js';
import { parserSettled } from '../../../../src/server/sql/parser.js';

before(() => initSqlParser());

function refusedWith(result: Classification, code: string): void {
  assert.equal(result.ok, false, JSON.stringify(result).slice(0, 200));
  assert.ok(!result.ok);
  assert.equal(result.reason, 'limit');
  assert.equal(result.error.code, code, result.error.message);
}

/** `select 1 where a or a or …`: five characters a term. */
const orChain = (terms: number) =>
  `select 1 where ${Array.from({ length: terms }, () => 'a').join(' or ')}`;
/** `EXECUTE` of a constant holding an EXECUTE of a constant…, `levels` deep. */
function nestedExecute(levels: number): string {
  let sql = 'select 1';
  for (let i = 0; i < levels; i++) {
    sql = `do $l${i}$ begin execute '${sql.replaceAll("'", "''")}'; end $l${i}$`;
  }
  return sql;
}

describe('limits on what the classifier reads', () => {
  it('has a default and a declared error code for every limit', () => {
    assert.deepEqual(DEFAULT_SQL_LIMITS, {
      maxLength: 1_048_576,
      maxTokens: 100_000,
      maxDepth: 1_000,
      maxNodes: 500_000,
      maxStatements: 1_000,
      maxCodeDepth: 8,
    });
    for (const code of Object.values(SQL_LIMIT_CODES)) assert.ok(code in ERROR_CODES, code);
  });

  it('refuses a string longer than maxLength before parsing it', () => {
    refusedWith(
      classifySql(`select '${'x'.repeat(100)}'`, { limits: { maxLength: 50 } }),
      'HOOP_SQL_TOO_LONG',
    );
    assert.ok(classifySql(`select '${'x'.repeat(100)}'`).ok);
  });

  it('refuses more tokens than maxTokens before parsing, however cheap each is', () => {
    refusedWith(classifySql(orChain(60_000)), 'HOOP_SQL_TOO_MANY_TOKENS');
    // Strings and comments are one token each.
    assert.ok(classifySql(`select '${'a or '.repeat(60_000)}' /* ${'x '.repeat(60_000)} */`).ok);
  });

  it('refuses or classifies a 200,000-term OR chain quickly', () => {
    const sql = `select 1 from t where ${Array.from({ length: 200_000 }, (_, i) => `a = ${i}`).join(' or ')}`;
    let started = performance.now();
    refusedWith(classifySql(sql), 'HOOP_SQL_TOO_LONG');
    const long = performance.now() - started;
    started = performance.now();
    refusedWith(classifySql(orChain(200_000)), 'HOOP_SQL_TOO_MANY_TOKENS');
    const short = performance.now() - started;
    console.log(
      `200,000-term OR chain: ${(sql.length / 1e6).toFixed(1)} MB refused in ${long.toFixed(1)} ms, ` +
        `1.0 MB (a or a …) refused in ${short.toFixed(1)} ms`,
    );
    assert.ok(long < 1_000 && short < 1_000, `${long} ms, ${short} ms`);
  });

  it('refuses a tree nested deeper than maxDepth', () => {
    const chain = (n: number) => `select ${Array.from({ length: n }, () => 'a').join(' || ')}`;
    assert.ok(classifySql(chain(900)).ok);
    refusedWith(classifySql(chain(1_100)), 'HOOP_SQL_TOO_DEEP');
    refusedWith(classifySql(chain(100), { limits: { maxDepth: 50 } }), 'HOOP_SQL_TOO_DEEP');
  });

  it('refuses a statement that exhausts the parser’s own stack, and parses the next one', async () => {
    const deep = `select ${Array.from({ length: 40_000 }, () => '1').join('+')}`;
    refusedWith(classifySql(deep), 'HOOP_SQL_TOO_DEEP');
    assert.ok(classifySql('select 1').ok);
    await parserSettled();
  });

  it('refuses parse trees with more nodes than maxNodes, nested code included', () => {
    const values = `insert into t values ${Array.from({ length: 2_000 }, (_, i) => `(${i}, 'x')`).join(', ')}`;
    assert.ok(classifySql(values).ok);
    refusedWith(classifySql(values, { limits: { maxNodes: 5_000 } }), 'HOOP_SQL_TOO_MANY_NODES');
    const body = `do $$ begin ${Array.from({ length: 200 }, () => 'perform 1;').join(' ')} end $$`;
    refusedWith(classifySql(body, { limits: { maxNodes: 500 } }), 'HOOP_SQL_TOO_MANY_NODES');
  });

  it('refuses more statements than maxStatements in a string or a body', () => {
    const many = (n: number) => Array.from({ length: n }, () => 'select 1').join('; ');
    assert.ok(classifySql(many(1_000)).ok);
    refusedWith(classifySql(many(1_001)), 'HOOP_SQL_TOO_MANY_STATEMENTS');
    refusedWith(
      classifySql(`create function f() returns void language sql as '${many(11)}'`, {
        limits: { maxStatements: 10 },
      }),
      'HOOP_SQL_TOO_MANY_STATEMENTS',
    );
  });

  it('refuses code nested in code deeper than maxCodeDepth', () => {
    const ok = classifySql(nestedExecute(3));
    assert.ok(ok.ok);
    assert.deepEqual(ok.statements[0]!.kinds, ['do', 'select']);
    // Each DO level is one level of code and its EXECUTE of a constant another.
    refusedWith(classifySql(nestedExecute(5)), 'HOOP_SQL_CODE_TOO_DEEP');
    assert.ok(classifySql(nestedExecute(5), { limits: { maxCodeDepth: 12 } }).ok);
  });

  it('spends one token budget on the string and all the code in it', () => {
    const body = `do $$ begin perform ${Array.from({ length: 400 }, () => '1').join(', ')}; end $$`;
    assert.ok(classifySql(body, { limits: { maxTokens: 1_000 } }).ok);
    refusedWith(classifySql(body, { limits: { maxTokens: 700 } }), 'HOOP_SQL_TOO_MANY_TOKENS');
  });

  it('refuses limits that are not positive whole numbers', () => {
    assert.throws(() => classifySql('select 1', { limits: { maxTokens: 0 } }), RangeError);
    assert.throws(() => sqlClassifier({ limits: { maxDepth: 1.5 } }), RangeError);
    assert.ok(sqlClassifier({ limits: { maxDepth: 10 } })('select 1').ok);
  });
});
