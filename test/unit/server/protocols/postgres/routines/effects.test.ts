import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { ruleActions } from '../../../../../../src/server/protocols/postgres/routines/body.js';
import {
  NOTHING_REACHED,
  withReached,
} from '../../../../../../src/server/protocols/postgres/routines/index.js';
import {
  namePattern,
  schemaMatches,
  splitName,
} from '../../../../../../src/server/protocols/postgres/routines/names.js';
import { touchOf, Touch } from '../../../../../../src/server/protocols/postgres/routines/reach.js';
import {
  DEFAULT_ROUTINE_LIMITS,
  resolveRoutineLimits,
} from '../../../../../../src/server/protocols/postgres/routines/limits.js';
import { classifySql, initSqlParser } from '../../../../../../src/server/sql/index.js';

before(() => initSqlParser());

function statement(sql: string) {
  const classification = classifySql(sql);
  assert.ok(classification.ok);
  return classification.statements[0]!;
}

describe('withReached', () => {
  it('returns the statement itself when nothing is reached', () => {
    const own = statement('select 1');
    assert.equal(withReached(own, NOTHING_REACHED), own);
  });

  it('adds kinds after the statement’s own, tables, functions and their groups', () => {
    const merged = withReached(statement('select f() from t'), {
      kinds: ['delete', 'select'],
      tables: ['audit', 't'],
      functions: ['public.f', 'pg_catalog.pg_read_file'],
      unknown: [],
      settings: [{ name: 'role', scope: 'session', value: 'admin', lexer: false }],
      roleChange: true,
    });
    assert.deepEqual(merged.kinds, ['select', 'delete']);
    assert.deepEqual(merged.tables, ['t', 'audit']);
    assert.deepEqual(merged.functions, ['f', 'public.f', 'pg_catalog.pg_read_file']);
    assert.deepEqual(merged.dangerousFunctions, ['pg_catalog.pg_read_file']);
    assert.deepEqual(merged.functionGroups, ['@server-files']);
    assert.equal(merged.writes, true);
    assert.equal(merged.opaque, false);
    assert.equal(merged.roleChange, true);
    assert.deepEqual(merged.settings, [
      { name: 'role', scope: 'session', value: 'admin', lexer: false },
    ]);
  });

  it('makes the statement unknowable when what it reaches is', () => {
    const merged = withReached(statement('select f()'), {
      kinds: ['dynamic'],
      tables: [],
      functions: [],
      unknown: [
        { reason: 'catalog', message: 'runs code the gateway could not read from the catalog (x)' },
      ],
      settings: [],
      roleChange: false,
    });
    assert.deepEqual(merged.kinds, ['select', 'dynamic']);
    assert.equal(merged.opaque, true);
    assert.equal(merged.unknown[0]?.reason, 'catalog');
    assert.equal(merged.writes, true, 'code not known may write');
  });
});

describe('names', () => {
  it('splits names as the classifier joins them', () => {
    assert.deepEqual(splitName('f'), ['f']);
    assert.deepEqual(splitName('s.f'), ['s', 'f']);
    assert.deepEqual(splitName('"a.b"."c""d"'), ['a.b', 'c"d']);
    assert.deepEqual(splitName('db.s."T"'), ['db', 's', 'T']);
    assert.deepEqual(splitName('s.==='), ['s', '===']);
  });

  it('reads a bare name as any schema, a qualified one as its own, pg_temp as any temporary one', () => {
    assert.deepEqual(namePattern('f'), { name: 'f' });
    assert.deepEqual(namePattern('app.s.f'), { schema: 's', name: 'f' });
    assert.ok(schemaMatches(namePattern('f'), 'anything'));
    assert.ok(!schemaMatches(namePattern('s.f'), 't'));
    assert.ok(schemaMatches(namePattern('pg_temp.f'), 'pg_temp_3'));
    assert.ok(!schemaMatches(namePattern('pg_temp.f'), 'pg_toast_temp_3'));
  });
});

describe('ruleActions', () => {
  it('finds one action, several, and none', () => {
    assert.equal(
      ruleActions(
        'CREATE RULE r AS\n    ON INSERT TO public.t DO  DELETE FROM public.u\n  WHERE (u.id = new.id);',
      ),
      'DELETE FROM public.u\n  WHERE (u.id = new.id)',
    );
    assert.equal(
      ruleActions(
        'CREATE RULE r AS\n    ON INSERT TO public.t\n   WHERE (new.a > 5) DO ( DELETE FROM public.t\n  WHERE (t.id = new.id);\n INSERT INTO public.t (id)\n  VALUES (2);\n);',
      ),
      ' DELETE FROM public.t\n  WHERE (t.id = new.id);\n INSERT INTO public.t (id)\n  VALUES (2);\n',
    );
    assert.equal(
      ruleActions('CREATE RULE r AS\n    ON UPDATE TO public.t DO INSTEAD NOTHING;'),
      '',
    );
  });

  it('is not misled by DO in a string or a quoted name of the condition', () => {
    assert.equal(
      ruleActions(
        `CREATE RULE "do" AS ON INSERT TO public."do" WHERE (new.a = 'x DO y'::text) DO INSTEAD SELECT 1;`,
      ),
      'SELECT 1',
    );
  });
});

describe('touchOf', () => {
  it('counts ON CONFLICT’s update for an INSERT, and nothing for DROP', () => {
    assert.equal(touchOf(['insert']) & Touch.update, Touch.update);
    assert.equal(touchOf(['select']), Touch.read);
    assert.equal(touchOf(['drop']), 0);
    assert.equal(touchOf(['truncate']), Touch.truncate);
  });
});

describe('routine limits', () => {
  it('defaults each limit left out and refuses nonsense', () => {
    assert.deepEqual(resolveRoutineLimits({ maxDepth: 3 }), {
      ...DEFAULT_ROUTINE_LIMITS,
      maxDepth: 3,
    });
    assert.throws(() => resolveRoutineLimits({ maxObjects: 0 }), RangeError);
    assert.throws(() => resolveRoutineLimits({ maxBodyLength: 1.5 }), RangeError);
  });
});
