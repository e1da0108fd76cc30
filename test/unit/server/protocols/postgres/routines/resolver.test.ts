import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  RoutineCache,
  RoutineResolver,
  type ReachedEffects,
  type RoutineLimits,
} from '../../../../../../src/server/protocols/postgres/routines/index.js';
import {
  classifySql,
  initSqlParser,
  type ClassifiedStatement,
} from '../../../../../../src/server/sql/index.js';
import { FakeCatalog } from './fake-catalog.js';

before(() => initSqlParser());

function statements(sql: string): ClassifiedStatement[] {
  const classification = classifySql(sql);
  assert.ok(classification.ok, sql);
  return classification.statements;
}

function setup(limits: Partial<RoutineLimits> = {}, cache = new RoutineCache()) {
  const catalog = new FakeCatalog();
  const resolver = new RoutineResolver({ catalog, cache, database: 'db', limits });
  return { catalog, resolver, cache };
}

async function reach(resolver: RoutineResolver, sql: string): Promise<ReachedEffects[]> {
  return await resolver.resolve(statements(sql));
}

const NONE: ReachedEffects = {
  kinds: [],
  tables: [],
  functions: [],
  unknown: [],
  settings: [],
  roleChange: false,
};

const plpgsql = (name: string, body: string, returns = 'integer') =>
  `CREATE OR REPLACE FUNCTION public.${name}()\n RETURNS ${returns}\n LANGUAGE plpgsql\nAS $function$${body}$function$`;

describe('RoutineResolver (catalog in memory)', () => {
  it('answers built-ins from the cache synchronously after one round trip, misses cached too', async () => {
    const { catalog, resolver } = setup();
    const first = resolver.resolve(statements('select now(), count(*) from t where a = 1'));
    assert.ok(first instanceof Promise);
    assert.deepEqual(await first, [NONE]);
    assert.equal(catalog.calls.length, 1);
    // Classified anew: new lists, so the facts answer, not the statement's remembered result.
    const second = resolver.resolve(statements('select count(*), now() from t where a = 2'));
    assert.ok(Array.isArray(second), 'no round trip');
    assert.equal(catalog.calls.length, 1);
  });

  it("batches every statement's names into one round trip per level", async () => {
    const { catalog, resolver } = setup();
    catalog.functions.push(
      { oid: 1, name: 'a', body: 'select b()' },
      { oid: 2, name: 'b', body: 'delete from x' },
      { oid: 3, name: 'c', body: 'select 1' },
    );
    const [one, two] = await reach(resolver, 'select a(); select c(); insert into t values (1)');
    assert.equal(catalog.calls.length, 3, 'a, c and t; then b (named in a’s body); then x (b’s)');
    assert.deepEqual(catalog.calls[0], ['', 'hoop_routines_functions', 'hoop_routines_relations']);
    assert.ok(one!.kinds.includes('delete'));
    assert.deepEqual(two!.functions, ['public.c']);
  });

  it('ends cycles: a function calling itself, and two calling each other', async () => {
    const { catalog, resolver } = setup();
    catalog.functions.push(
      { oid: 1, name: 'self', body: 'select self()' },
      {
        oid: 2,
        name: 'ping',
        language: 'plpgsql',
        body: plpgsql('ping', 'begin perform pong(); end'),
      },
      {
        oid: 3,
        name: 'pong',
        language: 'plpgsql',
        body: plpgsql('pong', 'begin truncate y; perform ping(); end'),
      },
    );
    const [self] = await reach(resolver, 'select self()');
    assert.deepEqual(self!.functions, ['public.self', 'self']);
    const [pair] = await reach(resolver, 'select ping()');
    assert.ok(pair!.kinds.includes('truncate'));
    assert.deepEqual(pair!.unknown, []);
  });

  it('stops at maxDepth and maxObjects with stable reasons, and cuts long bodies', async () => {
    const chain = (catalog: FakeCatalog) =>
      catalog.functions.push(
        { oid: 1, name: 'f1', body: 'select f2()' },
        { oid: 2, name: 'f2', body: 'select f3()' },
        { oid: 3, name: 'f3', body: 'delete from z' },
      );
    const deep = setup({ maxDepth: 2 });
    chain(deep.catalog);
    const [shallow] = await reach(deep.resolver, 'select f1()');
    assert.deepEqual(shallow!.unknown, [
      {
        reason: 'limit',
        message:
          "reaches function public.f3 nested deeper than the gateway's limit of 2 levels of objects",
      },
    ]);
    assert.ok(shallow!.kinds.includes('dynamic') && !shallow!.kinds.includes('delete'));
    const many = setup({ maxObjects: 2 });
    chain(many.catalog);
    const [few] = await reach(many.resolver, 'select f1()');
    assert.equal(
      few!.unknown[0]!.message,
      "reaches more objects than the gateway's limit of 2 per statement",
    );
  });

  it('fails closed when the catalog cannot be read, and remembers nothing of it', async () => {
    const { catalog, resolver } = setup();
    catalog.failure = new Error('the catalog lookup took over 5000 ms');
    const [effects] = await reach(resolver, 'select f()');
    assert.deepEqual(effects, {
      kinds: ['dynamic'],
      tables: [],
      functions: [],
      unknown: [
        {
          reason: 'catalog',
          message:
            'runs code the gateway could not read from the catalog (the catalog lookup took over 5000 ms)',
        },
      ],
      settings: [],
      roleChange: false,
    });
    catalog.failure = undefined;
    assert.deepEqual(await reach(resolver, 'select f()'), [NONE]);
  });

  it('does not store what was read across an invalidation, but answers with it', async () => {
    const { catalog, resolver, cache } = setup();
    catalog.functions.push({ oid: 1, name: 'f', body: 'select 1' });
    const pending = resolver.resolve(statements('select f()'));
    resolver.invalidate();
    assert.deepEqual((await pending)[0]!.functions, ['public.f']);
    assert.equal(cache.size, 0);
  });

  it('expands a relation again only for what is newly done to it', async () => {
    const { catalog, resolver } = setup();
    catalog.functions.push({ oid: 9, name: 'on_delete', body: 'drop table q' });
    catalog.functions.push({ oid: 8, name: 'on_insert', body: "select pg_read_file('x')" });
    catalog.relations.push({
      oid: 100,
      name: 't',
      triggers: [
        { name: 'd', type: 8, function: 9 },
        { name: 'i', type: 4 | 1 | 2, function: 8 },
      ],
    });
    const [select] = await reach(resolver, 'select * from t');
    assert.deepEqual(select!.kinds, []);
    const [insert] = await reach(resolver, 'insert into t select * from t');
    assert.ok(insert!.functions.includes('pg_read_file'));
    assert.ok(!insert!.kinds.includes('drop'), 'the DELETE trigger does not fire on INSERT');
    const [both] = await reach(resolver, 'with d as (delete from t) insert into t values (1)');
    assert.ok(both!.kinds.includes('drop'));
  });

  it('reports a function in another language, noting SECURITY DEFINER', async () => {
    const { catalog, resolver } = setup();
    catalog.functions.push({ oid: 1, name: 'native', language: 'c', securityDefiner: true });
    const [effects] = await reach(resolver, 'select native()');
    assert.deepEqual(effects!.unknown, [
      {
        reason: 'language',
        message:
          'runs function public.native (SECURITY DEFINER: runs with its owner’s rights) in language c, which the gateway cannot analyse',
      },
    ]);
  });

  it('trusts compiled extension code only when told to', async () => {
    const trusted = setup();
    trusted.catalog.functions.push({ oid: 1, name: 'gen_salt', language: 'c', extension: true });
    assert.deepEqual((await reach(trusted.resolver, 'select gen_salt()'))[0]!.unknown, []);
    const catalog = new FakeCatalog();
    catalog.functions.push({ oid: 1, name: 'gen_salt', language: 'c', extension: true });
    const strict = new RoutineResolver({
      catalog,
      cache: new RoutineCache(),
      database: 'db',
      trustExtensionCode: false,
    });
    assert.equal((await reach(strict, 'select gen_salt()'))[0]!.unknown[0]?.reason, 'language');
  });

  it('refuses a body lexed with standard_conforming_strings off', async () => {
    const { catalog, resolver } = setup();
    catalog.functions.push({
      oid: 1,
      name: 'legacy',
      body: "select 'a\\'; drop table t; --'",
      config: ['standard_conforming_strings=off'],
    });
    const [effects] = await reach(resolver, 'select legacy()');
    assert.equal(effects!.unknown[0]?.reason, 'lexer-settings');
    assert.ok(!effects!.kinds.includes('drop'));
  });

  it('runs an aggregate’s support functions', async () => {
    const { catalog, resolver } = setup();
    catalog.functions.push(
      { oid: 1, name: 'agg', kind: 'a', language: 'internal', support: [2, 0, 0] },
      { oid: 2, name: 'agg_step', body: 'insert into log values (1)' },
    );
    const [effects] = await reach(resolver, 'select agg(x) from t');
    assert.ok(effects!.kinds.includes('insert'));
    assert.ok(effects!.functions.includes('public.agg_step'));
    assert.deepEqual(effects!.unknown, [], 'an aggregate is not a function in language internal');
  });

  it('treats PL/pgSQL EXECUTE of a constant string as SQL and of anything else as unknown', async () => {
    const { catalog, resolver } = setup();
    catalog.functions.push(
      {
        oid: 1,
        name: 'constant',
        language: 'plpgsql',
        body: plpgsql('constant', "begin execute 'drop table t'; end"),
      },
      {
        oid: 2,
        name: 'built',
        language: 'plpgsql',
        body: plpgsql('built', "begin execute format('drop table %I', 't'); end"),
      },
    );
    const [constant] = await reach(resolver, 'select constant()');
    assert.ok(constant!.kinds.includes('drop'));
    assert.deepEqual(constant!.unknown, []);
    const [built] = await reach(resolver, 'select built()');
    assert.deepEqual(built!.unknown, [
      {
        reason: 'dynamic-sql',
        message:
          'executes SQL built at run time (EXECUTE of an expression built with format()) (in function public.built)',
      },
    ]);
  });

  it('counts a function bound by the statement (a trigger’s) as run by it', async () => {
    const { catalog, resolver } = setup();
    catalog.functions.push({ oid: 1, name: 'audit', language: 'c' });
    const [effects] = await reach(
      resolver,
      'create trigger t_audit after insert on fresh for each row execute function audit()',
    );
    assert.equal(effects!.unknown[0]?.reason, 'language');
  });

  it('passes on the settings and role changes of reached code', async () => {
    const { catalog, resolver } = setup();
    catalog.functions.push({
      oid: 1,
      name: 'switch',
      language: 'plpgsql',
      body: plpgsql(
        'switch',
        'begin set standard_conforming_strings = off; set role admin; end',
        'void',
      ),
    });
    const [effects] = await reach(resolver, 'select switch()');
    assert.equal(effects!.roleChange, true);
    assert.deepEqual(
      effects!.settings.map((s) => [s.name, s.lexer]),
      [
        ['standard_conforming_strings', true],
        ['role', false],
      ],
    );
  });

  it('counts a PL/pgSQL expression’s SELECT only when it reads a relation', async () => {
    const { catalog, resolver } = setup();
    catalog.functions.push({
      oid: 1,
      name: 'calc',
      language: 'plpgsql',
      body: plpgsql(
        'calc',
        'declare x int; begin x := 1 + 2; if x > 2 then return x; end if; return 0; end',
      ),
    });
    const [effects] = await reach(resolver, 'select calc()');
    assert.deepEqual(effects!.kinds, []);
  });
});
