import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { after, before, describe, it, type TestContext } from 'node:test';
import pg from 'pg';
import { initSqlParser } from '../../src/server/sql/index.js';
import { dial, startLocalListener, type LocalListener } from '../../src/tunnel/index.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { CALIBRATE } from './harness/attack.js';
import { startAdversarialGateway, type AdversarialGateway } from './harness/gateway.js';
import { STATEMENT_POLICY } from './harness/policies.js';
import { Random } from './harness/seeded-random.js';
import { startAdversarialTarget, type AdversarialTarget } from './harness/target.js';
import {
  RELOAD_SETTLE_MS,
  describeIteration,
  planIteration,
  runIteration,
  type FuzzDatabase,
  type IterationOutcome,
  type IterationPlan,
} from './lexing-fuzz-iteration.js';
import { STATE_FAMILIES } from './lexing-fuzz-states.js';
import {
  CLIENT_ONLY_ENCODINGS,
  type ClientOnlyEncoding,
  type LeadTable,
} from './lexing-fuzz-strings.js';

/*
 * Proves, within a time budget, that the gateway reads every SQL string as
 * the server runs it: each iteration tries to reach a session state in which
 * the server lexes differently (lexing-fuzz-states.ts), then sends a string
 * built to hide a canary-destroying statement in that state
 * (lexing-fuzz-strings.ts). Whatever the gateway lets through must leave the
 * target unchanged: canary table present with its rows, victim backends
 * alive. A sample of the iterations whose string is built for the state the
 * session aimed at is replayed straight against PostgreSQL, where it must
 * destroy something: the test would see a divergence.
 *
 *   HOOP_FUZZ_SECONDS     fuzzing time (default 45), three quarters on the
 *                         UTF8 database, a quarter on the SQL_ASCII one
 *   HOOP_FUZZ_ITERATIONS  iterations per database instead of a time budget
 *   HOOP_FUZZ_SEED        the run's seed (default random, printed)
 *   HOOP_FUZZ_ONLY        replay one iteration of the seed
 *   HOOP_ADVERSARIAL_CALIBRATE=1  every iteration straight against PostgreSQL
 */

const SEED = process.env.HOOP_FUZZ_SEED ? Number(process.env.HOOP_FUZZ_SEED) : randomInt(2 ** 31);
const SECONDS = Number(process.env.HOOP_FUZZ_SECONDS ?? 45);
const ITERATIONS = process.env.HOOP_FUZZ_ITERATIONS
  ? Number(process.env.HOOP_FUZZ_ITERATIONS)
  : undefined;
const ONLY = process.env.HOOP_FUZZ_ONLY ? Number(process.env.HOOP_FUZZ_ONLY) : undefined;
/** Calibration replays take at most this share of the time. */
const CALIBRATION_SHARE = 0.2;
const ASCII_DATABASE = 'adv_ascii';

/** Lead bytes that take a backslash as their second byte, measured on the target (`L 0x5C` converts to one character). */
async function measureLeads(admin: pg.Client): Promise<LeadTable> {
  await admin.query(
    String.raw`create or replace function pg_temp.eats(b bytea, enc name) returns bool language plpgsql as $$ begin return position('\' in convert_from(b, enc)) = 0; exception when others then return false; end $$`,
  );
  const { rows } = await admin.query<{ enc: ClientOnlyEncoding; leads: number[] }>(
    String.raw`select enc, array_agg(l order by l) as leads from unnest($1::name[]) enc, generate_series(129, 254) l where pg_temp.eats(set_byte('\x005c'::bytea, 0, l), enc) group by enc`,
    [CLIENT_ONLY_ENCODINGS],
  );
  return new Map(rows.map((row) => [row.enc, row.leads.map(Number)]));
}

/** What the payloads can change. */
interface Baseline {
  /** The canary table of the database under test as `oid:rows:digest`; null when gone. */
  canary: string | null;
  /** Victim backends alive. */
  victims: number;
}

interface Divergence {
  plan: IterationPlan;
  outcome: IterationOutcome;
  changes: string[];
}

/** Counts for the summary. */
class Tally {
  readonly counts = new Map<string, number>();
  add(key: string, n = 1): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + n);
  }
  get(key: string): number {
    return this.counts.get(key) ?? 0;
  }
}

describe('postgres lexing fuzz: the gateway reads what the server runs', () => {
  let target: AdversarialTarget;
  let gateway: AdversarialGateway;
  let asciiGateway: TestGateway;
  let asciiAdmin: pg.Client;
  let leads: LeadTable;
  const listeners: LocalListener[] = [];
  const asciiPorts = new Map<string, Promise<number>>();

  before(async () => {
    await initSqlParser();
    target = await startAdversarialTarget();
    gateway = await startAdversarialGateway(target, STATEMENT_POLICY);
    leads = await measureLeads(target.admin);
    // A second database whose encoding is SQL_ASCII: there the server checks no bytes of a SQL_ASCII client.
    await target.admin.query(
      `create database ${ASCII_DATABASE} owner app encoding 'SQL_ASCII' template template0 locale 'C'`,
    );
    const { host, port, user, password } = target.pg;
    asciiAdmin = new pg.Client({ host, port, user, password, database: ASCII_DATABASE });
    await asciiAdmin.connect();
    await resetAscii();
    const connection = (name: string, role: string, secret: string): string =>
      `  - { name: ${name}, type: postgres, host: 127.0.0.1, port: ${port}, database: ${ASCII_DATABASE}, user: ${role}, password: "\${env:${secret}}", groups: [agents] }`;
    asciiGateway = await startTestGateway({
      connections: [
        connection('pg', target.app.user, 'APP_PASSWORD'),
        connection('pg-super', target.superuser.user, 'SUPER_PASSWORD'),
      ].join('\n'),
      keys: [{ name: 'agent-1', groups: ['agents'] }],
      env: { APP_PASSWORD: target.app.password, SUPER_PASSWORD: target.superuser.password },
      policy: STATEMENT_POLICY,
    });
  });

  after(async () => {
    for (const listener of listeners) await listener.close();
    await asciiGateway?.close();
    await gateway?.close();
    await asciiAdmin?.end().catch(() => {});
    await target?.stop();
  });

  /** The SQL_ASCII database back to its baseline: only a canary owned by app. */
  const resetAscii = async (): Promise<void> => {
    await asciiAdmin.query('drop owned by app, app_super cascade');
    await asciiAdmin.query('set role app');
    try {
      await asciiAdmin.query('create table canary (id int primary key, note text not null)');
      await asciiAdmin.query(
        "insert into canary values (1, 'keep me'), (2, 'and me'), (3, 'me too')",
      );
    } finally {
      await asciiAdmin.query('reset role');
    }
  };

  const utf8Database = (): FuzzDatabase => ({
    name: 'UTF8 database',
    database: target.pg.database,
    asciiDatabase: false,
    connections: ['pg', 'pg-super'],
    gatewayPort: (connection) => gateway.port('agent-1', connection),
    role: (connection) =>
      connection === 'pg'
        ? { ...target.app, superuser: false }
        : { ...target.superuser, superuser: true },
    port: target.pg.port,
    admin: target.admin,
  });

  const asciiDatabase = (): FuzzDatabase => ({
    ...utf8Database(),
    name: 'SQL_ASCII database',
    database: ASCII_DATABASE,
    asciiDatabase: true,
    gatewayPort(connection) {
      let port = asciiPorts.get(connection);
      if (!port) {
        port = startLocalListener({
          host: '127.0.0.1',
          port: 0,
          dial: () =>
            dial({
              url: `${asciiGateway.url.replace(/^http/, 'ws')}/api/tunnel/${connection}`,
              token: asciiGateway.keys['agent-1']!,
            }),
        }).then((listener) => {
          listeners.push(listener);
          return listener.address.port;
        });
        asciiPorts.set(connection, port);
      }
      return port;
    },
  });

  const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

  /** Role and database defaults at every level, back to the baseline (one string: these may share a transaction). */
  const undoDefaults = async (): Promise<void> => {
    const statements = ['alter role all reset all'];
    for (const database of [target.pg.database, ASCII_DATABASE]) {
      statements.push(
        `alter role all in database ${database} reset all`,
        `alter role app in database ${database} reset all`,
        `alter role app_super in database ${database} reset all`,
        `alter database ${database} reset all`,
      );
    }
    for (const role of ['app', 'app_super']) {
      statements.push(
        `alter role ${role} reset all`,
        `alter role ${role} set search_path = public, ext`,
      );
    }
    await target.admin.query(statements.join('; '));
  };

  /** What the procedural states create (functions, procedures, a view, a table with a rule or trigger). */
  const dropLeftovers = async (db: FuzzDatabase): Promise<void> => {
    const client = db.asciiDatabase ? asciiAdmin : target.admin;
    await client.query(
      String.raw`do $$ declare r record; begin for r in select p.oid::regprocedure as f from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'public' and p.proname like 'adv\_lex%' loop execute 'drop routine if exists ' || r.f || ' cascade'; end loop; drop view if exists public.adv_lex cascade; drop table if exists public.adv_lex_t cascade; end $$`,
    );
  };

  /** Everything back to the baseline: objects, data, defaults, configuration, victims. */
  const fullReset = async (db: FuzzDatabase, reloaded: boolean): Promise<Baseline> => {
    await undoDefaults();
    await target.reset();
    if (db.asciiDatabase) await resetAscii();
    // reset() reloads the configuration; after a state that changed it, let every backend catch up.
    if (reloaded) await sleep(RELOAD_SETTLE_MS);
    return check(db, false);
  };

  /** What a state may leave behind, undone without rebuilding the target. */
  const lightReset = async (db: FuzzDatabase, plan: IterationPlan): Promise<void> => {
    const { state } = plan;
    await undoDefaults();
    if (state.persistent) await dropLeftovers(db);
    if ([...state.admin, ...state.adminDuring].some((sql) => sql.startsWith('alter system'))) {
      await target.admin.query('alter system reset all');
      await target.admin.query('select pg_reload_conf()');
      await sleep(RELOAD_SETTLE_MS);
    }
  };

  /**
   * What the payloads can change: the canary of the database under test
   * (`oid:rows:digest`, or null when gone) and how many victim backends live.
   * `settle`: first wait for signalled backends to go.
   */
  const check = async (db: FuzzDatabase, settle: boolean): Promise<Baseline> => {
    if (settle) await sleep(40);
    const client = db.asciiDatabase ? asciiAdmin : target.admin;
    const { rows } = await client.query<{ oid: string | null; victims: number }>(
      "select to_regclass('public.canary')::oid::text as oid, (select count(*)::int from pg_stat_activity where pid = any($1)) as victims",
      [target.victimPids()],
    );
    const oid = rows[0]?.oid ?? null;
    let canary: string | null = null;
    if (oid !== null) {
      const content = await client.query<{ n: number; digest: string | null }>(
        "select count(*)::int as n, md5(string_agg(id || ':' || note, ',' order by id)) as digest from public.canary",
      );
      canary = `${oid}:${content.rows[0]?.n}:${content.rows[0]?.digest}`;
    }
    return { canary, victims: rows[0]?.victims ?? 0 };
  };

  const changesSince = async (
    db: FuzzDatabase,
    before: Baseline,
    settle: boolean,
  ): Promise<string[]> => {
    const now = await check(db, settle);
    const changes: string[] = [];
    const where = db.asciiDatabase ? ' of the SQL_ASCII database' : '';
    if (before.canary !== null && now.canary === null)
      changes.push(`the canary table${where} is gone`);
    else if (before.canary !== now.canary) {
      const rows = (canary: string | null): string => canary?.split(':')[1] ?? '?';
      changes.push(
        rows(before.canary) === rows(now.canary)
          ? `the canary table${where} was replaced or its rows changed`
          : `the canary table${where} has ${rows(now.canary)} rows instead of ${rows(before.canary)}`,
      );
    }
    if (now.victims < before.victims)
      changes.push(`${before.victims - now.victims} victim backend(s) terminated`);
    return changes;
  };

  const fuzz = async (t: TestContext, db: FuzzDatabase, budgetMs: number): Promise<void> => {
    const tally = new Tally();
    const divergences: Divergence[] = [];
    const misses: string[] = [];
    let calibrationMs = 0;
    const started = Date.now();
    let state = await fullReset(db, false);
    let iterations = 0;
    const first = ONLY ?? 0;
    for (let i = first; ; i++) {
      if (ONLY !== undefined && i > ONLY) break;
      if (ONLY === undefined) {
        if (ITERATIONS !== undefined ? i >= ITERATIONS : Date.now() - started >= budgetMs) break;
      }
      iterations++;
      const plan = planIteration(SEED, i, db, leads);
      const { state: session, sql } = plan;
      const mode = CALIBRATE ? 'direct' : 'gateway';
      let outcome: IterationOutcome;
      try {
        outcome = await runIteration(plan, db, mode);
      } catch (error) {
        throw new Error(
          `${describeIteration(SEED, plan, db)}\n  failed to run: ${(error as Error).stack}`,
        );
      }
      const reached = outcome.verdict !== 'refused' && outcome.verdict !== 'not sent';
      const kills = sql.bytes.includes('terminate_backend');
      const changes = await changesSince(db, state, reached && kills);
      count(tally, plan, outcome, changes);

      let dirty = changes.length > 0;
      if (CALIBRATE) {
        if (sql.sure && changes.length === 0)
          misses.push(describeIteration(SEED, plan, db, outcome));
      } else {
        if (changes.length > 0) divergences.push({ plan, outcome, changes });
        // A sample of the strings built for their state, replayed straight against PostgreSQL.
        const key = `${session.family} / ${sql.trick}`;
        const sample =
          sql.sure &&
          calibrationMs < CALIBRATION_SHARE * (Date.now() - started) &&
          (tally.get(`calibrated ${key}`) < 2 || new Random(plan.seed ^ 0x5bd1e995).chance(0.1));
        if (sample) {
          const begun = Date.now();
          state = await fullReset(db, session.adminDuring.length > 0 || session.admin.length > 0);
          const direct = await runIteration(plan, db, 'direct');
          const effects = await changesSince(db, state, kills);
          tally.add(`calibrated ${key}`);
          tally.add('calibration samples');
          if (effects.length > 0) tally.add('calibration samples destroyed');
          else misses.push(describeIteration(SEED, plan, db, direct));
          dirty = true;
          calibrationMs += Date.now() - begun;
        }
      }
      const reloaded = session.admin.length > 0 || session.adminDuring.length > 0;
      if (dirty) state = await fullReset(db, reloaded);
      else if (session.persistent || reloaded) await lightReset(db, plan);
    }
    // A late effect (a backend that took long to die) shows here.
    const late = await changesSince(db, state, true);
    const seconds = (Date.now() - started) / 1000;
    report(t, db, tally, iterations, seconds, calibrationMs);
    if (CALIBRATE) {
      assert.ok(
        misses.length === 0,
        `calibration: ${misses.length} strings built for their state did nothing straight against PostgreSQL, so they test nothing:\n${misses.slice(0, 5).join('\n')}`,
      );
      return;
    }
    assert.ok(
      misses.length === 0,
      `calibration: ${misses.length} sampled strings did nothing straight against PostgreSQL in their state (the fuzz would not see a divergence):\n${misses.slice(0, 5).join('\n')}`,
    );
    assert.ok(late.length === 0, `an effect showed after the last iteration: ${late.join('; ')}`);
    assert.ok(
      divergences.length === 0,
      `${divergences.length} strings the gateway let through changed the target (seed ${SEED}):\n${summarize(divergences, db)}`,
    );
  };

  const budget = (share: number): number => SECONDS * 1000 * share;
  const timeout = (share: number): number => budget(share) + 120_000;

  it(
    'a UTF8 database: every state a client or an administrator can reach',
    { timeout: timeout(0.75) },
    (t) => fuzz(t, utf8Database(), budget(0.75)),
  );

  it(
    'a SQL_ASCII database: the same, where a SQL_ASCII client has its bytes taken as they are',
    { timeout: timeout(0.25) },
    (t) => fuzz(t, asciiDatabase(), budget(0.25)),
  );
});

function count(
  tally: Tally,
  plan: IterationPlan,
  outcome: IterationOutcome,
  changes: string[],
): void {
  const { state, sql } = plan;
  tally.add(`family ${state.family}`);
  if (outcome.startup) tally.add(`family ${state.family} start-up refused`);
  else if (outcome.steps.some((s) => s.verdict === 'refused'))
    tally.add(`family ${state.family} refused`);
  else tally.add(`family ${state.family} reached`);
  const reported = outcome.reported;
  if (
    (reported.standard_conforming_strings !== undefined &&
      reported.standard_conforming_strings !== 'on') ||
    (reported.client_encoding !== undefined &&
      !['UTF8', 'SQL_ASCII'].includes(reported.client_encoding))
  ) {
    tally.add('server reported a lexing change');
  }
  tally.add(`string ${outcome.verdict}`);
  tally.add(`trick ${sql.trick}${sql.sure ? ' (built for the state)' : ''}`);
  if (sql.sure && outcome.verdict !== 'refused' && outcome.verdict !== 'not sent')
    tally.add('built for the state, let through');
  tally.add(`wrapper ${plan.wrapper}`);
  if (outcome.staleBackend) tally.add('no fresh backend found');
  if (changes.length > 0) tally.add('target changed');
}

function report(
  t: TestContext,
  db: FuzzDatabase,
  tally: Tally,
  iterations: number,
  seconds: number,
  calibrationMs: number,
): void {
  const built = [...tally.counts.entries()]
    .filter(([k]) => k.endsWith('(built for the state)'))
    .reduce((n, [, v]) => n + v, 0);
  const lines = [
    `${db.name}: seed ${SEED}, ${iterations} iterations in ${seconds.toFixed(1)} s (${(iterations / seconds).toFixed(1)}/s), mode ${CALIBRATE ? 'calibration (straight to PostgreSQL)' : 'gateway'}`,
    'states (tried: start-up refused / a step refused / reached with nothing refused):',
    ...STATE_FAMILIES.filter((f) => tally.get(`family ${f}`) > 0).map(
      (f) =>
        `  ${f}: ${tally.get(`family ${f}`)}: ${tally.get(`family ${f} start-up refused`)} / ${tally.get(`family ${f} refused`)} / ${tally.get(`family ${f} reached`)}`,
    ),
    `sessions in which the server reported a lexing setting other than the defaults: ${tally.get('server reported a lexing change')}`,
    CALIBRATE
      ? `strings (straight to PostgreSQL): run ${tally.get('string ran')}, rejected by the server ${tally.get('string server error')}, not sent ${tally.get('string not sent')}`
      : `strings: refused by the gateway ${tally.get('string refused')}, let through and run ${tally.get('string ran')}, let through and rejected by the server ${tally.get('string server error')}, not sent (session refused) ${tally.get('string not sent')}`,
    `strings built for the state their session aimed at: ${built}${CALIBRATE ? '' : `, let through by the gateway: ${tally.get('built for the state, let through')}`}`,
    `tricks: ${[...tally.counts.entries()]
      .filter(([k]) => k.startsWith('trick '))
      .map(([k, v]) => `${k.slice(6)} ${v}`)
      .join(', ')}`,
    `wrappers: ${[...tally.counts.entries()]
      .filter(([k]) => k.startsWith('wrapper '))
      .map(([k, v]) => `${k.slice(8)} ${v}`)
      .join(', ')}`,
    CALIBRATE
      ? `iterations that changed the target (straight to PostgreSQL): ${tally.get('target changed')}`
      : `calibration samples straight to PostgreSQL: ${tally.get('calibration samples')}, destroyed the canary or a victim: ${tally.get('calibration samples destroyed')} (${(calibrationMs / 1000).toFixed(1)} s)`,
    `divergences (the target changed behind the gateway): ${CALIBRATE ? 'n/a' : tally.get('target changed')}`,
  ];
  if (tally.get('no fresh backend found') > 0)
    lines.push(
      `states needing a new backend that did not get one: ${tally.get('no fresh backend found')}`,
    );
  for (const line of lines) t.diagnostic(line);
}

/** Divergences grouped by state family, trick and wrapper, the first of each in full; then one line each. */
function summarize(divergences: Divergence[], db: FuzzDatabase): string {
  const groups = new Map<string, Divergence[]>();
  for (const d of divergences) {
    const { state, sql } = d.plan;
    const when = state.adminDuring.length > 0 ? ' (while open)' : '';
    const key = `${state.family}${when} / ${sql.trick} / ${d.plan.wrapper}`;
    groups.set(key, [...(groups.get(key) ?? []), d]);
  }
  const full = [...groups.entries()].map(([key, group]) => {
    const d = group[0]!;
    return `* ${key}: ${group.length} times; first:\n${describeIteration(SEED, d.plan, db, d.outcome)}\n  target: ${d.changes.join('; ')}`;
  });
  const each = divergences
    .slice(0, 60)
    .map(
      (d) =>
        `  ${d.plan.iteration}: ${d.plan.state.label} → ${d.plan.sql.recipe} → ${d.outcome.tags.join(', ')}`,
    );
  return [...full, 'every divergence (up to 60):', ...each].join('\n');
}
