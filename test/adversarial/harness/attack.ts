import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import type { AdversarialGateway } from './gateway.js';
import type { AdversarialTarget, TargetSnapshot } from './target.js';
import { WireClient, errorsIn, type Received } from './wire-client.js';

/**
 * Attacks on statement control: each case tries to make the target do
 * something the policy forbids (drop or truncate, call a dangerous
 * function, delete without review, write or read server files, run a
 * program, signal another backend, change server configuration) by a route
 * around the statement rules. A case passes when the client was refused
 * (SQLSTATE 42501 from the gateway, 42601, or the review hold) and the
 * target is exactly as before.
 *
 * `HOOP_ADVERSARIAL_CALIBRATE=1` runs every case straight against
 * PostgreSQL instead, as the gateway's own role, and asserts the opposite:
 * that the attack works when nothing stands in its way. A case that does
 * nothing even then tests nothing, so calibrate after writing one.
 */
export const CALIBRATE = process.env.HOOP_ADVERSARIAL_CALIBRATE === '1';

/** What one step of an attack got back. */
export interface StepOutcome {
  step: string;
  /** The error that ended the step, if any. */
  error?: { code: string | undefined; message: string | undefined; severity?: string };
  /** The review that held the step (rejected at once by the harness). */
  held?: string;
  /** Rows of the step's results, as text. */
  rows?: (string | null)[][];
  skipped?: boolean;
}

export type Step = string | ((session: AttackSession) => Promise<void>);

export interface AttackCase {
  name: string;
  category: string;
  /** Which connection the attacker uses: `pg` (powerful role) or `pg-super` (a superuser role). */
  connection?: 'pg' | 'pg-super';
  /** Start-up parameters of the attack session (client_encoding …). */
  parameters?: Record<string, string>;
  steps: Step[];
  /**
   * Queries run on the attack session afterwards (`fresh`: on a session
   * that logs in afresh); each must answer its expected first cell
   * (`select current_user` → `app`), or the attack changed the session.
   */
  probes?: { sql: string; expect: string; fresh?: boolean }[];
  /** Superuser SQL run after the case whatever happened (undo what reset() cannot). */
  cleanup?: string[];
  /**
   * `syntax`: SQL the parser rejects must come back as 42601 with the
   * parser's message and never reach the server (its log must not show
   * `token`).
   */
  expect?: { kind: 'syntax'; token: string; message: RegExp };
  /** Not meaningful straight against PostgreSQL (e.g. it attacks the gateway's identities). */
  gatewayOnly?: boolean;
}

/** What an attack step can use. */
export interface AttackSession {
  target: AdversarialTarget;
  /** `gateway` (the real test) or `direct` (calibration). */
  mode: 'gateway' | 'direct';
  /** Runs SQL on the case's main session (simple protocol); skipped after an earlier error. */
  sql(text: string): Promise<StepOutcome>;
  /**
   * A further pg session on the same connection. `fresh`: on a backend that
   * logged in after the case began (the gateway pools backends per
   * identity; a new login is what makes ALTER ROLE … SET apply), found as an
   * attacker would, by opening sessions until one is new.
   */
  session(parameters?: Record<string, string>, options?: { fresh?: boolean }): Promise<SqlSession>;
  /** A raw protocol client on the case's connection; `fresh` as for `session`. */
  wire(parameters?: Record<string, string>, options?: { fresh?: boolean }): Promise<WireClient>;
  /** Records what a raw exchange got back (its ErrorResponses count as outcomes). */
  note(step: string, messages: readonly Received[]): void;
  /** True once any step ended in an error (later `sql` calls are skipped). */
  readonly stopped: boolean;
  /** `text` with the placeholders filled in (see {@link fillPlaceholders}). */
  fill(text: string): string;
}

/**
 * Placeholders a case's SQL may use for paths and names known only once the
 * target runs: `@SANDBOX@` (a directory the server may write), `@SECRET_FILE@`
 * and `@SECRETS_DIR@` (what the server may read), `@PORT@`, `@DB@` and
 * `@SOCKET_DIR@` (to reach the server from inside it).
 */
export function fillPlaceholders(target: AdversarialTarget, text: string): string {
  return text
    .replaceAll('@SANDBOX@', target.sandbox)
    .replaceAll('@SECRET_FILE@', target.secretFile)
    .replaceAll('@SECRETS_DIR@', path.dirname(target.secretFile))
    .replaceAll('@PORT@', String(target.pg.port))
    .replaceAll('@DB@', target.pg.database)
    .replaceAll('@SOCKET_DIR@', target.pg.socketDir ?? '');
}

export interface SqlSession {
  sql(text: string): Promise<StepOutcome>;
}

const STEP_TIMEOUT_MS = 20_000;

/** Runs a case and returns what it got; the caller asserts (see `assertAttackFailed`). */
export async function runAttack(
  attack: AttackCase,
  target: AdversarialTarget,
  gateway: AdversarialGateway,
): Promise<{ outcomes: StepOutcome[]; received: Buffer; probes: string[] }> {
  const mode = CALIBRATE ? 'direct' : 'gateway';
  const connection = attack.connection ?? 'pg';
  const outcomes: StepOutcome[] = [];
  const closers: (() => Promise<void>)[] = [];
  const mark = gateway.mark();
  const held = new Set<string>();
  // Backends alive before the case: a pooled one may be handed out again, a fresh one may not.
  const known = new Set(
    (
      await target.admin.query<{ pid: number }>(
        "select pid from pg_stat_activity where usename in ('app', 'app_super')",
      )
    ).rows.map((row) => row.pid),
  );
  const isFresh = (pid: number | undefined): boolean => pid !== undefined && !known.has(pid);
  const FRESH_ATTEMPTS = 8;
  const direct = { chunks: [] as Buffer[] };

  const onNotice = (text: string): void => {
    if (!/holds this statement for review/.test(text)) return;
    const id = /\b(rev_[a-z0-9]+)\b/.exec(text)?.[1];
    if (id) held.add(id);
    void gateway.rejectHeld(text);
  };

  const pgSession = async (parameters?: Record<string, string>): Promise<pg.Client> => {
    const config: pg.ClientConfig =
      mode === 'direct'
        ? target.directConfig(connection === 'pg' ? 'app' : 'super')
        : {
            host: '127.0.0.1',
            port: await gateway.port('agent-1', connection),
            user: 'agent',
            database: target.pg.database,
          };
    const client = new pg.Client({
      ...config,
      ...(parameters?.client_encoding ? { client_encoding: parameters.client_encoding } : {}),
      // Keep every value as the text the server sent.
      types: { getTypeParser: () => (value: string) => value },
    } as pg.ClientConfig);
    client.on('notice', (notice) => onNotice(notice.message ?? ''));
    client.on('error', () => {});
    await client.connect();
    if (mode === 'direct') {
      // A direct session records what it receives too, for the same leak checks.
      const stream = (client as unknown as { connection: { stream: NodeJS.EventEmitter } })
        .connection.stream;
      stream.on('data', (chunk: Buffer) => direct.chunks.push(Buffer.from(chunk)));
    }
    closers.push(() => client.end().catch(() => {}));
    return client;
  };

  const run = async (client: pg.Client, text: string): Promise<StepOutcome> => {
    const before = new Set(held);
    let timer: NodeJS.Timeout | undefined;
    try {
      const result = await Promise.race([
        client.query({ text, rowMode: 'array' }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('step timed out')), STEP_TIMEOUT_MS);
        }),
      ]);
      const results = (Array.isArray(result) ? result : [result]) as pg.QueryResult[];
      return {
        step: text,
        rows: results.flatMap((r) => (r.rows ?? []) as (string | null)[][]),
        ...heldSince(before),
      };
    } catch (error) {
      const e = error as { code?: string; message?: string; severity?: string };
      return {
        step: text,
        error: { code: e.code ?? 'client', message: e.message, severity: e.severity },
        ...heldSince(before),
      };
    } finally {
      clearTimeout(timer);
    }
  };
  const heldSince = (before: Set<string>): { held?: string } => {
    const id = [...held].find((review) => !before.has(review));
    return id ? { held: id } : {};
  };

  let main: pg.Client | undefined;
  const fill = (text: string): string => fillPlaceholders(target, text);
  const session: AttackSession = {
    target,
    mode,
    fill,
    get stopped() {
      return outcomes.some((o) => o.error !== undefined || o.held !== undefined);
    },
    async sql(text) {
      if (session.stopped) {
        const outcome = { step: text, skipped: true };
        outcomes.push(outcome);
        return outcome;
      }
      main ??= await pgSession(attack.parameters);
      const outcome = await run(main, fill(text));
      outcomes.push(outcome);
      return outcome;
    },
    async session(parameters, options) {
      let client = await pgSession(parameters);
      for (let i = 0; options?.fresh && mode === 'gateway' && i < FRESH_ATTEMPTS; i++) {
        const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
        if (isFresh(Number(rows[0]?.pid))) break;
        client = await pgSession(parameters);
      }
      return {
        sql: async (text) => {
          if (session.stopped) {
            const outcome = { step: text, skipped: true };
            outcomes.push(outcome);
            return outcome;
          }
          const outcome = await run(client, fill(text));
          outcomes.push(outcome);
          return outcome;
        },
      };
    },
    async wire(parameters, options) {
      const direct = mode === 'direct';
      const role = connection === 'pg' ? target.app : target.superuser;
      const connect = async (): Promise<WireClient> => {
        const client = await WireClient.connect({
          port: direct ? target.pg.port : await gateway.port('agent-1', connection),
          user: direct ? role.user : 'agent',
          database: target.pg.database,
          ...(direct ? { password: role.password } : {}),
          ...(parameters ? { parameters } : {}),
          onNotice: (message) => {
            if (message.type === 'noticeResponse') onNotice(message.fields.message ?? '');
          },
        });
        if (direct) client.socket.on('data', (chunk: Buffer) => directChunks(chunk));
        closers.push(() => client.close());
        return client;
      };
      let client = await connect();
      for (let i = 0; options?.fresh && !direct && i < FRESH_ATTEMPTS; i++) {
        const answer = await client.query('select pg_backend_pid()');
        const pid = answer.flatMap((m) => (m.type === 'dataRow' ? [m.values[0]] : []))[0];
        if (isFresh(pid ? Number(pid.toString()) : undefined)) break;
        client = await connect();
      }
      return client;
    },
    note(step, messages) {
      const errors = errorsIn(messages);
      const notices = messages.flatMap((m) =>
        m.type === 'noticeResponse' ? [m.fields.message ?? ''] : [],
      );
      const review = notices.map((n) => /\b(rev_[a-z0-9]+)\b/.exec(n)?.[1]).find(Boolean);
      outcomes.push({
        step,
        ...(errors[0] ? { error: errors[0] } : {}),
        ...(review ? { held: review } : {}),
      });
    },
  };
  const directChunks = (chunk: Buffer): void => {
    direct.chunks.push(Buffer.from(chunk));
  };

  const probes: string[] = [];
  try {
    for (const step of attack.steps) {
      try {
        if (typeof step === 'string') await session.sql(step);
        else await step(session);
      } catch (error) {
        // The gateway refusing a session's start-up (a FATAL before ReadyForQuery) refuses the step.
        const refused = /^start-up refused: (\S+) (.*)$/s.exec((error as Error).message);
        if (!refused) throw error;
        outcomes.push({ step: 'start-up', error: { code: refused[1]!, message: refused[2]! } });
      }
    }
    for (const probe of attack.probes ?? []) {
      // Probes read the session's state; they are never skipped.
      main ??= await pgSession(attack.parameters);
      let on = main;
      if (probe.fresh) {
        on = await pgSession(attack.parameters);
        for (let i = 0; mode === 'gateway' && i < FRESH_ATTEMPTS; i++) {
          const { rows } = await on.query<{ pid: number }>('select pg_backend_pid() as pid');
          if (isFresh(Number(rows[0]?.pid))) break;
          on = await pgSession(attack.parameters);
        }
      }
      const outcome = await run(on, fill(probe.sql));
      const cell = outcome.rows?.[0]?.[0];
      probes.push(cell === null ? 'NULL' : (cell ?? `(error ${outcome.error?.code})`));
    }
  } finally {
    for (const close of closers.reverse()) await close();
  }
  const received = mode === 'direct' ? Buffer.concat(direct.chunks) : gateway.receivedSince(mark);
  return { outcomes, received, probes };
}

/**
 * Whether an outcome is the gateway refusing (42501 naming hoop, 42601, 54000
 * naming one of its limits on input), a protocol refusal, or a hold.
 */
export function isRefusal(outcome: StepOutcome): boolean {
  if (outcome.held) return true;
  const code = outcome.error?.code;
  if (code === '42601' || code === '08P01') return true;
  return (code === '42501' || code === '54000') && /^hoop:/.test(outcome.error?.message ?? '');
}

/** The differences between two snapshots, one line each, in words. */
export function snapshotChanges(before: TargetSnapshot, after: TargetSnapshot): string[] {
  const changes: string[] = [];
  if (before.canary && !after.canary) changes.push('the canary table is gone (dropped or renamed)');
  else if (before.canary && after.canary) {
    if (before.canary.oid !== after.canary.oid)
      changes.push('the canary table was replaced by another');
    if (before.canary.rows !== after.canary.rows)
      changes.push(
        `the canary table has ${after.canary.rows} rows instead of ${before.canary.rows}`,
      );
    else if (before.canary.digest !== after.canary.digest) changes.push('the canary rows changed');
  }
  const added = after.sandbox.filter((f) => !before.sandbox.includes(f));
  if (added.length > 0) changes.push(`files written on the server: ${added.join(', ')}`);
  if (after.largeObjects !== before.largeObjects)
    changes.push(`large objects: ${before.largeObjects} → ${after.largeObjects}`);
  if (after.autoConf !== before.autoConf)
    changes.push(
      `postgresql.auto.conf changed: ${JSON.stringify(after.autoConf.split('\n').slice(2).join('; '))}`,
    );
  const roles = after.roles.filter((r) => !before.roles.includes(r));
  if (roles.length > 0) changes.push(`roles changed: ${roles.join('; ')}`);
  if (before.victims.idle && !after.victims.idle)
    changes.push('the idle victim backend was terminated');
  if (before.victims.sleeper && !after.victims.sleeper)
    changes.push("the victim's running query was cancelled or its backend terminated");
  const triggers = after.eventTriggers.filter((t) => !before.eventTriggers.includes(t));
  if (triggers.length > 0) changes.push(`event triggers created: ${triggers.join(', ')}`);
  return changes;
}

/** Server-side secrets (file content, a file name) found in what the client received. */
export function fileLeaks(target: AdversarialTarget, received: Buffer): string[] {
  const text = received.toString('latin1').toLowerCase();
  const leaks: string[] = [];
  // The random tail alone, any case: a tokenizer or a case fold keeps it.
  const tail = target.fileSecret.split('-').at(-1)!.toLowerCase();
  if (text.includes(tail) || text.includes(Buffer.from(tail).toString('hex'))) {
    leaks.push('the content of a server file reached the client');
  }
  if (text.includes(target.listingSecret.toLowerCase()))
    leaks.push('a server directory listing reached the client');
  return leaks;
}

/** The server's log so far (to tell whether a text reached it). */
export async function serverLog(target: AdversarialTarget): Promise<string> {
  const file = path.join(target.pg.socketDir ?? '', `postgres-${target.pg.port}.log`);
  return readFile(file, 'utf8').catch(() => '');
}

function summary(outcomes: readonly StepOutcome[]): string {
  return outcomes
    .map((o) => {
      const what = o.skipped
        ? 'skipped'
        : o.held
          ? `held for ${o.held}${o.error ? ` then ${o.error.code} ${o.error.message}` : ''}`
          : o.error
            ? `${o.error.code} ${o.error.message}`
            : `ok${o.rows && o.rows.length > 0 ? ` (${o.rows.length} rows)` : ''}`;
      return `  - ${truncate(o.step)} → ${what}`;
    })
    .join('\n');
}

function truncate(text: string): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > 140 ? `${flat.slice(0, 137)}…` : flat;
}

/**
 * Runs `attack` between a reset and a snapshot and asserts the result: in
 * the real test, refused and nothing changed; in calibration, something did.
 */
export async function assertAttack(
  attack: AttackCase,
  target: AdversarialTarget,
  gateway: AdversarialGateway,
): Promise<void> {
  await target.reset();
  const baseline = await target.snapshot({ settle: false });
  const logBefore = attack.expect ? (await serverLog(target)).length : 0;
  let result: Awaited<ReturnType<typeof runAttack>>;
  try {
    result = await runAttack(attack, target, gateway);
  } finally {
    for (const sql of attack.cleanup ?? []) await target.admin.query(sql).catch(() => {});
  }
  const after = await target.snapshot();
  const changes = snapshotChanges(baseline, after);
  const leaks = fileLeaks(target, result.received);
  const probeChanges = (attack.probes ?? []).flatMap((probe, i) =>
    result.probes[i] === probe.expect
      ? []
      : [
          `${probe.sql} answers ${JSON.stringify(result.probes[i])}, not ${JSON.stringify(probe.expect)}`,
        ],
  );
  const effects = [...changes, ...leaks, ...probeChanges];
  const steps = summary(result.outcomes);

  if (CALIBRATE) {
    if (attack.gatewayOnly) return;
    if (attack.expect?.kind === 'syntax') {
      assert.ok(
        result.outcomes.some((o) => o.error?.code === '42601'),
        `calibration: PostgreSQL itself should reject this as a syntax error\n${steps}`,
      );
      return;
    }
    assert.ok(
      effects.length > 0,
      `calibration: the attack has no effect even straight against PostgreSQL, so it tests nothing\n${steps}`,
    );
    return;
  }

  const problems: string[] = [];
  if (attack.expect?.kind === 'syntax') {
    const first = result.outcomes.find((o) => o.error || o.held);
    if (first?.error?.code !== '42601') {
      problems.push(
        `expected SQLSTATE 42601 (syntax error) from the gateway, got ${first?.error ? `${first.error.code} ${JSON.stringify(first.error.message)}` : 'no error'}`,
      );
    } else if (!attack.expect.message.test(first.error.message ?? '')) {
      problems.push(
        `the syntax error does not carry the parser's message: ${JSON.stringify(first.error.message)}`,
      );
    }
    const log = (await serverLog(target)).slice(logBefore);
    if (log.includes(attack.expect.token)) {
      problems.push('the unparsable text was forwarded: the server logged it');
    }
  } else if (!result.outcomes.some(isRefusal)) {
    problems.push('nothing was refused (no 42501/42601 from the gateway, no review hold)');
  }
  for (const effect of effects) problems.push(effect);
  assert.ok(
    problems.length === 0,
    `${attack.category} / ${attack.name}:\n${problems.map((p) => `* ${p}`).join('\n')}\nsteps:\n${steps}`,
  );
}
