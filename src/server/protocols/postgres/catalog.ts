import type { Duplex } from 'node:stream';
import type { ColumnOrigin } from '../../enforcement/index.js';
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
  /** How long a table's columns are trusted (a rename or a dropped table shows up after this). Default 30 s. */
  ttlMs?: number;
  /** Most tables kept per cache; the oldest go first. Default 10 000. */
  maxTables?: number;
}

/**
 * Table OID → columns, shared by every session of the gateway, keyed by
 * where and as whom the lookup ran (host, port, database, user): OIDs are
 * per database, and what a role may see of the catalog is the role's.
 */
export class CatalogCache {
  private readonly ttlMs: number;
  private readonly maxTables: number;
  private readonly entries = new Map<string, { at: number; columns: TableColumns }>();

  constructor(options: CatalogCacheOptions = {}) {
    this.ttlMs = options.ttlMs ?? 30_000;
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
}

export interface CatalogLookupOptions {
  /** Opens a connection to the target with the session's credentials. */
  open: () => Promise<TargetConnection>;
  cache: CatalogCache;
  /** Names the database and role the lookup runs as (see {@link CatalogCache}). */
  scope: string;
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

  /** Every column of these tables, from the cache or the target; rejects when the lookup fails. */
  async tables(oids: Iterable<number>): Promise<Map<number, TableColumns>> {
    const found = new Map<number, TableColumns>();
    const missing: number[] = [];
    for (const oid of new Set(oids)) {
      const columns = this.options.cache.get(this.options.scope, oid);
      if (columns) found.set(oid, columns);
      else missing.push(oid);
    }
    if (missing.length === 0) return found;
    if (this.closed) throw new Error('the session has ended');
    let rows: (string | null)[][];
    try {
      this.connection ??= this.options.open().then((target) => new CatalogConnection(target));
      const connection = await this.connection;
      // The OIDs are numbers we formatted ourselves, so they are safe in the text.
      rows = await connection.query(
        'select c.oid, n.nspname, c.relname, a.attnum, a.attname' +
          ' from pg_catalog.pg_class c' +
          ' join pg_catalog.pg_namespace n on n.oid = c.relnamespace' +
          ' join pg_catalog.pg_attribute a on a.attrelid = c.oid' +
          ` where c.oid in (${missing.join(',')}) and a.attnum > 0 and not a.attisdropped`,
        this.options.timeoutMs ?? 5_000,
      );
    } catch (error) {
      // A broken catalog connection is not reused: the next lookup opens a new one.
      void this.connection?.then((c) => c.close()).catch(() => {});
      this.connection = undefined;
      throw error;
    }
    const byTable = new Map<number, Map<number, ColumnOrigin>>(
      missing.map((oid) => [oid, new Map()]),
    );
    for (const [oid, schema, table, attnum, column] of rows) {
      byTable.get(Number(oid))?.set(Number(attnum), {
        schema: schema ?? '',
        table: table ?? '',
        column: column ?? '',
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
   * The columns `sql` would return, from Parse + Describe + Sync of the
   * unnamed statement on the catalog connection: planned, never executed.
   * Rejects when the target refuses the statement or the lookup fails.
   */
  async describe(sql: string): Promise<FieldDescription[]> {
    if (this.closed) throw new Error('the session has ended');
    try {
      this.connection ??= this.options.open().then((target) => new CatalogConnection(target));
      const connection = await this.connection;
      return await connection.describe(sql, this.options.timeoutMs ?? 5_000);
    } catch (error) {
      // Only a broken connection is dropped; a statement the target refused leaves it usable.
      if (!(error instanceof StatementError)) {
        void this.connection?.then((c) => c.close()).catch(() => {});
        this.connection = undefined;
      }
      throw error;
    }
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
    if (this.closed) throw new Error('the session has ended');
    try {
      this.connection ??= this.options.open().then((target) => new CatalogConnection(target));
      const connection = await this.connection;
      return await connection.extended(statements, this.options.timeoutMs ?? 5_000);
    } catch (error) {
      if (!(error instanceof StatementError)) {
        void this.connection?.then((c) => c.close()).catch(() => {});
        this.connection = undefined;
      }
      throw error;
    }
  }

  close(): void {
    this.closed = true;
    void this.connection?.then((c) => c.close()).catch(() => {});
    this.connection = undefined;
  }
}

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

  query(sql: string, timeoutMs: number): Promise<(string | null)[][]> {
    return this.exchange(buildQuery(sql), timeoutMs).then((result) => result.rows);
  }

  /* Parse (unnamed), Describe ('S', unnamed), Sync: ParseComplete, ParameterDescription, RowDescription or NoData, ReadyForQuery. */
  describe(sql: string, timeoutMs: number): Promise<FieldDescription[]> {
    const bytes = Buffer.concat([buildParse('', sql, []), buildDescribe('S', ''), buildSync()]);
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
