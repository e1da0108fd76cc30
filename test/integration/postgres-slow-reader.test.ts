import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it, type TestContext } from 'node:test';
import pg from 'pg';
import { generateApiKey, hashApiKey } from '../../src/lib/api-key.js';
import { spawnHoop, type RunningHoop } from '../helpers/cli.js';
import { startPostgres, type PgInstance } from '../helpers/postgres.js';
import { slowRead, type SlowReadResult } from '../helpers/slow-pg-reader.js';

const MiB = 1024 * 1024;
/** 1 000 000 rows of 1000 characters: a 1 GB result, made by the server itself. */
const ROWS = 1_000_000;
const FILLER_CHARS = 1000;
const FILLER = 'x'.repeat(FILLER_CHARS);
/**
 * The reader's pace: well below what the gateway relays on this machine, so
 * the reader is what limits the transfer and the path must hold back, and
 * quick enough that 1 GB takes about half a minute.
 */
const READ_BYTES_PER_SECOND = 36 * MiB;
/** The product's figure: a 1 GB result through a slow reader grows gateway RSS by less than this. */
const MAX_RSS_GROWTH = 64 * MiB;

/**
 * A 1 GB result through a slow reader, with every part real and in its own
 * process: PostgreSQL, the gateway (`hoop server`, whose memory is read from
 * /proc without this process's in it), `hoop connect`, and the `pg` driver
 * reading at a fixed pace below what the rest of the path can deliver. The
 * gateway must hold the target back rather than buffer the result: its peak
 * RSS (VmHWM) may grow by less than 64 MiB over what it used before.
 */
describe('a 1 GB result through a slow reader', () => {
  let postgres: PgInstance;
  let dir: string;
  let server: RunningHoop;
  const connects: RunningHoop[] = [];
  const ports: Record<string, number> = {};

  before(async () => {
    postgres = await startPostgres({ authMethod: 'scram-sha-256', password: 'target-secret-sl0w' });
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    await admin.query('create table customers (id int primary key, email text)');
    await admin.query("insert into customers values (1, 'jane.doe@example.com')");
    await admin.end();

    dir = await mkdtemp(path.join(os.tmpdir(), 'hoop-pg-slow-'));
    const key = generateApiKey();
    const connection = (name: string): string =>
      `  - { name: ${name}, type: postgres, host: 127.0.0.1, port: ${postgres.port}, ` +
      `database: ${postgres.database}, user: ${postgres.user}, password: "\${env:PG_PASSWORD}", groups: [agents] }`;
    const config = path.join(dir, 'hoop.yaml');
    await writeFile(
      config,
      [
        'listen: 127.0.0.1:0',
        `store: sqlite:${path.join(dir, 'hoop.db')}`,
        'log: { level: warn }',
        'auth:',
        '  apiKeys:',
        `    - { name: agent-1, groups: [agents], keyHash: "${hashApiKey(key)}" }`,
        'connections:',
        connection('pg'),
        connection('pg-masked'),
        'policy:',
        '  - name: pii',
        '    match: { connections: [pg-masked], groups: [agents] }',
        '    effect: mask',
        '    mask:',
        '      columns: [customers.email]',
        '      detectors: [email, credit_card, phone]',
        '  - name: agents',
        '    match: { groups: [agents] }',
        '    effect: allow',
        '',
      ].join('\n'),
    );
    server = spawnHoop(['server', '--config', config], { PG_PASSWORD: postgres.password });
    const [, url] = await server.waitFor(/hoop gateway listening on (http:\/\/\S+)/);
    const cliDir = path.join(dir, 'cli');
    await mkdir(cliDir);
    for (const name of ['pg', 'pg-masked']) {
      const connect = spawnHoop(['connect', name, '--port', '0'], {
        HOOP_GATEWAY: url,
        HOOP_TOKEN: key,
        HOOP_CONFIG_DIR: cliDir,
        HOOP_TOKEN_STORE: 'file',
      });
      connects.push(connect);
      const [, bound] = await connect.waitFor(/^Forwarding \S+:(\d+) to /m);
      ports[name] = Number(bound);
    }
  });

  after(async () => {
    for (const connect of connects) await connect.stop();
    await server?.stop('SIGTERM');
    await postgres?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /**
   * Reads `sql` slowly through `port` and returns what arrived and the
   * gateway's RSS before (after a warm-up transfer through the same path) and
   * at its peak during the read.
   */
  const measured = async (
    port: number,
    sql: (rows: number) => string,
    onRow: (row: unknown[]) => void,
  ): Promise<{ read: SlowReadResult; before: number; peak: number }> => {
    const pid = server.child.pid!;
    // A gateway that has served a result already, not a cold one.
    await slowRead({ port, database: postgres.database, sql: sql(20_000), bytesPerSecond: 0 });
    await sleep(500);
    const before = procStatus(pid, 'VmRSS');
    // VmHWM catches a peak between two samples; sampling is the fallback where clear_refs is refused.
    const exact = resetPeak(pid);
    let sampled = before;
    const sampler = setInterval(() => (sampled = Math.max(sampled, procStatus(pid, 'VmRSS'))), 50);
    let read: SlowReadResult;
    try {
      read = await slowRead({
        port,
        database: postgres.database,
        sql: sql(ROWS),
        bytesPerSecond: READ_BYTES_PER_SECOND,
        onRow,
      });
    } finally {
      clearInterval(sampler);
    }
    const peak = Math.max(sampled, exact ? procStatus(pid, 'VmHWM') : 0);
    return { read, before, peak };
  };

  const assertHeldBack = (
    t: TestContext,
    read: SlowReadResult,
    before: number,
    peak: number,
  ): void => {
    const growth = peak - before;
    const figures =
      `${read.rows} rows, ${(read.socketBytes / MiB).toFixed(0)} MiB in ${read.seconds.toFixed(1)} s ` +
      `(${read.pausedSeconds.toFixed(1)} s paused by the reader); gateway RSS ` +
      `${(before / MiB).toFixed(1)} → ${(peak / MiB).toFixed(1)} MiB`;
    t.diagnostic(figures);
    // The reader set the pace: it spent much of the transfer paused, so the
    // data was there before it wanted it and the path had to hold back.
    assert.ok(
      read.pausedSeconds > read.seconds * 0.3,
      `the reader was not the slow part: ${figures}`,
    );
    assert.ok(
      growth < MAX_RSS_GROWTH,
      `gateway RSS grew by ${(growth / MiB).toFixed(1)} MiB: ${figures}`,
    );
  };

  it('unmasked: every row and byte arrives, gateway RSS grows by less than 64 MiB', async (t) => {
    let wrong = 0;
    const { read, before, peak } = await measured(
      ports.pg!,
      (rows) => `select repeat('x', ${FILLER_CHARS}) as filler from generate_series(1, ${rows})`,
      (row) => {
        if (row.length !== 1 || row[0] !== FILLER) wrong++;
      },
    );
    assert.equal(read.rows, ROWS);
    assert.equal(wrong, 0, 'rows that arrived changed');
    assert.equal(read.valueChars, ROWS * FILLER_CHARS);
    // DataRow: type, length, column count, value length, value (protocol §55.7).
    assert.ok(read.socketBytes >= ROWS * (FILLER_CHARS + 11), `${read.socketBytes} bytes read`);
    assertHeldBack(t, read, before, peak);
  });

  it('masked: every row is rewritten on the way, and gateway RSS still grows by less than 64 MiB', async (t) => {
    let wrong = 0;
    const { read, before, peak } = await measured(
      ports['pg-masked']!,
      // The masked column in every row, so every DataRow is rebuilt; the filler goes through the detectors.
      (rows) =>
        `select c.email, repeat('x', ${FILLER_CHARS}) as filler ` +
        `from customers c, generate_series(1, ${rows}) where c.id = 1`,
      (row) => {
        if (row.length !== 2 || row[0] !== 'j***@example.com' || row[1] !== FILLER) wrong++;
      },
    );
    assert.equal(read.rows, ROWS);
    assert.equal(wrong, 0, 'rows that arrived were not masked as the rule says');
    assert.equal(read.valueChars, ROWS * (FILLER_CHARS + 'j***@example.com'.length));
    assertHeldBack(t, read, before, peak);
  });
});

/** A `kB` field of /proc/PID/status (proc(5)), in bytes. */
function procStatus(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(
    readFileSync(`/proc/${pid}/status`, 'utf8'),
  );
  if (!match?.[1]) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

/** Resets VmHWM to the current RSS (proc(5) `clear_refs` value 5); false where not allowed. */
function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}
