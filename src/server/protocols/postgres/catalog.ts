import type { Duplex } from 'node:stream';
import type { ColumnName, ColumnOrigin } from '../../enforcement/index.js';
import type { TargetConnection } from './login.js';
import {
  BackendCode,
  Framer,
  buildBind,
  buildClose,
  buildDescribe,
  buildExecute,
  buildParse,
  buildQuery,
  buildSync,
  buildTerminate,
  parseBackend,
  type FieldDescription,
  type Frame,
} from './protocol/index.js';

/** The columns of one table by attribute number. */
export type TableColumns = ReadonlyMap<number, ColumnOrigin>;

/**
 * A statement of the gateway's own for the catalog connection: fixed SQL
 * text, with every value (a name, an OID list) bound as a text parameter
 * (`$1`…), never written into the text.
 */
export interface CatalogStatement {
  sql: string;
  params?: readonly (string | null)[];
  /**
   * Keeps the statement prepared under this name on the connection: parsed
   * (and planned) once, then only bound and executed, for statements of the
   * gateway's that repeat. Without it the unnamed statement is parsed anew.
   */
  name?: string;
}

/** The rows of one statement, each column as text or null. */
export type CatalogRows = (string | null)[][];

export interface CatalogCacheOptions {
  /**
   * How long a table's columns are trusted: a rename or a dropped table done
   * other than through the gateway (which forgets what it knew at once)
   * shows up after this. Config `postgres.catalogTtl`. Default 2 s.
   */
  ttlMs?: number;
  /** Most tables kept per cache (and most tables whose former names are kept); the oldest go first. Default 10 000. */
  maxTables?: number;
}

/** Most names one column is remembered under (its first ones are kept). */
const MAX_NAMES_PER_COLUMN = 16;

/**
 * Table OID → columns, shared by every session of the gateway, keyed by
 * where and as whom the lookup ran (host, port, database, user): OIDs are
 * per database, and what a role may see of the catalog is the role's.
 *
 * Beside it, per database, every name each column (table OID, attribute
 * number) has been seen under since the gateway started: a rename keeps
 * the OID and number, so a column a rule named once stays masked whoever
 * renamed it, in any session and as any role (see {@link ColumnOrigin.formerly}).
 */
export class CatalogCache {
  readonly ttlMs: number;
  private readonly maxTables: number;
  private readonly entries = new Map<string, { at: number; columns: TableColumns }>();
  /** database\0oid → attnum → names seen, oldest first. */
  private readonly names = new Map<string, Map<number, ColumnName[]>>();

  constructor(options: CatalogCacheOptions = {}) {
    this.ttlMs = options.ttlMs ?? 2_000;
    this.maxTables = options.maxTables ?? 10_000;
  }

  get(scope: string, oid: number, now = Date.now()): TableColumns | undefined {
    const key = `${scope}\0${oid}`;
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (now - entry.at > this.ttlMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.columns;
  }

  set(scope: string, oid: number, columns: TableColumns, now = Date.now()): void {
    const key = `${scope}\0${oid}`;
    this.entries.delete(key);
    this.entries.set(key, { at: now, columns });
    while (this.entries.size > this.maxTables) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  /** Forgets every table of `database` (a `host:port/db` prefix of the scopes): DDL passed through the gateway. */
  invalidate(database: string): void {
    const prefix = `${database}/`;
    for (const key of [...this.entries.keys()]) {
      if (key.startsWith(prefix)) this.entries.delete(key);
    }
  }

  /** Notes that column `attnum` of table `oid` in `database` is (or was) called `name`. */
  remember(database: string, oid: number, attnum: number, name: ColumnName): void {
    const key = `${database}\0${oid}`;
    let table = this.names.get(key);
    if (!table) {
      table = new Map();
      this.names.set(key, table);
      while (this.names.size > this.maxTables) {
        const oldest = this.names.keys().next().value;
        if (oldest === undefined) break;
        this.names.delete(oldest);
      }
    }
    const seen = table.get(attnum);
    if (!seen) table.set(attnum, [name]);
    else if (!seen.some((n) => sameName(n, name)) && seen.length < MAX_NAMES_PER_COLUMN) {
      seen.push(name);
    }
  }

  /** The names other than `current` that column `attnum` of table `oid` was seen under. */
  formerly(database: string, oid: number, attnum: number, current: ColumnName): ColumnName[] {
    const seen = this.names.get(`${database}\0${oid}`)?.get(attnum);
    return seen ? seen.filter((n) => !sameName(n, current)) : [];
  }
}

function sameName(a: ColumnName, b: ColumnName): boolean {
  return a.schema === b.schema && a.table === b.table && a.column === b.column;
}

export interface CatalogLookupOptions {
  /** Opens a connection to the target with the session's credentials. */
  open: () => Promise<TargetConnection>;
  cache: CatalogCache;
  /** Names the database and role the lookup runs as (see {@link CatalogCache}). */
  scope: string;
  /**
   * Names the database alone (`host:port/db`, a prefix of `scope`): former
   * names and invalidation are per database, whoever renamed. Default `scope`.
   */
  database?: string;
  /** How long one lookup may take before it counts as failed. Default 5 s. */
  timeoutMs?: number;
}

/**
 * Names the table columns behind RowDescription's (table OID, attribute
 * number) pairs, on a catalog connection of its own: the client's connection
 * is never used, since a query of ours there would break its protocol state.
 * The connection opens on the first lookup that misses the cache and closes
 * with `close()` (sessions share one per scope: see SharedCatalogs).
 */
export class CatalogLookup {
  private connection: Promise<CatalogConnection> | undefined;
  private closed = false;

  constructor(private readonly options: CatalogLookupOptions) {}

  private get database(): string {
    return this.options.database ?? this.options.scope;
  }

  private connect(): Promise<CatalogConnection> {
    this.connection ??= this.options
      .open()
      .then((target) => new CatalogConnection(target))
      .then(async (connection) => {
        await connection.pin(this.options.timeoutMs ?? 5_000);
        return connection;
      });
    return this.connection;
  }

  /** Runs `fn` on the connection; a broken one (not a statement the target refused) is dropped. */
  private async on<T>(fn: (connection: CatalogConnection) => Promise<T>): Promise<T> {
    if (this.closed) throw new Error('the session has ended');
    try {
      return await fn(await this.connect());
    } catch (error) {
      // A broken catalog connection is not reused: the next lookup opens a new one.
      if (!(error instanceof StatementError)) {
        void this.connection?.then((c) => c.close()).catch(() => {});
        this.connection = undefined;
      }
      throw error;
    }
  }

  /**
   * Every column of these tables, from the cache or the target; rejects
   * when the lookup fails. A view's or materialized view's columns carry
   * the base columns the view reads (`derivedFrom`, through views over
   * views) or `opaque` when it calls a function outside pg_catalog; every
   * column carries the names it had before as far as the gateway saw them
   * (`formerly`).
   */
  async tables(oids: Iterable<number>): Promise<Map<number, TableColumns>> {
    const found = new Map<number, TableColumns>();
    const missing: number[] = [];
    for (const oid of new Set(oids)) {
      const columns = this.options.cache.get(this.options.scope, oid);
      if (columns) found.set(oid, columns);
      else missing.push(oid);
    }
    if (missing.length === 0) return found;
    const timeout = this.options.timeoutMs ?? 5_000;
    const param = `{${missing.join(',')}}`;
    const [rows, reads, opaque] = await this.on((connection) =>
      connection.extended(
        [
          { sql: TABLE_COLUMNS, params: [param], name: 'hoop_table_columns' },
          { sql: VIEW_READS, params: [param], name: 'hoop_view_reads' },
          { sql: VIEW_CALLS, params: [param], name: 'hoop_view_calls' },
        ],
        timeout,
      ),
    );
    const derived = new Map<number, ColumnName[]>();
    for (const [view, schema, table, column] of reads!) {
      const list = derived.get(Number(view)) ?? [];
      list.push({ schema: schema ?? '', table: table ?? '', column: column ?? '' });
      derived.set(Number(view), list);
    }
    const opaqueViews = new Set(opaque!.map(([view]) => Number(view)));
    const byTable = new Map<number, Map<number, ColumnOrigin>>(
      missing.map((oid) => [oid, new Map()]),
    );
    for (const [oid, schema, table, relkind, attnum, column] of rows!) {
      const id = Number(oid);
      const name: ColumnName = { schema: schema ?? '', table: table ?? '', column: column ?? '' };
      this.options.cache.remember(this.database, id, Number(attnum), name);
      const formerly = this.options.cache.formerly(this.database, id, Number(attnum), name);
      const isView = relkind === 'v' || relkind === 'm';
      byTable.get(id)?.set(Number(attnum), {
        ...name,
        ...(formerly.length > 0 ? { formerly } : {}),
        ...(isView ? { derivedFrom: derived.get(id) ?? [] } : {}),
        ...(isView && opaqueViews.has(id) ? { opaque: true } : {}),
      });
    }
    for (const [oid, columns] of byTable) {
      // A table that is gone has no columns: not cached, so that it is asked again.
      if (columns.size > 0) this.options.cache.set(this.options.scope, oid, columns);
      found.set(oid, columns);
    }
    return found;
  }

  /**
   * Reads and remembers the current names of every column of the relations
   * these written names may mean (a bare name in any schema, temporary ones
   * included; a qualified one in its schema), or of every relation when
   * `names` is `'all'`: called before DDL is forwarded, so that the names a
   * rename replaces are known under the table's OID (see {@link CatalogCache.remember}).
   */
  async remember(names: readonly { schema?: string; name: string }[] | 'all'): Promise<void> {
    if (names !== 'all' && names.length === 0) return;
    const timeout = this.options.timeoutMs ?? 5_000;
    const [rows] = await this.on((connection) =>
      connection.extended(
        names === 'all'
          ? [{ sql: ALL_COLUMNS, params: [String(MAX_REMEMBERED_COLUMNS)] }]
          : [
              {
                sql: NAMED_COLUMNS,
                params: [
                  arrayLiteral(names.map((n) => n.schema ?? '')),
                  arrayLiteral(names.map((n) => n.name)),
                ],
              },
            ],
        timeout,
      ),
    );
    for (const [oid, schema, table, attnum, column] of rows!) {
      this.options.cache.remember(this.database, Number(oid), Number(attnum), {
        schema: schema ?? '',
        table: table ?? '',
        column: column ?? '',
      });
    }
  }

  /** Forgets the tables of this database (DDL passed through the gateway): the next lookups read the catalog anew. */
  invalidate(): void {
    this.options.cache.invalidate(this.database);
  }

  /**
   * The columns `sql` would return, from Parse + Describe + Sync of the
   * unnamed statement on the catalog connection: planned, never executed.
   * Names in it resolve under the `search_path` a session of this role and
   * database starts with (read when the catalog connection opened), set
   * for this statement alone. Rejects when the target refuses the statement
   * or the lookup fails.
   */
  async describe(sql: string): Promise<FieldDescription[]> {
    return this.on((connection) => connection.describe(sql, this.options.timeoutMs ?? 5_000));
  }

  /**
   * Runs statements of the gateway's own on the catalog connection in one
   * round trip: for each, Parse (once per connection for a named one), Bind
   * with its parameters in text format, Execute; then one Sync, so that they
   * share one implicit transaction (a `set_config(…, true)` in the first
   * holds for the others and ends with it). Resolves with each statement's
   * rows in order; rejects when the target refuses one of them (then none
   * has effect, and the connection stays) or the lookup fails.
   */
  async query(statements: readonly CatalogStatement[]): Promise<CatalogRows[]> {
    return this.on((connection) =>
      connection.extended(statements, this.options.timeoutMs ?? 5_000),
    );
  }

  close(): void {
    this.closed = true;
    void this.connection?.then((c) => c.close()).catch(() => {});
    this.connection = undefined;
  }
}

/** Most columns `remember('all')` reads (dynamic DDL: which table it renames is unknown). */
const MAX_REMEMBERED_COLUMNS = 200_000;

/** A PostgreSQL array literal of text values, every element quoted. */
function arrayLiteral(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`).join(',')}}`;
}

/*
 * The gateway's own catalog queries. The connection's search_path is
 * pg_catalog alone (see `pin`), and every operator is written qualified all
 * the same: nothing of a user's schema takes part.
 */

/** Every live column of these relations ($1: an OID array), with the relation's kind. */
const TABLE_COLUMNS =
  'select c.oid, n.nspname, c.relname, c.relkind, a.attnum, a.attname' +
  ' from pg_catalog.pg_class c' +
  ' join pg_catalog.pg_namespace n on n.oid operator(pg_catalog.=) c.relnamespace' +
  ' join pg_catalog.pg_attribute a on a.attrelid operator(pg_catalog.=) c.oid' +
  ' where c.oid operator(pg_catalog.=) any ($1::pg_catalog.oid[])' +
  ' and a.attnum operator(pg_catalog.>) 0 and not a.attisdropped';

/**
 * The relations each of these views (or materialized views) reads, views
 * over views followed: the relations their SELECT rules depend on
 * (pg_depend, `_RETURN` rules), recursively.
 */
const VIEW_RELATIONS =
  'with recursive reads(view, rel, att) as (' +
  ' select r.ev_class, d.refobjid, d.refobjsubid' +
  ' from pg_catalog.pg_rewrite r' +
  ' join pg_catalog.pg_depend d on d.classid operator(pg_catalog.=) $$pg_catalog.pg_rewrite$$::pg_catalog.regclass' +
  ' and d.objid operator(pg_catalog.=) r.oid' +
  ' where r.ev_class operator(pg_catalog.=) any ($1::pg_catalog.oid[])' +
  " and r.ev_type operator(pg_catalog.=) '1'" +
  ' and d.refclassid operator(pg_catalog.=) $$pg_catalog.pg_class$$::pg_catalog.regclass' +
  ' and d.refobjid operator(pg_catalog.<>) r.ev_class' +
  ' union' +
  ' select reads.view, d.refobjid, d.refobjsubid' +
  ' from reads' +
  ' join pg_catalog.pg_rewrite r on r.ev_class operator(pg_catalog.=) reads.rel' +
  " and r.ev_type operator(pg_catalog.=) '1'" +
  ' join pg_catalog.pg_depend d on d.classid operator(pg_catalog.=) $$pg_catalog.pg_rewrite$$::pg_catalog.regclass' +
  ' and d.objid operator(pg_catalog.=) r.oid' +
  ' and d.refclassid operator(pg_catalog.=) $$pg_catalog.pg_class$$::pg_catalog.regclass' +
  ' and d.refobjid operator(pg_catalog.<>) r.ev_class' +
  ')';

/** The columns each view reads anywhere in its definition (a whole-row reference: every column). */
const VIEW_READS =
  VIEW_RELATIONS +
  ' select distinct reads.view, n.nspname, c.relname, a.attname' +
  ' from reads' +
  ' join pg_catalog.pg_class c on c.oid operator(pg_catalog.=) reads.rel' +
  ' join pg_catalog.pg_namespace n on n.oid operator(pg_catalog.=) c.relnamespace' +
  ' join pg_catalog.pg_attribute a on a.attrelid operator(pg_catalog.=) reads.rel' +
  ' and a.attnum operator(pg_catalog.>) 0 and not a.attisdropped' +
  ' and (reads.att operator(pg_catalog.=) 0 or a.attnum operator(pg_catalog.=) reads.att)';

/** Views that call a function outside pg_catalog, in their own rule or a view they read. */
const VIEW_CALLS =
  VIEW_RELATIONS +
  ', views(view, rel) as (select v, v from pg_catalog.unnest($1::pg_catalog.oid[]) v' +
  ' union select view, rel from reads)' +
  ' select distinct views.view' +
  ' from views' +
  ' join pg_catalog.pg_rewrite r on r.ev_class operator(pg_catalog.=) views.rel' +
  " and r.ev_type operator(pg_catalog.=) '1'" +
  ' join pg_catalog.pg_depend d on d.classid operator(pg_catalog.=) $$pg_catalog.pg_rewrite$$::pg_catalog.regclass' +
  ' and d.objid operator(pg_catalog.=) r.oid' +
  ' and d.refclassid operator(pg_catalog.=) $$pg_catalog.pg_proc$$::pg_catalog.regclass' +
  ' join pg_catalog.pg_proc p on p.oid operator(pg_catalog.=) d.refobjid' +
  ' where p.pronamespace operator(pg_catalog.<>) $$pg_catalog$$::pg_catalog.regnamespace';

/** Every live column of the relations named ($1 schemas, '' for any; $2 names), temporary ones included. */
const NAMED_COLUMNS =
  'select c.oid, n.nspname, c.relname, a.attnum, a.attname' +
  // Multi-argument unnest is FROM-clause sugar, not a function one can qualify: ROWS FROM zips.
  ' from rows from (pg_catalog.unnest($1::pg_catalog.text[]), pg_catalog.unnest($2::pg_catalog.text[]))' +
  ' w(schema, name)' +
  ' join pg_catalog.pg_class c on c.relname operator(pg_catalog.=) w.name' +
  ' join pg_catalog.pg_namespace n on n.oid operator(pg_catalog.=) c.relnamespace' +
  " and (w.schema operator(pg_catalog.=) '' or n.nspname operator(pg_catalog.=) w.schema" +
  " or (w.schema operator(pg_catalog.=) 'pg_temp' and n.nspname operator(pg_catalog.~~) 'pg\\_temp\\_%'))" +
  ' join pg_catalog.pg_attribute a on a.attrelid operator(pg_catalog.=) c.oid' +
  ' and a.attnum operator(pg_catalog.>) 0 and not a.attisdropped';

/** Every live column of every user relation, at most $1 of them. */
const ALL_COLUMNS =
  'select c.oid, n.nspname, c.relname, a.attnum, a.attname' +
  ' from pg_catalog.pg_class c' +
  ' join pg_catalog.pg_namespace n on n.oid operator(pg_catalog.=) c.relnamespace' +
  ' join pg_catalog.pg_attribute a on a.attrelid operator(pg_catalog.=) c.oid' +
  ' where c.relkind operator(pg_catalog.=) any (\'{r,p,v,m,f}\'::pg_catalog."char"[])' +
  " and n.nspname operator(pg_catalog.<>) all ('{pg_catalog,information_schema,pg_toast}'::pg_catalog.name[])" +
  ' and a.attnum operator(pg_catalog.>) 0 and not a.attisdropped' +
  ' limit $1::pg_catalog.int8';

/** The target answered a statement of ours with an ErrorResponse; the connection is fine. */
class StatementError extends Error {}

/** One exchange at a time over a target connection: a simple query (text results), extended-query statements or a Describe. */
class CatalogConnection {
  private readonly framer = new Framer({ maxMessageBytes: 64 * 1024 * 1024 });
  private readonly socket: Duplex;
  /** Named statements known to be prepared on this connection. */
  private readonly prepared = new Set<string>();
  private chain: Promise<unknown> = Promise.resolve();
  private current:
    | {
        rows: (string | null)[][];
        /** Where the rows of each completed statement end in `rows` (CommandComplete). */
        ends: number[];
        fields?: FieldDescription[];
        error?: Error;
        done: (error?: Error) => void;
      }
    | undefined;
  private failure: Error | undefined;

  constructor(target: TargetConnection) {
    this.socket = target.socket;
    this.socket.on('data', (chunk: Buffer) => {
      try {
        for (const frame of this.framer.push(chunk)) this.onFrame(frame);
      } catch (error) {
        this.fail(error as Error);
      }
    });
    this.socket.on('error', (error: Error) => this.fail(error));
    this.socket.on('close', () => this.fail(new Error('the catalog connection closed')));
    for (const bytes of target.leftover) this.socket.emit('data', bytes);
    this.socket.resume();
  }

  /** The `search_path` a session of this role and database starts with (the role's, database's or server's default). */
  private sessionSearchPath: string | undefined;

  /**
   * Reads the `search_path` sessions start with, then pins this
   * connection's to `pg_catalog` alone (a session SET outranks the role's
   * and database's defaults): a schema of the caller's put before
   * pg_catalog by `ALTER ROLE … SET search_path` must not lend the
   * gateway's own queries its operators, functions or tables. Every query
   * of the gateway's also writes `operator(pg_catalog.=)`.
   */
  async pin(timeoutMs: number): Promise<void> {
    const { rows } = await this.exchange(
      buildQuery("select pg_catalog.current_setting('search_path'); set search_path to pg_catalog"),
      timeoutMs,
    );
    this.sessionSearchPath = rows[0]?.[0] ?? undefined;
  }

  /* Parse, Bind, Execute of set_config(search_path, local); Parse (unnamed), Describe ('S', unnamed),
     Sync: ParseComplete, BindComplete, DataRow, CommandComplete, ParseComplete,
     ParameterDescription, RowDescription or NoData, ReadyForQuery. */
  describe(sql: string, timeoutMs: number): Promise<FieldDescription[]> {
    const path = this.sessionSearchPath;
    const bytes = Buffer.concat([
      ...(path === undefined
        ? []
        : [
            buildParse('', "select pg_catalog.set_config('search_path', $1, true)", []),
            buildBind('', '', [path]),
            buildExecute(''),
          ]),
      buildParse('', sql, []),
      buildDescribe('S', ''),
      buildSync(),
    ]);
    return this.exchange(bytes, timeoutMs).then((result) => result.fields ?? []);
  }

  /* Per statement Parse, Bind (unnamed portal), Execute (all rows); then Sync: ParseComplete,
     BindComplete, DataRow…, CommandComplete per statement, ReadyForQuery. A named statement not
     known to be prepared is closed first (no error if it does not exist, §55.2.3) and parsed. */
  extended(statements: readonly CatalogStatement[], timeoutMs: number): Promise<CatalogRows[]> {
    const parsing = statements.flatMap(({ name }) =>
      name !== undefined && !this.prepared.has(name) ? [name] : [],
    );
    const bytes = Buffer.concat([
      ...statements.flatMap(({ sql, params = [], name = '' }) => [
        ...(name === '' || this.prepared.has(name)
          ? []
          : [buildClose('S', name), buildParse(name, sql, [])]),
        ...(name === '' ? [buildParse('', sql, [])] : []),
        buildBind('', name, params),
        buildExecute(''),
      ]),
      buildSync(),
    ]);
    return this.exchange(bytes, timeoutMs).then(({ rows, ends }) => {
      if (ends.length !== statements.length) {
        throw new StatementError('the catalog lookup failed: a statement did not complete');
      }
      for (const name of parsing) this.prepared.add(name);
      return ends.map((end, i) => rows.slice(i === 0 ? 0 : ends[i - 1], end));
    });
  }

  private exchange(
    bytes: Buffer,
    timeoutMs: number,
  ): Promise<{ rows: (string | null)[][]; ends: number[]; fields?: FieldDescription[] }> {
    const run = this.chain.then(
      () =>
        new Promise<{ rows: (string | null)[][]; ends: number[]; fields?: FieldDescription[] }>(
          (resolve, reject) => {
            if (this.failure) {
              reject(this.failure);
              return;
            }
            const timer = setTimeout(
              () => this.fail(new Error(`the catalog lookup took over ${timeoutMs} ms`)),
              timeoutMs,
            );
            const current: NonNullable<CatalogConnection['current']> = {
              rows: [],
              ends: [],
              done: (error) => {
                clearTimeout(timer);
                this.current = undefined;
                if (error) reject(error);
                else resolve(current);
              },
            };
            this.current = current;
            this.socket.write(bytes);
          },
        ),
    );
    this.chain = run.catch(() => {});
    return run;
  }

  close(): void {
    if (!this.failure && this.socket.writable) this.socket.end(buildTerminate());
    this.fail(new Error('the catalog connection was closed'));
    this.socket.destroy();
  }

  private onFrame(frame: Frame): void {
    const current = this.current;
    if (!current) return;
    switch (frame.code) {
      case BackendCode.DataRow: {
        const message = parseBackend(frame);
        if (message.type === 'dataRow') {
          current.rows.push(message.values.map((v) => (v === null ? null : v.toString('utf8'))));
        }
        return;
      }
      case BackendCode.ErrorResponse: {
        const message = parseBackend(frame);
        current.error ??= new StatementError(
          `the catalog lookup failed: ${message.type === 'errorResponse' ? (message.fields.message ?? '') : ''}`,
        );
        return;
      }
      case BackendCode.RowDescription: {
        const message = parseBackend(frame);
        if (message.type === 'rowDescription') current.fields = message.fields;
        return;
      }
      case BackendCode.CommandComplete:
        current.ends.push(current.rows.length);
        return;
      case BackendCode.ReadyForQuery:
        current.done(current.error);
        return;
      default:
      // ParseComplete, BindComplete, NoData, notices, parameter changes: nothing to keep.
    }
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.current?.done(this.failure);
  }
}
