import { randomBytes } from 'node:crypto';
import { chown, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { startPostgres, type PgInstance } from '../../helpers/postgres.js';
import { CUSTOMERS, type PlantedCustomer } from './secrets.js';

/**
 * The PostgreSQL an attacker reaches through the gateway, set up the way
 * real deployments are: the gateway's target role `app` is not a superuser
 * but owns the database, the schema and every table in it, and holds the
 * predefined roles that reach outside the database (server files, programs,
 * signals), EXECUTE on the file functions and ALTER SYSTEM on a few
 * parameters. A second target role, `app_super`, is a superuser, for the
 * attacks only a superuser can mount (event triggers, LOAD, internal
 * functions): some deployments give the gateway exactly that.
 *
 * Beside the data it keeps what a test checks afterwards: a canary table, a
 * sandbox directory the server may write into, a secret file the server may
 * read, and two victim backends of another role (one idle, one running a
 * long query) that `app` is allowed to signal.
 */
export interface AdversarialTarget {
  pg: PgInstance;
  /** The gateway's target role: owner of everything, powerful, not a superuser. */
  app: { user: string; password: string };
  /** A superuser target role, for the `pg-super` connection. */
  superuser: { user: string; password: string };
  /** A superuser connection of the harness's own (the bootstrap superuser). */
  admin: pg.Client;
  /** A directory the server's OS user may write: attacks aim their files here. */
  sandbox: string;
  /** A file the server may read; its content is `fileSecret`. */
  secretFile: string;
  /** Content of `secretFile`: must never reach a client. */
  fileSecret: string;
  /** A file name in `secretFile`'s directory: a directory listing shows it. */
  listingSecret: string;
  /** Restores the baseline: objects, data, settings, files, victims. */
  reset(): Promise<void>;
  /**
   * What an attack may have changed, to compare with a snapshot taken right
   * after `reset()` (reset recreates the tables, so OIDs differ between
   * cases). `settle` first waits a moment for signalled backends to go.
   */
  snapshot(options?: { settle?: boolean }): Promise<TargetSnapshot>;
  /** The victims' backend PIDs (for messages). */
  victimPids(): number[];
  /** A direct connection as `app` (or `app_super`), bypassing the gateway: calibration only. */
  directConfig(role: 'app' | 'super'): pg.ClientConfig;
  stop(): Promise<void>;
}

export interface TargetSnapshot {
  /** The canary table by OID, row count and a digest of its rows; null when gone. */
  canary: { oid: number; rows: number; digest: string } | null;
  /** Files in the sandbox directory. */
  sandbox: string[];
  largeObjects: number;
  /** postgresql.auto.conf, as ALTER SYSTEM leaves it. */
  autoConf: string;
  /** Roles with their powerful attributes, and role memberships. */
  roles: string[];
  /** Each victim: whether its backend still answers, and the sleeper whether its query still runs. */
  victims: { idle: boolean; sleeper: boolean };
  /** Event triggers in the database (an attacker's would fire on every DDL). */
  eventTriggers: string[];
}

/** Rows of the canary table; a digest of them is compared after every attack. */
const CANARY_ROWS = [
  [1, 'keep me'],
  [2, 'and me'],
  [3, 'me too'],
  [4, 'still here'],
  [5, 'last one'],
] as const;

/** Functions the target role may execute though PostgreSQL reserves them to superusers by default. */
const GRANTED_FUNCTIONS = [
  'pg_read_file',
  'pg_read_binary_file',
  'pg_ls_dir',
  'pg_stat_file',
  'lo_import',
  'lo_export',
  'pg_file_write',
  'pg_file_rename',
  'pg_file_unlink',
  'pg_logdir_ls',
];

/** Parameters the target role may ALTER SYSTEM (PostgreSQL 15 `GRANT ALTER SYSTEM ON PARAMETER`). */
const ALTER_SYSTEM_PARAMETERS = ['work_mem', 'archive_command', 'log_min_messages'];

/**
 * Starts the target. Tables are created as `app`, extensions as the
 * superuser in schema `ext` (on `app`'s search path), so that `DROP OWNED
 * BY app` in `reset()` removes exactly what an attacker could create.
 */
export async function startAdversarialTarget(): Promise<AdversarialTarget> {
  const instance = await startPostgres({ authMethod: 'scram-sha-256' });
  const app = { user: 'app', password: `app-${randomBytes(8).toString('hex')}` };
  const superuser = { user: 'app_super', password: `super-${randomBytes(8).toString('hex')}` };
  const victimPassword = `victim-${randomBytes(8).toString('hex')}`;
  const root = instance.socketDir ?? path.dirname(instance.url);
  const sandbox = path.join(root, 'sandbox');
  const secrets = path.join(root, 'server-secrets');
  const fileSecret = `HOOP-FILE-SECRET-${randomBytes(6).toString('hex')}`;
  const listingSecret = `listing-${randomBytes(6).toString('hex')}`;
  const secretFile = path.join(secrets, 'secret.txt');
  await mkdir(sandbox, { recursive: true });
  await mkdir(secrets, { recursive: true });
  await writeFile(secretFile, `${fileSecret}\n`);
  await writeFile(path.join(secrets, listingSecret), 'x\n');
  await handToServer([sandbox, secrets, secretFile, path.join(secrets, listingSecret)]);

  const admin = new pg.Client({ connectionString: instance.url });
  await admin.connect();
  const lit = (value: string): string => admin.escapeLiteral(value);
  for (const sql of [
    `create role app login password ${lit(app.password)}`,
    `create role app_super superuser login password ${lit(superuser.password)}`,
    `create role victim login password ${lit(victimPassword)}`,
    'create role ops nologin',
    'grant ops to app',
    'grant pg_read_server_files, pg_write_server_files, pg_execute_server_program, pg_signal_backend to app',
    `alter database ${instance.database} owner to app`,
    'create schema ext',
    'create extension if not exists hstore schema ext',
    'create extension if not exists tablefunc schema ext',
    'create extension if not exists xml2 schema ext',
    'create extension if not exists dblink schema ext',
    'create extension if not exists file_fdw schema ext',
    'create extension if not exists adminpack',
    'create server if not exists files foreign data wrapper file_fdw',
    // Roles keep their search path across reset(); `ext` holds the extensions.
    'alter role app set search_path = public, ext',
    'alter role app_super set search_path = public, ext',
    'alter role victim set search_path = public, ext',
  ]) {
    await admin.query(sql);
  }

  let victims = await startVictims(instance, victimPassword, admin);

  const grants = async (): Promise<void> => {
    await admin.query('grant usage on schema ext to app, victim');
    await admin.query('grant usage on foreign data wrapper file_fdw to app');
    await admin.query('grant usage on foreign server files to app');
    for (const parameter of ALTER_SYSTEM_PARAMETERS) {
      await admin.query(`grant alter system on parameter ${parameter} to app`);
    }
    const { rows } = await admin.query<{ fn: string }>(
      'select p.oid::regprocedure::text as fn from pg_proc p where proname = any($1)',
      [GRANTED_FUNCTIONS],
    );
    for (const { fn } of rows) await admin.query(`grant execute on function ${fn} to app`);
  };

  /** The baseline objects, created as `app` so that `app` owns them. */
  const baseline = async (): Promise<void> => {
    await admin.query('create schema public authorization app');
    await admin.query('grant usage on schema public to public');
    await admin.query('set role app');
    try {
      await admin.query('create table canary (id int primary key, note text not null)');
      for (const [id, note] of CANARY_ROWS) {
        await admin.query('insert into canary values ($1, $2)', [id, note]);
      }
      await admin.query(
        'create table customers (id int primary key, name text, email text, ssn text, card_number text, phone text, notes text)',
      );
      for (const c of CUSTOMERS) await insertCustomer(admin, c);
      await admin.query(
        'create table orders (id int primary key, customer_id int, note text, total numeric)',
      );
      await admin.query(
        "insert into orders values (1, 1, 'gift wrap', 19.90), (2, 2, 'leave at door', 5.00)",
      );
      await admin.query('create table scratch (id int, note text)');
      await admin.query("insert into scratch values (1, 'scratch row')");
    } finally {
      await admin.query('reset role');
    }
  };

  await grants();
  await admin.query('drop schema public cascade');
  await baseline();

  const reset = async (): Promise<void> => {
    // Whatever an attack left behind: event triggers first (they fire on DDL), sessions of app.
    const triggers = await admin.query<{ evtname: string }>('select evtname from pg_event_trigger');
    for (const { evtname } of triggers.rows) {
      await admin.query(`drop event trigger if exists ${admin.escapeIdentifier(evtname)}`);
    }
    await admin.query('alter system reset all');
    await admin.query('select pg_reload_conf()');
    await admin.query(`alter database ${instance.database} reset all`);
    for (const role of ['app', 'app_super', 'victim']) {
      await admin.query(`alter role ${role} reset all`);
      await admin.query(`alter role ${role} set search_path = public, ext`);
    }
    await admin.query('drop owned by app, app_super cascade');
    await admin.query('drop schema if exists public cascade');
    const schemas = await admin.query<{ nspname: string }>(
      "select nspname from pg_namespace where nspname not in ('pg_catalog', 'information_schema', 'pg_toast', 'ext') and nspname not like 'pg_temp%' and nspname not like 'pg_toast_temp%'",
    );
    for (const { nspname } of schemas.rows) {
      await admin.query(`drop schema if exists ${admin.escapeIdentifier(nspname)} cascade`);
    }
    const strays = await admin.query<{ rolname: string }>(
      "select rolname from pg_roles where rolname not like 'pg\\_%' and rolname not in ('app', 'app_super', 'victim', 'ops', current_user)",
    );
    for (const { rolname } of strays.rows) {
      await admin.query(`drop owned by ${admin.escapeIdentifier(rolname)} cascade`);
      await admin.query(`drop role if exists ${admin.escapeIdentifier(rolname)}`);
    }
    await admin.query('select lo_unlink(oid) from pg_largeobject_metadata');
    const tablespaces = await admin.query<{ spcname: string }>(
      "select spcname from pg_tablespace where spcname not in ('pg_default', 'pg_global')",
    );
    for (const { spcname } of tablespaces.rows) {
      await admin.query(`drop tablespace if exists ${admin.escapeIdentifier(spcname)}`);
    }
    await grants();
    await baseline();
    await rm(sandbox, { recursive: true, force: true });
    await mkdir(sandbox, { recursive: true });
    await handToServer([sandbox]);
    if (!(await victims.healthy())) {
      await victims.close();
      victims = await startVictims(instance, victimPassword, admin);
    }
  };

  const snapshot = async (options: { settle?: boolean } = {}): Promise<TargetSnapshot> => {
    // A terminated or cancelled backend goes away a moment after the signal.
    if (options.settle !== false) await new Promise((resolve) => setTimeout(resolve, 40));
    const canary = await admin
      .query<{ oid: number; rows: number; digest: string }>(
        "select c.oid::int as oid, (select count(*)::int from public.canary) as rows, (select md5(coalesce(string_agg(id || ':' || note, ',' order by id), '')) from public.canary) as digest from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and c.relname = 'canary' and c.relkind = 'r'",
      )
      .catch(() => ({ rows: [] }));
    const sandboxFiles = await admin.query<{ f: string }>(
      `select f from pg_ls_dir(${lit(sandbox)}) f order by f`,
    );
    const objects = await admin.query<{ n: number }>(
      'select count(*)::int as n from pg_largeobject_metadata',
    );
    const conf = await admin.query<{ c: string }>(
      "select pg_read_file('postgresql.auto.conf') as c",
    );
    const roles = await admin.query<{ r: string }>(
      "select format('%s super=%s createrole=%s createdb=%s bypassrls=%s login=%s member of {%s}', r.rolname, r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolbypassrls, r.rolcanlogin, (select string_agg(g.rolname, ',' order by g.rolname) from pg_auth_members m join pg_roles g on g.oid = m.roleid where m.member = r.oid)) as r from pg_roles r order by r.rolname",
    );
    const eventTriggers = await admin.query<{ evtname: string }>(
      'select evtname from pg_event_trigger order by evtname',
    );
    return {
      canary: canary.rows[0] ?? null,
      sandbox: sandboxFiles.rows.map((row) => row.f),
      largeObjects: objects.rows[0]?.n ?? 0,
      autoConf: conf.rows[0]?.c ?? '',
      roles: roles.rows.map((row) => row.r),
      victims: await victims.state(),
      eventTriggers: eventTriggers.rows.map((row) => row.evtname),
    };
  };

  return {
    pg: instance,
    app,
    superuser,
    admin,
    sandbox,
    secretFile,
    fileSecret,
    listingSecret,
    reset,
    snapshot,
    victimPids: () => victims.pids,
    directConfig: (role) => ({
      host: instance.host,
      port: instance.port,
      database: instance.database,
      user: role === 'app' ? app.user : superuser.user,
      password: role === 'app' ? app.password : superuser.password,
    }),
    async stop() {
      await victims.close();
      await admin.end().catch(() => {});
      await instance.stop();
    },
  };
}

async function insertCustomer(client: pg.Client, c: PlantedCustomer): Promise<void> {
  await client.query('insert into customers values ($1, $2, $3, $4, $5, $6, $7)', [
    c.id,
    c.name,
    c.email,
    c.ssn,
    c.card,
    c.phone,
    c.notes,
  ]);
}

/** Directories and files the PostgreSQL server (the `postgres` OS user when we are root) must reach. */
async function handToServer(paths: string[]): Promise<void> {
  if (process.getuid?.() !== 0) return;
  const { execFileSync } = await import('node:child_process');
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  for (const file of paths) await chown(file, uid, gid);
}

interface Victims {
  pids: number[];
  /** Whether the idle victim still answers and the sleeper's query still runs. */
  state(): Promise<{ idle: boolean; sleeper: boolean }>;
  healthy(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Two backends of role `victim`, which `app` may signal (pg_signal_backend
 * reaches every non-superuser backend): one idle, one inside `pg_sleep`.
 * A terminated one stops answering; a cancelled sleeper's query ends.
 */
async function startVictims(
  instance: PgInstance,
  password: string,
  admin: pg.Client,
): Promise<Victims> {
  const config = {
    host: instance.host,
    port: instance.port,
    database: instance.database,
    user: 'victim',
    password,
  };
  const idle = new pg.Client(config);
  const sleeper = new pg.Client(config);
  let idleDown = false;
  let sleeperDown = false;
  for (const client of [idle, sleeper]) {
    client.on('error', () => {
      if (client === idle) idleDown = true;
      else sleeperDown = true;
    });
    client.on('end', () => {
      if (client === idle) idleDown = true;
      else sleeperDown = true;
    });
  }
  await idle.connect();
  await sleeper.connect();
  const pids = [
    (await idle.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid,
    (await sleeper.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid,
  ];
  sleeper.query('select pg_sleep(3600)').then(
    () => (sleeperDown = true),
    () => (sleeperDown = true),
  );
  // Wait until the sleep is really running, so that a cancel has something to end.
  for (let i = 0; i < 100; i++) {
    const { rows } = await idle.query<{ n: number }>(
      "select count(*)::int as n from pg_stat_activity where pid = $1 and state = 'active'",
      [pids[1]],
    );
    if (rows[0]?.n === 1) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const state = async (): Promise<{ idle: boolean; sleeper: boolean }> => {
    let idleAlive = !idleDown;
    if (idleAlive) {
      idleAlive = await idle.query('select 1').then(
        () => true,
        () => false,
      );
    }
    return { idle: idleAlive && !idleDown, sleeper: !sleeperDown };
  };
  return {
    pids,
    state,
    async healthy() {
      const now = await state();
      return now.idle && now.sleeper;
    },
    async close() {
      for (const client of [idle, sleeper]) {
        client.removeAllListeners('error');
        client.on('error', () => {});
      }
      // The sleeper reads nothing until its sleep ends: end both backends from outside.
      await admin.query('select pg_terminate_backend(pid) from unnest($1::int[]) pid', [pids]);
      await Promise.all([idle.end().catch(() => {}), sleeper.end().catch(() => {})]);
    },
  };
}
