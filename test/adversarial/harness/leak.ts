import assert from 'node:assert/strict';
import pg from 'pg';
import { CALIBRATE, fillPlaceholders } from './attack.js';
import type { AdversarialGateway } from './gateway.js';
import { BackendCode, Framer } from '../../../src/server/protocols/postgres/protocol/index.js';
import { describeLeaks, findLeaks, matchSecret, type Leak } from './secrets.js';
import type { AdversarialTarget } from './target.js';
import { WireClient, errorsIn, type Received } from './wire-client.js';

/**
 * Attacks on result masking: each case tries to read a planted secret
 * (email, SSN, card number, phone) past the mask rules. A case passes when
 * no byte the client received holds a secret in any form `secrets.ts`
 * knows (stored, case-folded, reversed, digits, hex, base64, hashes), and
 * when the case's own decoder (`recover`, for oracles and values spread
 * over rows) cannot rebuild one from the rows it got.
 *
 * Calibration (`HOOP_ADVERSARIAL_CALIBRATE=1`) runs the same steps straight
 * against PostgreSQL and asserts the secret does come out there.
 */

/** A row as text cells (binary cells as their bytes read as UTF-8). */
export type Row = (string | null)[];

/** What one step got back. */
export interface LeakStepResult {
  step: string;
  rows: Row[];
  error?: { code?: string; message?: string };
}

export type LeakStep = string | ((session: LeakSession) => Promise<void>);

export interface LeakCase {
  name: string;
  category: string;
  steps: LeakStep[];
  /**
   * Decodes what the attack received (every row of every step, in order)
   * into candidate values; any that equals a secret is a leak.
   */
  recover?: (rows: Row[]) => string[];
  /**
   * Also run the string steps through `hoop exec --output json`, one
   * invocation (one session) each, or all joined into one string with
   * `execSession` (temporary tables, cursors, prepared statements and
   * settings live only as long as their session).
   */
  exec?: boolean;
  execSession?: boolean;
  /** Superuser SQL run after the case (reset() undoes the rest). */
  cleanup?: string[];
  /**
   * Superuser SQL that reads where the attack tried to put a secret (a
   * table, a setting, a catalog): after the case, through the gateway as
   * through hoop exec, what it returns must hold none, so nothing was moved
   * to be read later by someone no rule masks.
   */
  planted?: string[];
}

export interface LeakSession {
  target: AdversarialTarget;
  mode: 'gateway' | 'direct';
  /** Runs SQL on the case's main session (simple protocol), whatever came before. */
  sql(text: string): Promise<LeakStepResult>;
  /** Another pg session, as `identity` (`agent-2`: a second agent under the same masks). */
  session(identity?: string): Promise<{ sql(text: string): Promise<LeakStepResult> }>;
  /** A raw protocol client on the `pg` connection. */
  wire(parameters?: Record<string, string>): Promise<WireClient>;
  /** Records the rows and errors of a raw exchange. */
  note(step: string, messages: readonly Received[]): void;
  fill(text: string): string;
}

/** The masking policy of these cases: columns by name, detectors as the backstop, everything allowed. */
export const MASKING_POLICY = [
  {
    name: 'pii',
    match: { groups: ['agents'] },
    effect: 'mask',
    mask: {
      columns: ['customers.email', '*.ssn', '*.card_number'],
      detectors: ['email', 'credit_card', 'phone'],
    },
  },
  { name: 'agents', match: { groups: ['agents'] }, effect: 'allow' },
  { name: 'dbas', match: { groups: ['dba'] }, effect: 'allow' },
];

const STEP_TIMEOUT_MS = 20_000;

async function runLeak(
  attack: LeakCase,
  target: AdversarialTarget,
  gateway: AdversarialGateway,
): Promise<{ results: LeakStepResult[]; received: Buffer }> {
  const mode = CALIBRATE ? 'direct' : 'gateway';
  const results: LeakStepResult[] = [];
  const closers: (() => Promise<void>)[] = [];
  const direct: Buffer[] = [];
  const mark = gateway.mark();
  const fill = (text: string): string => fillPlaceholders(target, text);

  const open = async (identity: string): Promise<pg.Client> => {
    const config: pg.ClientConfig =
      mode === 'direct'
        ? target.directConfig('app')
        : {
            host: '127.0.0.1',
            port: await gateway.port(identity),
            user: 'agent',
            database: target.pg.database,
          };
    const client = new pg.Client({
      ...config,
      types: { getTypeParser: () => (value: string) => value },
    } as pg.ClientConfig);
    client.on('error', () => {});
    await client.connect();
    if (mode === 'direct') {
      const stream = (client as unknown as { connection: { stream: NodeJS.EventEmitter } })
        .connection.stream;
      stream.on('data', (chunk: Buffer) => direct.push(Buffer.from(chunk)));
    }
    closers.push(() => client.end().catch(() => {}));
    return client;
  };

  const run = async (client: pg.Client, text: string): Promise<LeakStepResult> => {
    let timer: NodeJS.Timeout | undefined;
    try {
      const result = await Promise.race([
        client.query({ text, rowMode: 'array' }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('step timed out')), STEP_TIMEOUT_MS);
        }),
      ]);
      const all = (Array.isArray(result) ? result : [result]) as pg.QueryResult[];
      return { step: text, rows: all.flatMap((r) => (r.rows ?? []) as Row[]) };
    } catch (error) {
      const e = error as { code?: string; message?: string };
      return { step: text, rows: [], error: { code: e.code, message: e.message } };
    } finally {
      clearTimeout(timer);
    }
  };

  let main: pg.Client | undefined;
  const session: LeakSession = {
    target,
    mode,
    fill,
    async sql(text) {
      main ??= await open('agent-1');
      const result = await run(main, fill(text));
      results.push(result);
      return result;
    },
    async session(identity = 'agent-2') {
      const client = await open(identity);
      return {
        sql: async (text) => {
          const result = await run(client, fill(text));
          results.push(result);
          return result;
        },
      };
    },
    async wire(parameters) {
      const client = await WireClient.connect({
        port: mode === 'direct' ? target.pg.port : await gateway.port('agent-1'),
        user: mode === 'direct' ? target.app.user : 'agent',
        database: target.pg.database,
        ...(mode === 'direct' ? { password: target.app.password } : {}),
        ...(parameters ? { parameters } : {}),
      });
      if (mode === 'direct')
        client.socket.on('data', (chunk: Buffer) => direct.push(Buffer.from(chunk)));
      closers.push(() => client.close());
      return client;
    },
    note(step, messages) {
      const error = errorsIn(messages)[0];
      results.push({
        step,
        rows: messages.flatMap((m) =>
          m.type === 'dataRow'
            ? [m.values.map((v) => (v === null ? null : v.toString('utf8')))]
            : m.type === 'copyData'
              ? [[m.data.toString('utf8')]]
              : [],
        ),
        ...(error ? { error: { code: error.code, message: error.message } } : {}),
      });
    },
  };

  try {
    for (const step of attack.steps) {
      if (typeof step === 'string') await session.sql(step);
      else await step(session);
    }
  } finally {
    for (const close of closers.reverse()) await close();
  }
  const received = mode === 'direct' ? Buffer.concat(direct) : gateway.receivedSince(mark);
  return { results, received };
}

const MESSAGE_NAMES = new Map<number, string>(
  Object.entries(BackendCode).map(([name, code]) => [code, name]),
);

/**
 * The backend message a byte offset of the recorded stream falls in
 * (`DataRow`, `ErrorResponse`, `ParameterStatus` …); undefined when the
 * bytes are not a message stream (hoop exec's output).
 */
function messageAt(stream: Buffer, offset: number): string | undefined {
  try {
    for (const frame of new Framer({ maxMessageBytes: 1 << 30 }).push(stream)) {
      if (offset >= frame.start && offset < frame.end) return MESSAGE_NAMES.get(frame.code);
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** What leaked in `received` and through the case's decoder, one line each. */
function leaksIn(attack: LeakCase, received: Buffer, rows: Row[], wire = true): string[] {
  const found: Leak[] = findLeaks(received);
  const lines = found.map((leak) => {
    const where = wire ? messageAt(received, leak.offset) : undefined;
    return `${describeLeaks([leak])}${where ? ` (in a ${where})` : ''}`;
  });
  for (const candidate of attack.recover?.(rows) ?? []) {
    const secret = matchSecret(candidate);
    if (secret)
      lines.push(
        `${secret.label} (${secret.value}) rebuilt from the rows: ${JSON.stringify(candidate)}`,
      );
  }
  return lines;
}

function summary(results: readonly LeakStepResult[]): string {
  return results
    .map((r) => {
      const flat = r.step.replace(/\s+/g, ' ');
      const step = flat.length > 120 ? `${flat.slice(0, 117)}…` : flat;
      return `  - ${step} → ${r.error ? `${r.error.code} ${r.error.message?.slice(0, 120)}` : `${r.rows.length} rows`}`;
    })
    .join('\n');
}

/** Resets the target, runs the case through the gateway (or directly, calibrating) and asserts. */
export async function assertNoLeak(
  attack: LeakCase,
  target: AdversarialTarget,
  gateway: AdversarialGateway,
): Promise<void> {
  await target.reset();
  let outcome: Awaited<ReturnType<typeof runLeak>>;
  try {
    outcome = await runLeak(attack, target, gateway);
  } finally {
    for (const sql of attack.cleanup ?? []) await target.admin.query(sql).catch(() => {});
  }
  const rows = outcome.results.flatMap((r) => r.rows);
  const leaks = leaksIn(attack, outcome.received, rows);
  if (!CALIBRATE) leaks.push(...(await plantedLeaks(attack, target)));
  if (CALIBRATE) {
    assert.ok(
      leaks.length > 0,
      `calibration: no secret comes out even straight from PostgreSQL, so the case tests nothing\n${summary(outcome.results)}`,
    );
    return;
  }
  assert.ok(
    leaks.length === 0,
    `${attack.category} / ${attack.name}: the client received\n${leaks.map((l) => `* ${l}`).join('\n')}\nsteps:\n${summary(outcome.results)}`,
  );
}

/**
 * The same case through `hoop exec --output json`: its string steps run one
 * invocation each (or joined, see `execSession`), stdout and stderr checked
 * as bytes, the JSON rows decoded.
 */
export async function assertNoLeakThroughExec(
  attack: LeakCase,
  target: AdversarialTarget,
  gateway: AdversarialGateway,
): Promise<void> {
  const steps = attack.steps
    .filter((step): step is string => typeof step === 'string')
    .map((step) => fillPlaceholders(target, step));
  const invocations = attack.execSession ? [steps.join(';\n')] : steps;
  await target.reset();
  const outputs: { code: number | null; stdout: Buffer; stderr: Buffer }[] = [];
  try {
    for (const sql of invocations) {
      outputs.push(
        CALIBRATE
          ? await psql(target, sql)
          : await gateway.exec(['pg', '-i', sql, '--output', 'json']),
      );
    }
  } finally {
    for (const cleanup of attack.cleanup ?? []) await target.admin.query(cleanup).catch(() => {});
  }
  const bytes = Buffer.concat(outputs.flatMap((o) => [o.stdout, o.stderr]));
  const leaks = leaksIn(
    attack,
    bytes,
    outputs.flatMap((o) => execRows(o.stdout)),
  );
  if (!CALIBRATE) leaks.push(...(await plantedLeaks(attack, target)));
  if (CALIBRATE) {
    assert.ok(
      leaks.length > 0,
      `calibration: nothing leaks even straight from PostgreSQL:\n${bytes.toString()}`,
    );
    return;
  }
  assert.ok(
    leaks.length === 0,
    `hoop exec / ${attack.category} / ${attack.name}: stdout or stderr holds\n${leaks.map((l) => `* ${l}`).join('\n')}\n(exit ${outputs.map((o) => o.code).join(', ')})`,
  );
}

/** Secrets found where the case's `planted` queries read, as the superuser, after the attack. */
async function plantedLeaks(attack: LeakCase, target: AdversarialTarget): Promise<string[]> {
  const lines: string[] = [];
  for (const sql of attack.planted ?? []) {
    const text = await target.admin
      .query({ text: sql, rowMode: 'array' })
      .then((r) => JSON.stringify(r.rows))
      .catch(() => '');
    const found = findLeaks(Buffer.from(text));
    if (found.length > 0) lines.push(`${describeLeaks(found)} left in the target (${sql})`);
  }
  return lines;
}

/** psql straight against PostgreSQL (calibration): what a client would print. */
async function psql(
  target: AdversarialTarget,
  sql: string,
): Promise<{ code: number | null; stdout: Buffer; stderr: Buffer }> {
  const { execFile } = await import('node:child_process');
  const config = target.directConfig('app');
  const url = `postgres://${config.user}:${config.password}@127.0.0.1:${config.port}/${config.database}`;
  return new Promise((resolve) => {
    execFile(
      'psql',
      [url, '-XAtc', sql],
      { encoding: 'buffer', timeout: 30_000 },
      (error, stdout, stderr) => resolve({ code: error ? 1 : 0, stdout, stderr }),
    );
  });
}

/** The rows of `hoop exec --output json`, as text cells; psql's `-At` lines when calibrating. */
function execRows(stdout: Buffer): Row[] {
  const text = stdout.toString('utf8');
  try {
    const parsed = JSON.parse(text) as { results?: { rows?: unknown[] }[] };
    return (parsed.results ?? []).flatMap((result) =>
      (result.rows ?? []).map((row) =>
        (Array.isArray(row) ? row : Object.values(row as Record<string, unknown>)).map((cell) =>
          cell === null || cell === undefined ? null : String(cell),
        ),
      ),
    );
  } catch {
    return text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => line.split('|'));
  }
}
