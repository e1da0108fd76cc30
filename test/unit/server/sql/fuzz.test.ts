import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import {
  classifySql,
  FUNCTION_GROUP_NAMES,
  initSqlParser,
  type Classification,
  type StatementKind,
} from '../../../../src/server/sql/index.js';
import { parserSettled } from '../../../../src/server/sql/parser.js';

before(() => initSqlParser());

/**
 * Property tests over the classifier: statements from a small grammar,
 * wrapped in DO blocks, EXECUTE, function bodies, PREPARE, CTEs, EXPLAIN
 * ANALYZE, rules, cursors and functions that run SQL strings, up to three
 * wrappers deep. The classifier must never throw, and what the innermost
 * statement does must be among what the whole does. Then the same texts,
 * mutated at random, must never make it throw either.
 *
 * Seeded (HOOP_FUZZ_SEED, HOOP_FUZZ_CASES), so a failure names the seed
 * that reproduces it.
 */
const SEED = Number(process.env.HOOP_FUZZ_SEED ?? 20_240_601);
const CASES = Number(process.env.HOOP_FUZZ_CASES ?? 400);

/** mulberry32: small, fast and good enough to pick from lists. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** What a statement can be wrapped in: `cursor` (DECLARE) reads as a declaration where PL/pgSQL expects statements. */
type Class = 'select' | 'dml' | 'utility' | 'cursor';

interface Generated {
  sql: string;
  class: Class;
  kinds: StatementKind[];
  tables: string[];
  functions: string[];
}

const TABLES = ['t1', 'app.t2', 'vault.secrets', '"Mixed"'];
const FUNCTIONS = ['pg_read_file', 'lower', 'pg_terminate_backend', 'app.f'];

function inner(pick: <T>(list: readonly T[]) => T): Generated {
  const table = pick(TABLES);
  const name = table.replaceAll('"', '');
  const fn = pick(FUNCTIONS);
  const expression = pick([`a + ${fn}(b)`, `(select max(x) from ${table})`, `coalesce(a, 1) * 2`]);
  const subqueryTable = expression.includes(' from ') ? [name] : [];
  const fnCalled = expression.includes(`${fn}(`) ? [fn] : [];
  const options: Generated[] = [
    {
      sql: `select ${expression} from ${table}`,
      class: 'select',
      kinds: ['select'],
      tables: [name, ...subqueryTable],
      functions: fnCalled,
    },
    {
      sql: `insert into ${table} (a) values (${expression})`,
      class: 'dml',
      kinds: ['insert'],
      tables: [name],
      functions: fnCalled,
    },
    {
      sql: `update ${table} set a = ${expression}`,
      class: 'dml',
      kinds: ['update'],
      tables: [name],
      functions: fnCalled,
    },
    {
      sql: `delete from ${table} where a = 1`,
      class: 'dml',
      kinds: ['delete'],
      tables: [name],
      functions: [],
    },
    {
      sql: `drop table ${table}`,
      class: 'utility',
      kinds: ['drop'],
      tables: [name],
      functions: [],
    },
    {
      sql: `truncate ${table}`,
      class: 'utility',
      kinds: ['truncate'],
      tables: [name],
      functions: [],
    },
    { sql: `select ${fn}('x')`, class: 'select', kinds: ['select'], tables: [], functions: [fn] },
  ];
  return pick(options);
}

/** Doubles single quotes: the text as a '…' constant's content. */
const quoted = (sql: string) => sql.replaceAll("'", "''");

interface Wrapper {
  accepts: readonly Class[];
  gives: Class;
  wrap: (sql: string, level: number) => string;
}

const WRAPPERS: Wrapper[] = [
  {
    accepts: ['select', 'dml', 'utility'],
    gives: 'utility',
    wrap: (s, l) => `do $w${l}$ begin ${s}; end $w${l}$`,
  },
  {
    accepts: ['select', 'dml', 'utility', 'cursor'],
    gives: 'utility',
    wrap: (s, l) => `do $w${l}$ begin execute '${quoted(s)}'; end $w${l}$`,
  },
  {
    accepts: ['select', 'dml', 'utility', 'cursor'],
    gives: 'utility',
    wrap: (s, l) => `create function f${l}() returns void language sql as '${quoted(s)}'`,
  },
  {
    accepts: ['select', 'dml', 'utility'],
    gives: 'utility',
    wrap: (s, l) =>
      `create or replace procedure p${l}() language plpgsql as $w${l}$ begin ${s}; end $w${l}$`,
  },
  { accepts: ['select', 'dml'], gives: 'utility', wrap: (s, l) => `prepare q${l} as ${s}` },
  { accepts: ['select', 'dml'], gives: 'select', wrap: (s, l) => `with c${l} as (${s}) select 1` },
  { accepts: ['select', 'dml'], gives: 'utility', wrap: (s) => `explain analyze ${s}` },
  { accepts: ['select'], gives: 'cursor', wrap: (s, l) => `declare k${l} cursor for ${s}` },
  {
    accepts: ['dml'],
    gives: 'utility',
    wrap: (s, l) => `create rule r${l} as on insert to x do also ${s}`,
  },
  {
    accepts: ['select', 'dml', 'utility', 'cursor'],
    gives: 'select',
    wrap: (s) => `select query_to_xml('${quoted(s)}', true, false, '')`,
  },
  {
    accepts: ['select', 'dml', 'utility', 'cursor'],
    gives: 'select',
    wrap: (s) => `select dblink_exec('dbname=app', '${quoted(s)}')`,
  },
];

function generate(next: () => number): Generated & { wrappers: number } {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  const base = inner(pick);
  let current = { ...base };
  const depth = Math.floor(next() * 4);
  let applied = 0;
  for (let level = 0; level < depth; level++) {
    const fitting = WRAPPERS.filter((w) => w.accepts.includes(current.class));
    const wrapper = pick(fitting);
    current = { ...current, sql: wrapper.wrap(current.sql, level), class: wrapper.gives };
    applied++;
  }
  return { ...current, wrappers: applied };
}

/** What holds of every classification, whatever the input. */
function invariants(result: Classification, sql: string): void {
  if (!result.ok) {
    assert.ok(['syntax', 'limit'].includes(result.reason), sql);
    assert.equal(typeof result.error.message, 'string', sql);
    return;
  }
  for (const s of result.statements) {
    assert.ok(s.kinds.length > 0, sql);
    assert.equal(s.kinds.includes('dynamic'), s.unknown.length > 0, sql);
    assert.equal(s.opaque, s.unknown.length > 0, sql);
    for (const name of s.dangerousFunctions) assert.ok(s.functions.includes(name), sql);
    for (const group of s.functionGroups)
      assert.ok((FUNCTION_GROUP_NAMES as readonly string[]).includes(group), sql);
  }
}

/** A random edit: drop, repeat or swap a span, or insert a token. */
function mutate(sql: string, next: () => number): string {
  const at = Math.floor(next() * sql.length);
  const length = 1 + Math.floor(next() * 8);
  const tokens = [
    "'",
    '$$',
    ';',
    '(',
    ')',
    ' execute ',
    ' do ',
    '--',
    '/*',
    '$1',
    ' language c ',
    '\\',
  ];
  switch (Math.floor(next() * 4)) {
    case 0:
      return sql.slice(0, at) + sql.slice(at + length);
    case 1:
      return sql.slice(0, at) + sql.slice(at, at + length).repeat(2) + sql.slice(at + length);
    case 2:
      return sql.slice(0, at) + tokens[Math.floor(next() * tokens.length)]! + sql.slice(at);
    default:
      return sql.slice(at) + sql.slice(0, at);
  }
}

describe(`classifier properties (seed ${SEED}, ${CASES} cases)`, () => {
  it('finds what the innermost statement does, however it is wrapped', () => {
    const next = random(SEED);
    let wrapped = 0;
    for (let i = 0; i < CASES; i++) {
      const g = generate(next);
      if (g.wrappers > 0) wrapped++;
      const result = classifySql(g.sql);
      invariants(result, g.sql);
      assert.ok(result.ok, `case ${i}: ${g.sql}\n${JSON.stringify(result)}`);
      const [statement] = result.statements;
      assert.ok(statement, g.sql);
      for (const kind of g.kinds) {
        assert.ok(
          statement.kinds.includes(kind),
          `case ${i}: ${kind} missing in ${g.sql}: ${statement.kinds}`,
        );
      }
      for (const table of g.tables) {
        assert.ok(statement.tables.includes(table), `case ${i}: ${table} missing in ${g.sql}`);
      }
      for (const fn of g.functions) {
        assert.ok(statement.functions.includes(fn), `case ${i}: ${fn} missing in ${g.sql}`);
      }
    }
    assert.ok(wrapped > CASES / 2, `only ${wrapped} wrapped cases`);
  });

  it('never throws on mutated input', async () => {
    const next = random(SEED + 1);
    for (let i = 0; i < CASES; i++) {
      let sql = generate(next).sql;
      for (let m = 1 + Math.floor(next() * 3); m > 0; m--) sql = mutate(sql, next);
      let result: Classification;
      try {
        result = classifySql(sql);
      } catch (err) {
        assert.fail(`case ${i} threw on ${JSON.stringify(sql)}: ${String(err)}`);
      }
      invariants(result, sql);
    }
    await parserSettled();
  });
});
