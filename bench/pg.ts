/**
 * `npm run bench:pg [-- --reps 3 ...]`: what the gateway costs PostgreSQL
 * clients against connecting to the server directly, measured in the same
 * run on the same machine.
 *
 * A throwaway PostgreSQL (SCRAM), a real gateway (`hoop server --config
 * FILE`) and real `hoop connect` processes; pgbench, psql and `hoop exec` as
 * clients, and the `pg` driver as a slow reader of a 1 GB result. Every
 * figure is the median of `--reps` runs with the direct and the hoop path
 * interleaved, printed against direct.
 *
 * Exit status: 0 when the bench ran (1 with `--strict` if a target was
 * missed), 2 when it could not run.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { execOnConnection } from '../src/cli/exec/run.js';
import { startPostgres } from '../test/helpers/postgres.js';
import { onExit } from './lib/children.js';
import {
  findPgTool,
  pgbenchInit,
  pgbenchSelect,
  psqlDiscard,
  psqlRun,
  run,
  type PgEndpoint,
} from './lib/pg-clients.js';
import { MASKED, PLAIN, RELAY, startPgStack } from './lib/pg-stack.js';
import { startNodeRelay, startPgbouncer } from './lib/pg-references.js';
import { slowReaderPhase } from './lib/pg-slow-reader.js';
import {
  interleaved,
  micros,
  pairedMedian,
  progress,
  ratio,
  verdict,
  type Row,
} from './lib/phase.js';
import { median, percentile, table } from './lib/stats.js';
import { positiveOption } from './lib/options.js';

const USAGE = `usage: npm run bench:pg -- [options]
  --reps N        repetitions of each measurement; medians are reported (default 3)
  --seconds S     length of each pgbench throughput run (default 5)
  --rows N        rows in the select * table (default 1000000)
  --execs N       timed hoop exec runs (default 20)
  --slow-rows N   rows of 1000 characters for the slow reader (default 1000000, about 1 GB)
  --slow-rate M   the slow reader's pace in MiB/s, below what the path relays (default 36)
  --timeout S     give up after S seconds (default 480)
  --only LIST     run only these phases, comma-separated: pgbench, latency, exec, scan, slow
  --strict        exit 1 when a target is missed
environment: HOOP_BENCH_NODE_ARGS adds node options to the gateway and hoop connect (--cpu-prof …)`;

function parseOptions() {
  const { values } = parseArgs({
    options: {
      reps: { type: 'string', default: '3' },
      seconds: { type: 'string', default: '5' },
      rows: { type: 'string', default: '1000000' },
      execs: { type: 'string', default: '20' },
      'slow-rows': { type: 'string', default: '1000000' },
      'slow-rate': { type: 'string', default: '36' },
      timeout: { type: 'string', default: '480' },
      only: { type: 'string', default: PHASES.join(',') },
      strict: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const positive = positiveOption(USAGE);
  const only = new Set(values.only.split(',').map((phase) => phase.trim()));
  for (const phase of only) {
    if (!(PHASES as readonly string[]).includes(phase)) {
      console.error(`bench: unknown phase ${phase}\n${USAGE}`);
      process.exit(2);
    }
  }
  return {
    reps: positive('reps', values.reps),
    seconds: positive('seconds', values.seconds),
    rows: positive('rows', values.rows),
    execs: positive('execs', values.execs),
    slowRows: positive('slow-rows', values['slow-rows']),
    slowRate: positive('slow-rate', values['slow-rate']),
    timeoutMs: positive('timeout', values.timeout) * 1000,
    strict: values.strict,
    runs: (phase: Phase): boolean => only.has(phase),
  };
}

const PHASES = ['pgbench', 'latency', 'exec', 'scan', 'slow'] as const;
type Phase = (typeof PHASES)[number];

/** The 4-column table `select *` reads; `email` is the masked column, the others go through the detectors. */
const WIDE_TABLE = 'wide';
const MASKED_COLUMN = `${WIDE_TABLE}.email`;
const ONE_ROW = 'select aid, abalance from pgbench_accounts where aid = 42';

async function main(): Promise<number> {
  const options = parseOptions();
  const root = mkdtempSync(path.join(os.tmpdir(), 'hoop-bench-pg-'));
  onExit(() => rmSync(root, { recursive: true, force: true }));
  setTimeout(() => {
    console.error(`bench: gave up after ${options.timeoutMs / 1000} s`);
    process.exit(2);
  }, options.timeoutMs).unref();
  const pgbench = findPgTool('pgbench');
  const psql = findPgTool('psql');

  const [load] = os.loadavg();
  console.error(
    `hoop pg bench: node ${process.version}, ${os.availableParallelism()} CPUs, ` +
      `load average ${load?.toFixed(2)} at start; medians of ${options.reps} runs`,
  );
  const server = await startPostgres({ authMethod: 'scram-sha-256', password: 'bench-secret-7q' });
  const stack = await startPgStack({ dir: root, target: server, maskedColumn: MASKED_COLUMN });
  const rows: Row[] = [];
  try {
    const direct: PgEndpoint = server;
    progress(`loading pgbench scale 1 and ${options.rows} rows into ${WIDE_TABLE}`);
    await pgbenchInit(pgbench, direct, 1);
    await psqlRun(
      psql,
      direct,
      `create table ${WIDE_TABLE} as select g as id, 'customer ' || g as name, ` +
        `'user' || g || '@example.com' as email, 'order ' || g || ' shipped' as note ` +
        `from generate_series(1, ${options.rows}) g; analyze ${WIDE_TABLE}`,
    );
    const [plain, masked, relayed] = await Promise.all([
      stack.connect(PLAIN),
      stack.connect(MASKED),
      stack.connect(RELAY),
    ]);
    // The same two hops relaying bytes unread (a `tcp` connection): what the hops alone cost here.
    const relay: PgEndpoint = { ...server, port: relayed.port };
    const via = (port: number): PgEndpoint => ({ ...server, port, user: 'bench', password: '' });
    const hoop = via(plain.port);
    const hoopMasked = via(masked.port);
    // One-hop references: a plain Node TCP relay and pgbouncer (when installed).
    const references = [await startNodeRelay(direct)];
    const bouncer = await startPgbouncer(direct, root).catch((error: unknown) => {
      progress(
        `pgbouncer reference skipped: ${error instanceof Error ? error.message : String(error)}`,
      );
      return undefined;
    });
    if (bouncer) references.push(bouncer);
    onExit(() => void Promise.all(references.map((reference) => reference.close())));
    const referenceRunners = (runner: (at: PgEndpoint) => () => Promise<number>) =>
      Object.fromEntries(
        references.map((reference) => [reference.label, runner(reference.endpoint)]),
      );
    const referenceColumn = (
      result: Record<string, number[]>,
      combine: (value: number, direct: number) => number,
      show: (value: number) => string,
    ): string =>
      [
        `two-hop relay ${show(pairedMedian(result.relay, result.direct, combine))}`,
        ...references.map(
          (reference) =>
            `${reference.label} ${show(pairedMedian(result[reference.label], result.direct, combine))}`,
        ),
      ].join(', ');

    // pgbench select-only at 8 clients, both protocols.
    for (const mode of options.runs('pgbench') ? (['simple', 'prepared'] as const) : []) {
      const tps =
        (at: PgEndpoint, seconds = options.seconds) =>
        async () =>
          (await pgbenchSelect(pgbench, at, { clients: 8, seconds, mode })).tps;
      // A warm-up: a loaded machine may spend the whole short run connecting.
      await interleaved(1, { direct: tps(direct, 3), hoop: tps(hoop, 3) }).catch(() => undefined);
      const result = await interleaved(options.reps, {
        direct: tps(direct),
        hoop: tps(hoop),
        relay: tps(relay),
        ...referenceRunners((at) => tps(at)),
      });
      result.direct?.forEach((value, i) =>
        progress(
          `pgbench -S -c 8 -M ${mode} #${i + 1}: ` +
            Object.entries(result)
              .map(([name, values]) => `${name} ${(values[i] ?? NaN).toFixed(0)} tps`)
              .join(', '),
        ),
      );
      const r = pairedMedian(result.hoop, result.direct, (v, d) => v / d);
      rows.push({
        metric: `pgbench -S, 8 clients, ${mode}`,
        direct: `${median(result.direct ?? []).toFixed(0)} tps`,
        hoop: `${median(result.hoop ?? []).toFixed(0)} tps`,
        compare: ratio(r),
        reference: referenceColumn(result, (v, d) => v / d, ratio),
        target: '≥ 0.45×',
        result: verdict(r >= 0.45),
      });
    }

    // One client: the latency hoop adds to each transaction.
    const logDir = path.join(root, 'pgbench-log');
    mkdirSync(logDir);
    const p50 = (at: PgEndpoint) => async () =>
      percentile(
        (await pgbenchSelect(pgbench, at, { clients: 1, seconds: 3, mode: 'simple', logDir }))
          .latenciesUs,
        50,
      );
    if (options.runs('latency')) {
      const latency = await interleaved(options.reps, {
        direct: p50(direct),
        hoop: p50(hoop),
        relay: p50(relay),
        ...referenceRunners(p50),
      });
      latency.direct?.forEach((value, i) =>
        progress(
          `pgbench -S -c 1 p50 #${i + 1}: ` +
            Object.entries(latency)
              .map(([name, values]) => `${name} ${micros(values[i] ?? NaN)}`)
              .join(', '),
        ),
      );
      const added = pairedMedian(latency.hoop, latency.direct, (v, d) => v - d);
      rows.push({
        metric: 'pgbench -S, 1 client, p50 latency',
        direct: micros(median(latency.direct ?? [])),
        hoop: micros(median(latency.hoop ?? [])),
        compare: `+${micros(added)}`,
        reference: referenceColumn(
          latency,
          (v, d) => v - d,
          (v) => `+${micros(v)}`,
        ),
        target: '≤ +150 µs',
        result: verdict(added <= 150),
      });
    }

    if (options.runs('exec'))
      await execPhase(options.execs, { psql, direct, cliEnv: stack.cliEnv, rows });

    // select * of the wide table, read to the end and thrown away by psql.
    const selectAll = (at: PgEndpoint) => async () =>
      psqlDiscard(psql, at, `select * from ${WIDE_TABLE}`);
    const cpu = { plain: 0, masked: 0 };
    const tallied =
      (which: keyof typeof cpu, at: PgEndpoint, cli: typeof plain.cli) => async () => {
        const before = stack.gateway.cpuSeconds() + cli.cpuSeconds();
        const ms = await selectAll(at)();
        cpu[which] += stack.gateway.cpuSeconds() + cli.cpuSeconds() - before;
        return ms;
      };
    const scanned = async (): Promise<Record<string, number[]>> => {
      await interleaved(1, { direct: selectAll(direct), hoop: selectAll(hoop) });
      return interleaved(options.reps, {
        direct: selectAll(direct),
        hoop: tallied('plain', hoop, plain.cli),
        masked: tallied('masked', hoopMasked, masked.cli),
      });
    };
    const scan = options.runs('scan') ? await scanned() : {};
    scan.direct?.forEach((value, i) =>
      progress(
        `select * ${options.rows} rows #${i + 1}: direct ${value.toFixed(0)} ms, ` +
          `hoop ${(scan.hoop?.[i] ?? NaN).toFixed(0)} ms, masked ${(scan.masked?.[i] ?? NaN).toFixed(0)} ms`,
      ),
    );
    const rowsPerSecond = (ms: number): string =>
      `${((options.rows / ms) * 1000) / 1e6 >= 0.1 ? (((options.rows / ms) * 1000) / 1e6).toFixed(2) + ' M' : (((options.rows / ms) * 1000) / 1e3).toFixed(0) + ' k'} rows/s`;
    for (const [label, values, target, which] of options.runs('scan')
      ? ([
          ['unmasked', scan.hoop, 0.95, 'plain'],
          ['mask rule + detectors', scan.masked, 0.65, 'masked'],
        ] as const)
      : []) {
      const r = pairedMedian(values, scan.direct, (v, d) => d / v);
      rows.push({
        metric: `select * ${options.rows} rows × 4 cols, ${label}`,
        direct: rowsPerSecond(median(scan.direct ?? [])),
        hoop: rowsPerSecond(median(values ?? [])),
        compare: ratio(r),
        reference: `gateway+CLI CPU ${(cpu[which] / options.reps).toFixed(2)} s/run`,
        target: `≥ ${target.toFixed(2)}×`,
        result: verdict(r >= target),
      });
    }
    // A 1 GB result through a slow reader: the gateway must hold the target back, not buffer.
    if (options.runs('slow'))
      await slowReaderPhase({
        gateway: stack.gateway,
        plain: { endpoint: hoop, cli: plain.cli },
        masked: { endpoint: hoopMasked, cli: masked.cli },
        maskedTable: WIDE_TABLE,
        rows: options.slowRows,
        bytesPerSecond: options.slowRate * 1024 * 1024,
        out: rows,
      });
    rows.push({
      metric: 'gateway RSS after the runs above',
      direct: '',
      hoop: `${(stack.gateway.rss() / 1024 / 1024).toFixed(0)} MiB`,
      compare: '',
      reference: '',
      target: '',
      result: 'info',
    });
  } finally {
    await stack.close();
    await server.stop();
  }

  console.log(
    '\n' +
      table([
        ['metric', 'direct', 'through hoop', 'hoop vs direct', 'reference', 'target', 'result'],
        ...rows.map((row) => [
          row.metric,
          row.direct,
          row.hoop,
          row.compare,
          row.reference,
          row.target,
          row.result,
        ]),
      ]),
  );
  const missed = rows.filter((row) => row.result === 'FAIL').length;
  console.log(missed === 0 ? '\nAll targets met.' : `\n${missed} target(s) missed.`);
  return missed > 0 && options.strict ? 1 : 0;
}

/**
 * `hoop exec` of a one-row select, two ways: the request itself
 * (`execOnConnection` in this process: login check, connection lookup,
 * tunnel, SCRAM to the target, query) against the `pg` driver connecting
 * directly, and the whole CLI process against a `psql -c` process.
 */
async function execPhase(
  count: number,
  context: { psql: string; direct: PgEndpoint; cliEnv: NodeJS.ProcessEnv; rows: Row[] },
): Promise<void> {
  const { psql, direct, cliEnv, rows } = context;
  const env = { ...process.env, ...cliEnv };
  const request = { direct: [] as number[], hoop: [] as number[] };
  const processes = { direct: [] as number[], hoop: [] as number[] };
  const hoopBin = path.resolve('bin/run.js');
  const timed = async (body: () => Promise<unknown>): Promise<number> => {
    const start = performance.now();
    await body();
    return performance.now() - start;
  };
  for (let i = 0; i < count + 2; i++) {
    const warm = i < 2;
    const d = await timed(async () => {
      const client = new pg.Client({ ...direct, host: '127.0.0.1' });
      await client.connect();
      await client.query(ONE_ROW);
      await client.end();
    });
    const h = await timed(() =>
      execOnConnection({ gateway: cliEnv.HOOP_GATEWAY ?? '', name: PLAIN, input: ONE_ROW, env }),
    );
    const dp = (
      await run(
        psql,
        [
          '-h',
          '127.0.0.1',
          '-p',
          String(direct.port),
          '-U',
          direct.user,
          '-XAtc',
          ONE_ROW,
          direct.database,
        ],
        { PGPASSWORD: direct.password },
      )
    ).ms;
    const hp = (await run(process.execPath, [hoopBin, 'exec', PLAIN, '-i', ONE_ROW], cliEnv)).ms;
    if (warm) continue;
    request.direct.push(d);
    request.hoop.push(h);
    processes.direct.push(dp);
    processes.hoop.push(hp);
  }
  const ms = (value: number): string => `${value.toFixed(1)} ms`;
  const p50 = (values: number[]): number => percentile(values, 50);
  progress(
    `hoop exec p50 of ${count}: request ${ms(p50(request.hoop))} (pg driver direct ${ms(p50(request.direct))}), ` +
      `process ${ms(p50(processes.hoop))} (psql direct ${ms(p50(processes.direct))})`,
  );
  rows.push({
    metric: 'hoop exec one-row select p50, request',
    direct: ms(p50(request.direct)),
    hoop: ms(p50(request.hoop)),
    compare: `+${ms(p50(request.hoop) - p50(request.direct))}`,
    reference: '',
    target: '≤ 5 ms',
    result: verdict(p50(request.hoop) <= 5),
  });
  rows.push({
    metric: 'hoop exec one-row select p50, CLI process',
    direct: ms(p50(processes.direct)),
    hoop: ms(p50(processes.hoop)),
    compare: ratio(p50(processes.hoop) / p50(processes.direct)),
    reference: `+${ms(p50(processes.hoop) - p50(processes.direct))}`,
    target: '≤ 2.00×',
    result: verdict(p50(processes.hoop) <= 2 * p50(processes.direct)),
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  },
);
