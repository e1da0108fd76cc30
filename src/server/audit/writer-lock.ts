import { closeSync, openSync, readFileSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import { HoopError } from '../../lib/errors.js';

/** What a lock file says of the gateway holding it. */
interface Holder {
  pid: number;
  host: string;
  startedAt: string;
  /** Where it listens, once it does. */
  url?: string;
}

/**
 * One writer per store and journal: a gateway holds `<file>.lock` for each
 * file only one gateway may write (the audit journal, a SQLite store) from
 * before it touches them (the journal's replay, closing the sessions a dead
 * gateway left open) until it stops.
 *
 * Node has no `flock(2)` without a native module, so the lock is a file
 * created exclusively (`O_CREAT|O_EXCL`) that names its holder: pid, host,
 * start time and, once listening, its URL. A lock whose process is gone (a
 * gateway killed with SIGKILL leaves its file) is stale and taken over; one
 * whose process lives refuses the start, naming it (HOOP_STORE_LOCKED). The
 * files are local: gateways on other hosts sharing one SQLite file over a
 * network file system are not seen (do not do that), and a pid reused by an
 * unrelated process after a crash keeps the lock until its file is deleted,
 * which the refusal says.
 */
export class WriterLock {
  private held = true;

  private constructor(
    readonly file: string,
    private holder: Holder,
  ) {}

  /** Takes the lock of `guarded` (`<guarded>.lock`), or throws HOOP_STORE_LOCKED naming its live holder. */
  static acquire(guarded: string): WriterLock {
    const file = `${guarded}.lock`;
    const holder: Holder = {
      pid: process.pid,
      host: os.hostname(),
      startedAt: new Date().toISOString(),
    };
    // Twice at most: a stale lock is removed once, then created anew (or lost to a racing gateway).
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(file, 'wx', 0o600);
        writeSync(fd, JSON.stringify(holder));
        closeSync(fd);
        return new WriterLock(file, holder);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const other = readHolder(file);
      if (other && alive(other)) throw locked(guarded, file, other);
      try {
        unlinkSync(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    throw locked(guarded, file, readHolder(file));
  }

  /** Adds where the gateway listens, for the refusal a second gateway gets. */
  listening(url: string): void {
    if (!this.held) return;
    this.holder = { ...this.holder, url };
    writeFileSync(this.file, JSON.stringify(this.holder), { mode: 0o600 });
  }

  /** Removes the lock file if it is still this process's. */
  release(): void {
    if (!this.held) return;
    this.held = false;
    if (readHolder(this.file)?.pid !== process.pid) return;
    try {
      unlinkSync(this.file);
    } catch {
      // Already gone.
    }
  }
}

function readHolder(file: string): Holder | undefined {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<Holder>;
    if (typeof parsed.pid !== 'number' || typeof parsed.host !== 'string') return undefined;
    return parsed as Holder;
  } catch {
    // Missing, or cut short by a crash between create and write: nobody holds it.
    return undefined;
  }
}

/** Whether the holder's process runs: on this host, signal 0 (EPERM: it runs as another user). */
function alive(holder: Holder): boolean {
  if (holder.host !== os.hostname()) return true;
  if (holder.pid === process.pid) return false;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function locked(guarded: string, file: string, holder: Holder | undefined): HoopError {
  const who = holder
    ? `the gateway with pid ${holder.pid} on ${holder.host}${holder.url ? `, listening on ${holder.url}` : ''}, started ${holder.startedAt}`
    : 'another gateway';
  return new HoopError('HOOP_STORE_LOCKED', `${guarded} is in use by ${who}`, {
    hint: `Stop that gateway first, or give this one its own store and audit journal. If no such gateway runs, delete ${file}.`,
  });
}
