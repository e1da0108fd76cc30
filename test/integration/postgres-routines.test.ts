import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { CatalogCache, CatalogLookup } from '../../src/server/protocols/postgres/catalog.js';
import { connectTarget } from '../../src/server/protocols/postgres/login.js';
import {
  RoutineCache,
  RoutineResolver,
  withReached,
  type CatalogQueries,
  type ReachedEffects,
  type RoutineLimits,
} from '../../src/server/protocols/postgres/routines/index.js';
import { classifySql, initSqlParser } from '../../src/server/sql/index.js';
import { LocalConnector, targetInfo } from '../../src/server/targets/local.js';
import { startPostgres, type PgInstance } from '../helpers/postgres.js';

/**
 * The routine resolver against a real PostgreSQL: functions in SQL,
 * PL/pgSQL and `internal`, triggers, rules, defaults, checks, row-security
 * policies, views, operators, aggregates, foreign keys, partitions, event
 * triggers and extensions, created by an administrator and read back
 * through the gateway's own catalog connection (SCRAM, extended protocol).
 */
describe('RoutineResolver on PostgreSQL', () => {
  let postgres: PgInstance;
  let admin: pg.Client;
  let lookup: CatalogLookup;
  let resolver: RoutineResolver;

  const config = () => ({
    name: 'pg',
    type: 'postgres' as const,
    host: '127.0.0.1',
    port: postgres.port,
    database: postgres.database,
    user: postgres.user,
    password: postgres.password,
    groups: ['agents'],
  });

  const newLookup = () =>
    new CatalogLookup({
      open: () =>
        connectTarget(new LocalConnector([config()]), {
          target: targetInfo(config()),
          user: postgres.user,
          database: postgres.database,
          parameters: new Map(),
        }),
      cache: new CatalogCache(),
      scope: 'test',
    });

  const newResolver = (limits: Partial<RoutineLimits> = {}, catalog: CatalogQueries = lookup) =>
    new RoutineResolver({ catalog, cache: new RoutineCache(), database: 'app', limits });

  /** What the one statement of `sql` reaches, through `using`. */
  const reached = async (sql: string, using = resolver): Promise<ReachedEffects> => {
    const classification = classifySql(sql);
    assert.ok(classification.ok, `${sql} parses`);
    const [effects] = await using.resolve(classification.statements);
    return effects!;
  };

  const run = async (...statements: string[]) => {
    for (const statement of statements) await admin.query(statement);
  };

  before(async () => {
    await initSqlParser();
    postgres = await startPostgres({ authMethod: 'scram-sha-256', password: 'target-secret-r0ut' });
    admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    lookup = newLookup();
    resolver = newResolver();
  });

  after(async () => {
    lookup?.close();
    await admin?.end();
    await postgres?.stop();
  });

  it('reads a SQL function called by name: its body calls pg_read_file', async () => {
    await run(
      `create function read_secret() returns text language sql as $$ select pg_read_file('/etc/hostname') $$`,
    );
    const effects = await reached('select read_secret()');
    assert.ok(effects.functions.includes('pg_read_file'), JSON.stringify(effects));
    assert.ok(effects.functions.includes('public.read_secret'));
    assert.deepEqual(effects.unknown, []);
    const merged = withReached(classifyOne('select read_secret()'), effects);
    assert.deepEqual(merged.functionGroups, ['@server-files']);
    assert.deepEqual(merged.dangerousFunctions, ['pg_read_file']);
  });

  it('follows PL/pgSQL through a function that calls another one that reads a file', async () => {
    await run(
      `create function inner_read(p text) returns text language plpgsql as $$
         declare r text;
         begin r := pg_read_file(p); return r; end $$`,
      `create function outer_call() returns text language plpgsql as $$
         begin return inner_read('/etc/hostname'); end $$`,
    );
    const effects = await reached('select outer_call()');
    assert.ok(effects.functions.includes('public.inner_read'), JSON.stringify(effects));
    assert.ok(effects.functions.includes('pg_read_file'));
  });

  it('ends a recursive pair of functions and keeps what both do', async () => {
    await run(
      'create table ping_log (n int)',
      `create function ping(n int) returns int language plpgsql as $$
         begin if n > 0 then return pong(n - 1); end if; return 0; end $$`,
      `create function pong(n int) returns int language plpgsql as $$
         begin delete from ping_log where ping_log.n = n; return ping(n); end $$`,
    );
    const effects = await reached('select ping(3)');
    assert.ok(effects.kinds.includes('delete'), JSON.stringify(effects));
    assert.ok(effects.tables.includes('ping_log'));
    assert.ok(
      effects.functions.includes('public.ping') && effects.functions.includes('public.pong'),
    );
  });

  it('cannot know a function in another language, and says which', async () => {
    await run(`create function my_len(text) returns int language internal immutable as 'textlen'`);
    const effects = await reached("select my_len('abc')");
    assert.deepEqual(effects.kinds, ['dynamic']);
    assert.equal(effects.unknown.length, 1);
    assert.equal(effects.unknown[0]!.reason, 'language');
    assert.match(effects.unknown[0]!.message, /function public\.my_len in language internal/);
  });

  it('notes SECURITY DEFINER on what cannot be known in such a function', async () => {
    await run(
      `create function definer_exec(q text) returns void language plpgsql security definer as $$
         begin execute q; end $$`,
    );
    const effects = await reached("select definer_exec('drop table x')");
    assert.equal(effects.unknown[0]?.reason, 'dynamic-sql');
    assert.match(effects.unknown[0]!.message, /function public\.definer_exec, SECURITY DEFINER/);
    assert.ok(effects.kinds.includes('dynamic'));
  });

  it('runs a procedure CALLed, and a temporary function of another session', async () => {
    await run(
      'create table proc_t (a int)',
      `create procedure purge_all() language plpgsql as $$ begin truncate proc_t; commit; end $$`,
      `create function pg_temp.sneaky() returns int language sql as $$ select length(pg_read_file('/etc/hostname')) $$`,
    );
    const call = await reached('call purge_all()');
    assert.ok(call.kinds.includes('truncate'), JSON.stringify(call));
    assert.ok(call.functions.includes('public.purge_all'));
    const temporary = await reached('select pg_temp.sneaky()');
    assert.ok(temporary.functions.includes('pg_read_file'), JSON.stringify(temporary));
  });

  it('cannot know a body that does not parse', async () => {
    await run(
      'set check_function_bodies = off',
      `create function broken_body() returns int language sql as 'selec 1'`,
      'reset check_function_bodies',
    );
    const effects = await reached('select broken_body()');
    assert.equal(effects.unknown[0]?.reason, 'unparsed-body', JSON.stringify(effects));
    assert.match(
      effects.unknown[0]!.message,
      /^runs function public\.broken_body, which does not parse/,
    );
  });

  it('reads a BEGIN ATOMIC body, bound by OID and deparsed qualified', async () => {
    await run(
      'create table atomic_t (id int)',
      `create function atomic_purge() returns int begin atomic delete from atomic_t; select 1; end`,
    );
    const effects = await reached('select atomic_purge()');
    assert.ok(effects.kinds.includes('delete'), JSON.stringify(effects));
    assert.ok(!effects.kinds.includes('ddl'), 'CREATE FUNCTION’s own kind is not the body’s');
    assert.ok(effects.tables.includes('public.atomic_t'));
  });

  it('keeps DDL in a SQL body given as a string', async () => {
    await run(
      `create function make_table() returns void language sql as 'CREATE TABLE made_here (a int)'`,
    );
    const effects = await reached('select make_table()');
    assert.ok(effects.kinds.includes('ddl'), JSON.stringify(effects));
  });

  it("fires an INSERT's row trigger: its DROP TABLE makes the INSERT a drop", async () => {
    await run(
      'create table guarded (id int, note text)',
      `create function guarded_before() returns trigger language plpgsql as $$
         begin new.note := 'x'; drop table if exists scratch_space; return new; end $$`,
      `create trigger guarded_bi before insert on guarded for each row execute function guarded_before()`,
      `create function guarded_truncated() returns trigger language plpgsql as $$
         begin insert into guarded_audit values (now()); return null; end $$`,
      'create table guarded_audit (at timestamptz)',
      `create trigger guarded_at after truncate on guarded for each statement execute function guarded_truncated()`,
    );
    const insert = await reached("insert into guarded values (1, 'a')");
    assert.ok(insert.kinds.includes('drop'), JSON.stringify(insert));
    assert.ok(insert.functions.includes('public.guarded_before'));
    assert.ok(
      !insert.tables.includes('guarded_audit'),
      'the TRUNCATE trigger does not fire on INSERT',
    );
    const truncate = await reached('truncate guarded');
    assert.ok(truncate.kinds.includes('insert'), JSON.stringify(truncate));
    assert.ok(truncate.tables.includes('guarded_audit'));
    assert.ok(!truncate.kinds.includes('drop'), 'the INSERT trigger does not fire on TRUNCATE');
    const select = await reached('select * from guarded');
    assert.deepEqual(select.kinds, [], 'reading fires no trigger');
  });

  it("fires a trigger's WHEN condition and an AFTER statement trigger on UPDATE", async () => {
    await run(
      'create table watched (id int, v int)',
      'create table watched_log (v int)',
      `create function watched_when(v int) returns boolean language sql as $$ select pg_ls_dir('.') is not null $$`,
      `create function watched_after() returns trigger language plpgsql as $$
         begin insert into watched_log select 1; return null; end $$`,
      `create trigger watched_au after update on watched for each statement execute function watched_after()`,
      `create trigger watched_bu before update on watched for each row when (watched_when(new.v))
         execute function suppress_redundant_updates_trigger()`,
    );
    const effects = await reached('update watched set v = 2');
    assert.ok(effects.kinds.includes('insert'), JSON.stringify(effects));
    assert.ok(effects.tables.includes('watched_log'));
    assert.ok(effects.functions.includes('pg_ls_dir'), 'the WHEN condition calls it');
    assert.ok(effects.functions.includes('pg_catalog.suppress_redundant_updates_trigger'));
  });

  it('runs a rule’s actions: DO ALSO DELETE', async () => {
    await run(
      'create table ruled (id int)',
      'create table ruled_victim (id int)',
      'create rule ruled_also as on insert to ruled do also delete from ruled_victim where id = new.id',
    );
    const effects = await reached('insert into ruled values (1)');
    assert.ok(effects.kinds.includes('delete'), JSON.stringify(effects));
    assert.ok(effects.tables.includes('public.ruled_victim'));
    assert.ok(!effects.kinds.includes('ddl'));
    const select = await reached('select * from ruled');
    assert.ok(!select.kinds.includes('delete'), 'an INSERT rule does not run on SELECT');
  });

  it('evaluates defaults, generated columns, checks, domains and index expressions on writes', async () => {
    await run(
      'create table side_effects (n int)',
      `create function noisy_default() returns int language plpgsql as $$
         begin insert into side_effects values (1); return 1; end $$`,
      `create function check_reads() returns boolean language sql as $$ select pg_stat_file('.') is not null $$`,
      `create function domain_check(int) returns boolean language sql as $$ select pg_ls_waldir() is not null $$`,
      `create function index_expr(int) returns int language sql immutable as $$ select $1 + length(pg_current_logfile()) $$`,
      'create domain checked_int as int check (domain_check(value))',
      `create table computed (
         id int default noisy_default(),
         c checked_int,
         d int check (check_reads()))`,
      'create index on computed (index_expr(id))',
    );
    const effects = await reached('insert into computed (d) values (1)');
    assert.ok(effects.kinds.includes('insert'));
    assert.ok(effects.tables.includes('side_effects'), JSON.stringify(effects));
    for (const name of ['pg_stat_file', 'pg_ls_waldir', 'pg_current_logfile']) {
      assert.ok(effects.functions.includes(name), `${name} in ${JSON.stringify(effects)}`);
    }
    const read = await reached('select * from computed');
    assert.ok(!read.tables.includes('side_effects'), 'a SELECT computes no default');
  });

  it('applies row-security policies when row security is on, on reads and writes', async () => {
    await run(
      'create table tenant_rows (tenant text)',
      `create function tenant_of() returns text language plpgsql stable as $$
         begin return pg_read_file('/etc/hostname'); end $$`,
      'create policy by_tenant on tenant_rows using (tenant = tenant_of())',
    );
    assert.deepEqual(
      (await reached('select * from tenant_rows')).functions,
      [],
      'row security is off',
    );
    await run('alter table tenant_rows enable row level security');
    resolver.invalidate();
    const effects = await reached('select * from tenant_rows');
    assert.ok(effects.functions.includes('public.tenant_of'), JSON.stringify(effects));
    assert.ok(effects.functions.includes('pg_read_file'));
  });

  it('runs a view’s query, through views on views, and writes through it to its table', async () => {
    await run(
      'create table base_rows (id int)',
      `create function view_fn(int) returns int language plpgsql as $$
         begin perform pg_terminate_backend(0); return $1; end $$`,
      'create view inner_view as select view_fn(id) as id from base_rows',
      'create view outer_view as select id from inner_view',
      `create function base_insert() returns trigger language plpgsql as $$
         begin truncate side_effects; return new; end $$`,
      'create trigger base_bi before insert on base_rows for each row execute function base_insert()',
      'create view plain_view as select id from base_rows',
    );
    const effects = await reached('select * from outer_view');
    assert.ok(effects.functions.includes('pg_terminate_backend'), JSON.stringify(effects));
    assert.ok(effects.tables.includes('public.base_rows'));
    const write = await reached('insert into plain_view values (1)');
    assert.ok(write.kinds.includes('truncate'), JSON.stringify(write));
    await run(
      `create function instead_of_delete() returns trigger language plpgsql as $$
         begin delete from base_rows where id = old.id; perform pg_cancel_backend(0); return old; end $$`,
      `create trigger outer_view_del instead of delete on outer_view for each row
         execute function instead_of_delete()`,
    );
    resolver.invalidate();
    const instead = await reached('delete from outer_view where id = 1');
    assert.ok(instead.functions.includes('pg_cancel_backend'), JSON.stringify(instead));
  });

  it('runs the function an operator is bound to', async () => {
    await run(
      `create function op_fn(int, int) returns boolean language plpgsql as $$
         begin delete from side_effects; return $1 = $2; end $$`,
      'create operator === (leftarg = int, rightarg = int, function = op_fn)',
    );
    const effects = await reached('select 1 === 2');
    assert.ok(effects.kinds.includes('delete'), JSON.stringify(effects));
    assert.ok(effects.functions.includes('public.op_fn'));
    assert.deepEqual(
      await reached('select 1 = 2'),
      emptyEffects(),
      'built-in operators are trusted',
    );
  });

  it('runs an aggregate’s support functions', async () => {
    await run(
      `create function agg_step(state int, v int) returns int language plpgsql as $$
         begin insert into side_effects values (v); return coalesce(state, 0) + v; end $$`,
      'create aggregate noisy_sum(int) (sfunc = agg_step, stype = int)',
    );
    const effects = await reached('select noisy_sum(n) from side_effects');
    assert.ok(effects.functions.includes('public.agg_step'), JSON.stringify(effects));
    assert.ok(effects.kinds.includes('insert'));
  });

  it('resolves a bare name to every overload in every schema, a qualified one to its schema', async () => {
    await run(
      'create schema harmless',
      'create schema harmful',
      'create function harmless.twin(int) returns int language sql as $$ select $1 $$',
      `create function harmful.twin(text) returns int language plpgsql as $$
         begin drop table side_effects; return 1; end $$`,
    );
    const bare = await reached('select twin(1)');
    assert.ok(bare.kinds.includes('drop'), 'the search path may make it harmful.twin');
    assert.ok(bare.functions.includes('harmless.twin') && bare.functions.includes('harmful.twin'));
    const qualified = await reached('select harmless.twin(1)');
    assert.ok(!qualified.kinds.includes('drop'), JSON.stringify(qualified));
  });

  it('cascades a DELETE through foreign keys to the referencing table’s triggers', async () => {
    await run(
      'create table parents (id int primary key)',
      'create table children (parent int references parents on delete cascade)',
      `create function child_deleted() returns trigger language plpgsql as $$
         begin perform pg_read_file('/etc/hostname'); return old; end $$`,
      'create trigger children_bd before delete on children for each row execute function child_deleted()',
    );
    const effects = await reached('delete from parents where id = 1');
    assert.ok(effects.tables.includes('public.children'), JSON.stringify(effects));
    assert.ok(effects.functions.includes('pg_read_file'));
  });

  it('writes through a partitioned table to its partitions’ own triggers', async () => {
    await run(
      'create table measurements (at date, v int) partition by range (at)',
      "create table measurements_2024 partition of measurements for values from ('2024-01-01') to ('2025-01-01')",
      `create function partition_insert() returns trigger language plpgsql as $$
         begin perform pg_ls_logdir(); return new; end $$`,
      `create trigger m2024_bi before insert on measurements_2024 for each row
         execute function partition_insert()`,
    );
    const effects = await reached("insert into measurements values ('2024-05-01', 1)");
    assert.ok(effects.tables.includes('public.measurements_2024'), JSON.stringify(effects));
    assert.ok(effects.functions.includes('pg_ls_logdir'));
  });

  it('trusts an extension’s compiled functions and reads the ones added to it', async () => {
    await run(
      'create extension citext',
      `create function adopted() returns int language plpgsql as $$ begin drop table side_effects; return 1; end $$`,
      'alter extension citext add function adopted()',
    );
    assert.deepEqual(await reached("select citext_eq('a', 'A')"), emptyEffects());
    assert.deepEqual((await reached("select 'a'::citext = 'A'::citext")).unknown, []);
    const adopted = await reached('select adopted()');
    assert.ok(adopted.kinds.includes('drop'), JSON.stringify(adopted));
    const strict = new RoutineResolver({
      catalog: lookup,
      cache: new RoutineCache(),
      database: 'app',
      trustExtensionCode: false,
    });
    const untrusted = await reached("select citext_eq('a', 'A')", strict);
    assert.equal(untrusted.unknown[0]?.reason, 'language');
  });

  it('sees a function created after a cached lookup once invalidated', async () => {
    const before = await reached('select arrives_later()');
    assert.deepEqual(before, emptyEffects());
    await run(
      `create function arrives_later() returns int language plpgsql as $$
         begin drop table side_effects; return 1; end $$`,
    );
    assert.deepEqual(
      await reached('select arrives_later()'),
      emptyEffects(),
      'cached: not asked again',
    );
    resolver.invalidate();
    assert.ok((await reached('select arrives_later()')).kinds.includes('drop'));
  });

  it('answers from the cache synchronously, and measures it', async () => {
    await run('create table plain (a int)');
    const sql = 'select now(), count(*) from plain where a = 1';
    const classification = classifySql(sql);
    assert.ok(classification.ok);
    const fresh = newResolver();
    const missStarted = process.hrtime.bigint();
    const first = fresh.resolve(classification.statements);
    assert.ok(first instanceof Promise, 'the first lookup asks the catalog');
    assert.deepEqual(await first, [emptyEffects()]);
    const missMs = Number(process.hrtime.bigint() - missStarted) / 1e6;
    const second = fresh.resolve(classification.statements);
    assert.ok(Array.isArray(second), 'cached: answered synchronously');
    const rounds = 200_000;
    const started = process.hrtime.bigint();
    for (let i = 0; i < rounds; i++) fresh.resolve(classification.statements);
    const memoNs = Number(process.hrtime.bigint() - started) / rounds;
    // Classified anew each time (new lists): the per-statement result misses, the facts do not.
    // Warmed up first, as a gateway serving traffic is.
    for (let i = 0; i < 10_000; i++) fresh.resolve([classifyOne(sql)]);
    const copies = Array.from({ length: 5_000 }, () => classifyOne(sql));
    const factsStarted = process.hrtime.bigint();
    for (const copy of copies) assert.ok(Array.isArray(fresh.resolve([copy])));
    const factsNs = Number(process.hrtime.bigint() - factsStarted) / copies.length;
    // Misses on a warm connection: a name never seen, one round trip each.
    const missesStarted = process.hrtime.bigint();
    for (let i = 0; i < 20; i++) {
      const unseen = classifyOne(`select unseen_${i}(a) from plain`);
      const pending = fresh.resolve([unseen]);
      assert.ok(pending instanceof Promise);
      await pending;
    }
    const warmMs = Number(process.hrtime.bigint() - missesStarted) / 1e6 / 20;
    console.log(
      `routine resolver: first miss ${missMs.toFixed(2)} ms, warm miss ${warmMs.toFixed(2)} ms ` +
        `(one round trip each), ` +
        `cached ${memoNs.toFixed(0)} ns per statement (memo), ${factsNs.toFixed(0)} ns from facts`,
    );
    assert.ok(memoNs < 5_000, 'a repeated statement: well under 5 µs');
    // A statement seen for the first time is classified too (tens of µs): this is noise beside it.
    assert.ok(factsNs < 50_000, 'a new statement reaching only built-ins: map lookups');
  });

  it('fails closed when the catalog cannot be read', async () => {
    const down = newResolver({}, { query: () => Promise.reject(new Error('connection refused')) });
    const effects = await reached('select read_secret()', down);
    assert.equal(effects.unknown[0]?.reason, 'catalog');
    assert.match(
      effects.unknown[0]!.message,
      /could not read from the catalog \(connection refused\)/,
    );
    assert.ok(effects.kinds.includes('dynamic'));
  });

  it('fails closed when the catalog connection drops, and reconnects afterwards', async () => {
    const own = newLookup();
    try {
      const fresh = newResolver({}, own);
      await reached('select 1', fresh);
      await reached('select first_name_seen()', fresh);
      const [rows0] = await own.query([{ sql: 'select pg_backend_pid()' }]);
      const pid = rows0?.[0]?.[0];
      const { rows } = await admin.query<{ ended: boolean }>(
        'select pg_terminate_backend($1) as ended',
        [pid],
      );
      assert.ok(rows[0]!.ended, 'the catalog connection was ended');
      await new Promise((resolve) => setTimeout(resolve, 100));
      const effects = await reached('select never_cached_name()', fresh);
      assert.equal(effects.unknown[0]?.reason, 'catalog', JSON.stringify(effects));
      const again = await reached('select read_secret()', fresh);
      assert.ok(again.functions.includes('pg_read_file'), 'a new catalog connection serves');
    } finally {
      own.close();
    }
  });

  it('stops at its limits with a stable reason', async () => {
    await run(
      'create function chain3() returns int language sql as $$ select 3 $$',
      'create function chain2() returns int language sql as $$ select chain3() $$',
      'create function chain1() returns int language sql as $$ select chain2() $$',
    );
    const shallow = await reached('select chain1()', newResolver({ maxDepth: 2 }));
    assert.deepEqual(shallow.unknown, [
      {
        reason: 'limit',
        message:
          "reaches function public.chain3 nested deeper than the gateway's limit of 2 levels of objects",
      },
    ]);
    const few = await reached('select chain1()', newResolver({ maxObjects: 1 }));
    assert.equal(
      few.unknown[0]?.message,
      "reaches more objects than the gateway's limit of 1 per statement",
    );
    const short = await reached('select read_secret()', newResolver({ maxBodyLength: 10 }));
    assert.equal(
      short.unknown[0]?.message,
      "runs function public.read_secret, whose definition is longer than the gateway's limit of 10 characters",
    );
    assert.deepEqual((await reached('select chain1()')).unknown, []);
  });

  it('fires event triggers on DDL', async () => {
    await run(
      'create table ddl_log (tag text)',
      `create function log_ddl() returns event_trigger language plpgsql as $$
         begin insert into ddl_log values (tg_tag); end $$`,
      'create event trigger log_every_ddl on ddl_command_end execute function log_ddl()',
    );
    // As the gateway does after DDL it relays: event triggers were looked up (none) before.
    resolver.invalidate();
    try {
      const effects = await reached('create table fresh_one (a int)');
      assert.ok(effects.tables.includes('ddl_log'), JSON.stringify(effects));
      assert.ok(effects.kinds.includes('insert'));
      assert.ok(!(await reached('select 1 from ddl_log')).kinds.includes('insert'));
    } finally {
      await run('drop event trigger log_every_ddl');
    }
  });

  function classifyOne(sql: string) {
    const classification = classifySql(sql);
    assert.ok(classification.ok);
    return classification.statements[0]!;
  }
});

function emptyEffects(): ReachedEffects {
  return { kinds: [], tables: [], functions: [], unknown: [], settings: [], roleChange: false };
}
