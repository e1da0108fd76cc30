import type pg from 'pg';
import { classifySql } from '../../src/server/sql/index.js';
import { Random, iterationSeed } from './harness/seeded-random.js';
import { WireClient, errorsIn, wire, type Received } from './harness/wire-client.js';
import {
  generateSql,
  showBytes,
  type GeneratedSql,
  type LeadTable,
} from './lexing-fuzz-strings.js';
import {
  describeAim,
  generateState,
  type SessionState,
  type StateContext,
} from './lexing-fuzz-states.js';

/*
 * One fuzz iteration: a session state to try and a SQL string to send in
 * it, drawn from the iteration's own seed, run through the gateway or (for
 * calibration) straight against PostgreSQL with the same bytes.
 */

/** How the string travels: a Query, a Parse of the extended protocol, or behind the steps in the same write. */
export type Wrapper = 'query' | 'parse' | 'pipeline' | 'extended pipeline';

export interface IterationPlan {
  seed: number;
  iteration: number;
  connection: 'pg' | 'pg-super';
  state: SessionState;
  sql: GeneratedSql;
  wrapper: Wrapper;
}

/** What a database under test offers an iteration. */
export interface FuzzDatabase {
  /** For reports: `UTF8 database` … */
  name: string;
  database: string;
  asciiDatabase: boolean;
  /** Connections this database is reached by through the gateway. */
  connections: readonly ('pg' | 'pg-super')[];
  /** A local port tunnelled to the gateway's connection. */
  gatewayPort(connection: 'pg' | 'pg-super'): Promise<number>;
  /** The role and password the connection logs in with (for the direct run). */
  role(connection: 'pg' | 'pg-super'): { user: string; password: string; superuser: boolean };
  /** The PostgreSQL port (direct runs). */
  port: number;
  /** Superuser SQL (the harness's admin connection). */
  admin: pg.Client;
}

export function planIteration(
  runSeed: number,
  iteration: number,
  db: FuzzDatabase,
  leads: LeadTable,
): IterationPlan {
  const seed = iterationSeed(runSeed, iteration);
  const random = new Random(seed);
  const connection = db.connections.length > 1 && random.chance(0.15) ? 'pg-super' : 'pg';
  const role = db.role(connection);
  const context: StateContext = {
    database: db.database,
    role: role.user,
    superuser: role.superuser,
    asciiDatabase: db.asciiDatabase,
  };
  const state = generateState(random, context);
  const wrapper = random.weighted<Wrapper>([
    [50, 'query'],
    [20, 'parse'],
    [state.steps.length > 0 ? 20 : 5, 'pipeline'],
    [10, 'extended pipeline'],
  ]);
  const single = wrapper === 'parse' || wrapper === 'extended pipeline';
  const sql = generateSql(random, state.aim, leads, { single });
  return { seed, iteration, connection, state, sql, wrapper };
}

export type Verdict = 'refused' | 'ran' | 'server error' | 'not sent';

export interface IterationOutcome {
  /** The session could not start (the gateway refused its start-up, or the server did). */
  startup?: string;
  /** Each client step and what became of it. */
  steps: { sql: string; verdict: Verdict; error?: string }[];
  /** What became of the string. */
  verdict: Verdict;
  error?: string;
  /** Command tags the server completed for the string: what it ran. */
  tags: string[];
  /** The lexing settings the server last reported to the client. */
  reported: { standard_conforming_strings?: string; client_encoding?: string };
  /** No fresh backend was found when the state needed one. */
  staleBackend?: boolean;
}

const EXCHANGE_TIMEOUT_MS = 8_000;
const FRESH_ATTEMPTS = 8;
/** Time for a configuration reload to reach every backend (pg_reload_conf signals the postmaster, which signals them). */
export const RELOAD_SETTLE_MS = 250;

/**
 * Whether the gateway, not the server, refused: a `hoop:` message, a
 * protocol refusal, or a syntax error in text its own parser rejects (it
 * answers 42601 with the parser's message and never forwards the text).
 */
function gatewayRefused(error: { code?: string; message?: string }, text: string): boolean {
  if (/^hoop:/.test(error.message ?? '')) return true;
  if (error.code === '08P01') return true;
  return error.code === '42601' && !classifySql(text).ok;
}

function verdictOf(
  messages: readonly Received[],
  text: string,
  mode: 'gateway' | 'direct',
): { verdict: Verdict; error?: string } {
  const error = errorsIn(messages)[0];
  if (!error) return { verdict: messages.some(isReady) ? 'ran' : 'not sent' };
  const line = `${error.code} ${error.message}`;
  if (mode === 'gateway' && gatewayRefused(error, text)) return { verdict: 'refused', error: line };
  return { verdict: 'server error', error: line };
}

const isReady = (m: Received): boolean => m.type === 'readyForQuery';
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `plan` through the gateway or directly; the caller checks the target before and after. */
export async function runIteration(
  plan: IterationPlan,
  db: FuzzDatabase,
  mode: 'gateway' | 'direct',
): Promise<IterationOutcome> {
  const { state, sql, wrapper } = plan;
  const role = db.role(plan.connection);
  const outcome: IterationOutcome = { steps: [], verdict: 'not sent', tags: [], reported: {} };
  const clients: WireClient[] = [];
  const connect = async (parameters?: Record<string, string>): Promise<WireClient> => {
    const client = await WireClient.connect({
      port: mode === 'direct' ? db.port : await db.gatewayPort(plan.connection),
      user: mode === 'direct' ? role.user : 'agent',
      database: db.database,
      ...(mode === 'direct' ? { password: role.password } : {}),
      ...(parameters ? { parameters } : {}),
      timeoutMs: EXCHANGE_TIMEOUT_MS,
    });
    clients.push(client);
    return client;
  };
  try {
    for (const statement of state.admin) await db.admin.query(statement).catch(() => {});
    if (state.admin.some((s) => s.includes('pg_reload_conf'))) await sleep(RELOAD_SETTLE_MS);

    // Backends alive now: a pooled one may be handed out again, a fresh one may not.
    const known = new Set(
      (
        await db.admin.query<{ pid: number }>(
          "select pid from pg_stat_activity where usename in ('app', 'app_super')",
        )
      ).rows.map((row) => row.pid),
    );

    let client: WireClient;
    try {
      if (state.setup.length > 0) {
        const earlier = await connect();
        for (const statement of state.setup) {
          const answer = await earlier.query(statement, EXCHANGE_TIMEOUT_MS);
          outcome.steps.push({ sql: statement, ...verdictOf(answer, statement, mode) });
        }
        await earlier.close();
      }
      client = await connect(state.parameters);
      for (let i = 0; state.fresh && mode === 'gateway' && i < FRESH_ATTEMPTS; i++) {
        const answer = await client.query('select pg_backend_pid()', EXCHANGE_TIMEOUT_MS);
        const cell = answer.flatMap((m) => (m.type === 'dataRow' ? [m.values[0]] : []))[0];
        if (cell && !known.has(Number(cell.toString()))) break;
        if (i === FRESH_ATTEMPTS - 1) outcome.staleBackend = true;
        client = await connect(state.parameters);
      }
    } catch (error) {
      // A start-up refused (FATAL before ReadyForQuery), or closed without a word, refuses the session.
      const message = (error as Error).message;
      const refused = /^start-up refused: (.*)$/s.exec(message);
      if (!refused && !/closed the connection during start-up/.test(message)) throw error;
      outcome.startup = refused?.[1] ?? message;
      return outcome;
    }

    const steps = [...(state.transaction ? ['begin'] : []), ...state.steps];
    const text = sql.bytes.toString('utf8');
    const during = async (): Promise<void> => {
      if (state.adminDuring.length === 0) return;
      for (const statement of state.adminDuring) await db.admin.query(statement).catch(() => {});
      await sleep(RELOAD_SETTLE_MS);
    };
    let answer: Received[];
    if (wrapper === 'pipeline' || wrapper === 'extended pipeline') {
      await during();
      const extended = wrapper === 'extended pipeline';
      const message = (body: string | Buffer): Buffer[] =>
        extended ? [wire.parse('', body), wire.bind('', ''), wire.execute()] : [wire.query(body)];
      const all = [...steps, sql.bytes, ...(state.transaction ? ['commit'] : [])];
      const from = client.messages.length;
      client.send(...all.flatMap(message), ...(extended ? [wire.sync()] : []));
      answer = await client.readyAfter(from, extended ? 1 : all.length, EXCHANGE_TIMEOUT_MS);
      // Each message's own answer: up to its ReadyForQuery, or (one Sync) its Execute's end.
      const segments = extended ? splitByExecute(answer) : splitByReady(answer);
      const own = segments[steps.length] ?? [];
      for (const [i, step] of steps.entries()) {
        outcome.steps.push({ sql: step, ...verdictOf(segments[i] ?? [], step, mode) });
      }
      Object.assign(outcome, verdictOf(own, text, mode));
      outcome.tags = tagsOf(own);
    } else {
      for (const step of steps) {
        const part = await client.query(step, EXCHANGE_TIMEOUT_MS);
        outcome.steps.push({ sql: step, ...verdictOf(part, step, mode) });
        if (client.closed) break;
      }
      await during();
      if (!client.closed) {
        const messages =
          wrapper === 'parse'
            ? [wire.parse('', sql.bytes), wire.bind('', ''), wire.execute(), wire.sync()]
            : [wire.query(sql.bytes)];
        answer = await client.exchange(messages, 1, EXCHANGE_TIMEOUT_MS);
        Object.assign(outcome, verdictOf(answer, text, mode));
        outcome.tags = tagsOf(answer);
        if (state.transaction && !client.closed) await client.query('commit', EXCHANGE_TIMEOUT_MS);
      }
    }
    const scs = client.parameters.get('standard_conforming_strings');
    const encoding = client.parameters.get('client_encoding');
    outcome.reported = {
      ...(scs === undefined ? {} : { standard_conforming_strings: scs }),
      ...(encoding === undefined ? {} : { client_encoding: encoding }),
    };
    return outcome;
  } finally {
    for (const client of clients.reverse()) await client.close().catch(() => {});
  }
}

function splitByReady(messages: readonly Received[]): Received[][] {
  const segments: Received[][] = [[]];
  for (const message of messages) {
    segments[segments.length - 1]!.push(message);
    if (isReady(message)) segments.push([]);
  }
  return segments;
}

/** Answers to Parse/Bind/Execute triples before one Sync: each ends in CommandComplete or an error (which skips the rest). */
function splitByExecute(messages: readonly Received[]): Received[][] {
  const segments: Received[][] = [[]];
  for (const message of messages) {
    segments[segments.length - 1]!.push(message);
    if (
      message.type === 'commandComplete' ||
      message.type === 'errorResponse' ||
      message.type === 'emptyQueryResponse'
    )
      segments.push([]);
  }
  // An Execute that completed was answered; those after an error were skipped (left empty).
  const ready = messages.find(isReady);
  if (ready) for (const segment of segments) if (segment.length > 0) segment.push(ready);
  return segments;
}

function tagsOf(messages: readonly Received[]): string[] {
  return messages.flatMap((m) => (m.type === 'commandComplete' ? [m.tag] : []));
}

/** What the gateway's own classifier makes of the string: the statements it decided on. */
export function gatewayView(sql: GeneratedSql): string {
  const classification = classifySql(sql.bytes.toString('utf8'));
  if (!classification.ok) return `does not parse (${classification.error.message})`;
  return classification.statements
    .map(
      (s) =>
        `${s.kinds.join('+')}${s.functions.length > 0 ? ` calling ${s.functions.join(', ')}` : ''}`,
    )
    .join('; ');
}

/** Everything needed to reproduce and understand one iteration, for failure reports. */
export function describeIteration(
  runSeed: number,
  plan: IterationPlan,
  db: FuzzDatabase,
  outcome?: IterationOutcome,
): string {
  const lines = [
    `iteration ${plan.iteration} of seed ${runSeed}; replay: HOOP_FUZZ_SEED=${runSeed} HOOP_FUZZ_ONLY=${plan.iteration} node scripts/test.js test/adversarial/postgres-lexing-fuzz.test.ts -- --test-name-pattern='${db.name}'`,
    `  database: ${db.name}; connection ${plan.connection}`,
    `  state (${plan.state.family}): ${plan.state.label}`,
    `  aims at: ${describeAim(plan.state.aim)}`,
    `  string (${plan.wrapper}, ${plan.sql.recipe}): ${showBytes(plan.sql.bytes)}`,
    `  the gateway reads it as: ${gatewayView(plan.sql)}`,
  ];
  if (outcome) {
    if (outcome.startup) lines.push(`  start-up refused: ${outcome.startup}`);
    for (const step of outcome.steps)
      lines.push(`  step ${step.sql} → ${step.verdict}${step.error ? ` (${step.error})` : ''}`);
    lines.push(
      `  string → ${outcome.verdict}${outcome.error ? ` (${outcome.error})` : ''}; the server completed: ${outcome.tags.join(', ') || 'nothing'}`,
    );
    lines.push(`  the server last reported: ${JSON.stringify(outcome.reported)}`);
  }
  return lines.join('\n');
}
