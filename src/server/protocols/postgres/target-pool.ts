import type { Duplex } from 'node:stream';
import { FrameSource } from './frame-source.js';
import type { TargetConnection } from './login.js';
import {
  BackendCode,
  buildQuery,
  buildTerminate,
  frameBytes,
  parseBackend,
} from './protocol/index.js';

/** A logged-in target connection between sessions, with what a new client must be told about it. */
export interface IdleTarget {
  connection: TargetConnection;
  /** The latest ParameterStatus frame the target sent for each parameter, by lower-cased name. */
  parameters: Map<string, Buffer>;
}

export interface TargetPoolOptions {
  /** How long a connection may wait for its next session before it is closed. Default 60 s. */
  idleTimeoutMs?: number;
  /** Idle connections kept per key (connection, identity, target role and database, start-up parameters). Default 4. */
  maxPerKey?: number;
  /** Idle connections kept in all. Default 100. */
  maxTotal?: number;
  /** How long the reset (DISCARD ALL) or the liveness check on reuse may take. Default 5 s. */
  checkTimeoutMs?: number;
}

interface Entry {
  key: string;
  /** Parked in its list, handed to a session, or dropped (closed, or the pool closed). */
  state: 'parked' | 'taken' | 'dropped';
  /** Settles once the reset is done: the connection, or undefined when it could not be reset. */
  ready: Promise<IdleTarget | undefined>;
  /** Stops watching the parked connection (and its idle timer). */
  unwatch?: () => void;
}

/**
 * Idle, authenticated target connections, pgbouncer-style but never shared
 * between identities: a connection is only handed to a later session of the
 * same identity on the same connection, as the same target role and database,
 * with the same start-up parameters. A session gives its connection back only
 * when it ended cleanly (the client's Terminate while the target was idle);
 * the pool resets it with DISCARD ALL, which drops everything a session can
 * leave behind (settings, temporary tables, prepared statements, cursors,
 * LISTEN registrations, session advisory locks), before anyone may take it.
 * A parked connection that sends anything, closes or fails is dropped.
 */
export class TargetPool {
  private readonly idleTimeoutMs: number;
  private readonly maxPerKey: number;
  private readonly maxTotal: number;
  private readonly checkTimeoutMs: number;
  /** Oldest first per key; the newest is taken first (it is the warmest). */
  private readonly entries = new Map<string, Entry[]>();
  private total = 0;
  private closed = false;

  constructor(options: TargetPoolOptions = {}) {
    this.idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
    this.maxPerKey = options.maxPerKey ?? 4;
    this.maxTotal = options.maxTotal ?? 100;
    this.checkTimeoutMs = options.checkTimeoutMs ?? 5_000;
  }

  /** Idle connections, including those still being reset. */
  get size(): number {
    return this.total;
  }

  /**
   * Takes back a connection whose session ended cleanly: resets it and keeps
   * it for the next session of `key`, or closes it when the pool is full,
   * closed, or the reset fails.
   */
  park(key: string, target: IdleTarget): void {
    const list = this.entries.get(key) ?? [];
    if (this.closed || list.length >= this.maxPerKey || this.total >= this.maxTotal) {
      closeTarget(target.connection.socket);
      return;
    }
    const entry: Entry = {
      key,
      state: 'parked',
      ready: resetForReuse(target, this.checkTimeoutMs).then(
        (reset) => {
          if (entry.state === 'dropped') {
            closeTarget(reset.connection.socket);
            return undefined;
          }
          if (entry.state === 'parked') entry.unwatch = this.watch(entry, reset.connection.socket);
          return reset;
        },
        () => {
          this.remove(entry);
          return undefined;
        },
      ),
    };
    list.push(entry);
    this.entries.set(key, list);
    this.total++;
  }

  /**
   * A live, reset connection for `key`, or undefined when there is none (the
   * caller then logs in anew). Each candidate answers an empty query first,
   * so a backend the target ended meanwhile is never handed out.
   */
  async take(key: string): Promise<IdleTarget | undefined> {
    for (;;) {
      const list = this.entries.get(key);
      const entry = list?.pop();
      if (!entry) return undefined;
      entry.state = 'taken';
      this.forget(entry);
      entry.unwatch?.();
      const target = await entry.ready;
      if (!target) continue;
      try {
        await roundTrip(target, '', this.checkTimeoutMs);
        return target;
      } catch {
        closeTarget(target.connection.socket);
      }
    }
  }

  /** Closes every idle connection; later parks close theirs at once. */
  close(): void {
    this.closed = true;
    for (const list of this.entries.values()) {
      for (const entry of list) {
        entry.state = 'dropped';
        entry.unwatch?.();
        void entry.ready.then((target) => target && closeTarget(target.connection.socket));
      }
    }
    this.entries.clear();
    this.total = 0;
  }

  /** While parked, any byte, end or error from the target means the connection is no longer usable. */
  private watch(entry: Entry, socket: Duplex): () => void {
    const drop = (): void => {
      unwatch();
      this.remove(entry);
      socket.destroy();
    };
    const timer = setTimeout(() => {
      unwatch();
      this.remove(entry);
      closeTarget(socket);
    }, this.idleTimeoutMs);
    timer.unref();
    const unwatch = (): void => {
      clearTimeout(timer);
      socket.off('data', drop);
      socket.off('end', drop);
      socket.off('close', drop);
      socket.off('error', drop);
      socket.pause();
    };
    socket.on('data', drop);
    socket.on('end', drop);
    socket.on('close', drop);
    socket.on('error', drop);
    socket.resume();
    return unwatch;
  }

  private remove(entry: Entry): void {
    const list = this.entries.get(entry.key);
    const index = list?.indexOf(entry) ?? -1;
    if (index < 0) return;
    list!.splice(index, 1);
    entry.state = 'dropped';
    this.forget(entry);
  }

  /** Bookkeeping once an entry has left its list. */
  private forget(entry: Entry): void {
    this.total--;
    if (this.entries.get(entry.key)?.length === 0) this.entries.delete(entry.key);
  }
}

/**
 * DISCARD ALL (https://www.postgresql.org/docs/current/sql-discard.html):
 * CLOSE ALL, SET SESSION AUTHORIZATION DEFAULT, RESET ALL, DEALLOCATE ALL,
 * UNLISTEN *, pg_advisory_unlock_all(), DISCARD PLANS, TEMP and SEQUENCES.
 * RESET ALL returns every setting to its session default, which is what the
 * start-up parameters (part of the pool key) made it.
 */
async function resetForReuse(target: IdleTarget, timeoutMs: number): Promise<IdleTarget> {
  try {
    await roundTrip(target, 'DISCARD ALL', timeoutMs);
    return target;
  } catch (error) {
    closeTarget(target.connection.socket);
    throw error;
  }
}

/**
 * One simple Query on an idle connection: every ParameterStatus it reports is
 * kept, and it must end in ReadyForQuery 'I' with no error and nothing after.
 */
async function roundTrip(target: IdleTarget, sql: string, timeoutMs: number): Promise<void> {
  const { socket } = target.connection;
  const source = new FrameSource(socket, { name: 'the target' });
  let timer: NodeJS.Timeout | undefined;
  let rest: ReturnType<FrameSource['release']>;
  try {
    socket.write(buildQuery(sql));
    socket.resume();
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    let failed = false;
    for (;;) {
      const frame = await Promise.race([source.next(), timeout]);
      if (frame.code === BackendCode.ErrorResponse) failed = true;
      else if (frame.code === BackendCode.ParameterStatus) {
        const message = parseBackend(frame);
        if (message.type === 'parameterStatus')
          target.parameters.set(message.name.toLowerCase(), Buffer.from(frameBytes(frame)));
      } else if (frame.code === BackendCode.ReadyForQuery) {
        const message = parseBackend(frame);
        if (failed || message.type !== 'readyForQuery' || message.status !== 'I')
          throw new Error(`${sql || 'the empty query'} did not leave the connection idle`);
        break;
      }
    }
  } finally {
    clearTimeout(timer);
    rest = source.release();
  }
  if (rest.frames.length > 0 || rest.partial)
    throw new Error('the target sent more than the answer');
}

/** A polite Terminate where the socket still takes it; the target then closes (or we do, a second later). */
function closeTarget(socket: Duplex): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.on('error', () => {});
  socket.end(buildTerminate());
  socket.resume();
  const timer = setTimeout(() => socket.destroy(), 1_000);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}
