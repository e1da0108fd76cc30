/**
 * `npm run bench:audit [-- --seconds 5 ...]`: what recording statements
 * costs, measured in the same run against the same gateway with recording
 * off and against connecting to PostgreSQL directly.
 *
 * A throwaway PostgreSQL, two gateway processes with the same policy (every
 * statement classified and decided), one recording (journal, chain, store)
 * and one not, each reached through a real `hoop connect`; pgbench as the
 * client. Then `hoop audit verify`'s work over a store of a million events.
 *
 * Exit status: 0 when the bench ran (1 with `--strict` if a target was
 * missed), 2 when it could not run.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import SqliteDatabase from 'better-sqlite3';
import { generateApiKey, hashApiKey } from '../src/lib/api-key.js';
import { verifySqliteFile } from '../src/server/audit/verify-store.js';
import { startPostgres } from '../test/helpers/postgres.js';
import { writeChainFixture } from './lib/audit-fixture.js';
import { onExit, spawnHoop, spawnNode, type NodeProcess } from './lib/children.js';
import { findPgTool, pgbenchInit, pgbenchSelect, type PgEndpoint } from './lib/pg-clients.js';
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

const USAGE = `usage: npm run bench:audit -- [options]
  --reps N      repetitions of each measurement; medians are reported (default 3)
  --seconds S   length of each pgbench run (default 5)
  --clients N   pgbench clients for the throughput runs (default 8)
  --events N    events in the store verify reads (default 1000000)
  --timeout S   give up after S seconds (default 600)
  --strict      exit 1 when a target is missed`;

function parseOptions() {
  const { values } = parseArgs({
    options: {
      reps: { type: 'string', default: '3' },
      seconds: { type: 'string', default: '5' },
      clients: { type: 'string', default: '8' },
      events: { type: 'string', default: '1000000' },
      timeout: { type: 'string', default: '600' },
      strict: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const positive = positiveOption(USAGE);
  return {
    reps: positive('reps', values.reps),
    seconds: positive('seconds', values.seconds),
    clients: positive('clients', values.clients),
    events: positive('events', values.events),
    timeoutMs: positive('timeout', values.timeout) * 1000,
    strict: values.strict,
  };
}

interface Side {
  gateway: NodeProcess;
  cli: NodeProcess;
  endpoint: PgEndpoint;
  store: string;
}

/** A gateway process (recording or not) with its own store, and a `hoop connect` to it. */
async function startSide(dir: string, target: PgEndpoint, record: boolean): Promise<Side> {
  mkdirSync(path.join(dir, 'cli'), { recursive: true });
  const token = generateApiKey();
  const store = path.join(dir, 'hoop.db');
  const config = path.join(dir, 'hoop.yaml');
  writeFileSync(
    config,
    [
      'listen: 127.0.0.1:0',
      `store: sqlite:${store}`,
      'log: { level: warn }',
      'auth:',
      '  apiKeys:',
      `    - { name: bench, groups: [bench], keyHash: "${hashApiKey(token)}" }`,
      'connections:',
      `  - { name: pg, type: postgres, host: 127.0.0.1, port: ${target.port}, database: ${target.database}, user: ${target.user}, password: "\${env:HOOP_BENCH_PG_PASSWORD}", groups: [bench] }`,
      'policy:',
      '  - { name: no-drops, match: { statements: [drop] }, effect: deny }',
      '  - { name: bench, match: { groups: [bench] }, effect: allow }',
      '',
    ].join('\n'),
  );
  const label = record ? 'gateway (recording)' : 'gateway (recording off)';
  const gateway = spawnNode(
    label,
    ['--import', 'tsx', 'bench/lib/audit-gateway.ts', config, ...(record ? [] : ['--no-record'])],
    { HOOP_BENCH_PG_PASSWORD: target.password },
  );
  const [, url] = await gateway.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/, 60_000);
  // --no-tls: the direct path these figures are compared with is plaintext too.
  const cli = spawnHoop(`hoop connect (${label})`, ['connect', 'pg', '--port', '0', '--no-tls'], {
    HOOP_GATEWAY: url!,
    HOOP_TOKEN: token,
    HOOP_CONFIG_DIR: path.join(dir, 'cli'),
    HOOP_TOKEN_STORE: 'file',
  });
  const [, port] = await cli.waitFor(/Forwarding 127\.0\.0\.1:(\d+)/);
  return {
    gateway,
    cli,
    endpoint: { ...target, port: Number(port), user: 'bench', password: '' },
    store,
  };
}

function countEvents(file: string): number {
  const db = new SqliteDatabase(file, { readonly: true });
  try {
    return (db.prepare('select count(*) as n from events').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

async function main(): Promise<number> {
  const options = parseOptions();
  const root = mkdtempSync(path.join(os.tmpdir(), 'hoop-bench-audit-'));
  onExit(() => rmSync(root, { recursive: true, force: true }));
  setTimeout(() => {
    console.error(`bench: gave up after ${options.timeoutMs / 1000} s`);
    process.exit(2);
  }, options.timeoutMs).unref();
  const pgbench = findPgTool('pgbench');
  const [load] = os.loadavg();
  console.error(
    `hoop audit bench: node ${process.version}, ${os.availableParallelism()} CPUs, ` +
      `load average ${load?.toFixed(2)} at start; medians of ${options.reps} runs`,
  );
  const server = await startPostgres({ authMethod: 'scram-sha-256', password: 'bench-secret-a9' });
  const rows: Row[] = [];
  const sides: Side[] = [];
  try {
    const direct: PgEndpoint = server;
    progress('loading pgbench scale 1');
    await pgbenchInit(pgbench, direct, 1);
    const on = await startSide(path.join(root, 'on'), direct, true);
    sides.push(on);
    const off = await startSide(path.join(root, 'off'), direct, false);
    sides.push(off);

    // Throughput: statements recorded per second while pgbench runs through the gateway.
    const clients = options.clients;
    const tps = (at: PgEndpoint, seconds: number) => async () =>
      (await pgbenchSelect(pgbench, at, { clients, seconds, mode: 'simple' })).tps;
    const recorded: number[] = [];
    const recording = (seconds: number) => async () => {
      const before = countEvents(on.store);
      const started = performance.now();
      const result = await tps(on.endpoint, seconds)();
      const elapsed = (performance.now() - started) / 1000;
      // The store lags the journal by one batch window.
      await new Promise((resolve) => setTimeout(resolve, 300));
      recorded.push((countEvents(on.store) - before) / elapsed);
      return result;
    };
    await interleaved(1, { on: recording(1), off: tps(off.endpoint, 1) });
    recorded.length = 0;
    const throughput = await interleaved(options.reps, {
      direct: tps(direct, options.seconds),
      on: recording(options.seconds),
      off: tps(off.endpoint, options.seconds),
    });
    throughput.on?.forEach((value, i) =>
      progress(
        `pgbench -S -c ${clients} #${i + 1}: direct ${(throughput.direct?.[i] ?? NaN).toFixed(0)} tps, ` +
          `recording off ${(throughput.off?.[i] ?? NaN).toFixed(0)} tps, recording ${value.toFixed(0)} tps, ` +
          `${(recorded[i] ?? NaN).toFixed(0)} events/s into the store`,
      ),
    );
    const eventsPerSecond = median(recorded);
    rows.push({
      metric: `statements recorded/s, pgbench -S -c ${clients} through the gateway`,
      direct: `${median(throughput.direct ?? []).toFixed(0)} tps`,
      hoop: `${eventsPerSecond.toFixed(0)} events/s`,
      compare: '',
      reference: `off: ${median(throughput.off ?? []).toFixed(0)} tps`,
      target: '≥ 5000/s',
      result: verdict(eventsPerSecond >= 5000),
    });
    const r = pairedMedian(throughput.on, throughput.off, (v, d) => v / d);
    rows.push({
      metric: `pgbench -S -c ${clients} tps, recording vs recording off`,
      direct: '',
      hoop: `${median(throughput.on ?? []).toFixed(0)} tps`,
      compare: ratio(r),
      reference: '',
      target: '',
      result: 'info',
    });

    // Latency: one client, p50 per transaction.
    const logDir = path.join(root, 'pgbench-log');
    mkdirSync(logDir);
    const p50 = (at: PgEndpoint) => async () =>
      percentile(
        (await pgbenchSelect(pgbench, at, { clients: 1, seconds: 3, mode: 'simple', logDir }))
          .latenciesUs,
        50,
      );
    const latency = await interleaved(options.reps, {
      direct: p50(direct),
      off: p50(off.endpoint),
      on: p50(on.endpoint),
    });
    latency.on?.forEach((value, i) =>
      progress(
        `pgbench -S -c 1 p50 #${i + 1}: direct ${micros(latency.direct?.[i] ?? NaN)}, ` +
          `recording off ${micros(latency.off?.[i] ?? NaN)}, recording ${micros(value)}`,
      ),
    );
    const added = pairedMedian(latency.on, latency.off, (v, d) => v - d);
    const total = median(latency.on ?? []);
    const gatewayAdded = total - median(latency.direct ?? []);
    rows.push({
      metric: 'latency recording adds, pgbench -S -c 1 p50',
      direct: micros(median(latency.direct ?? [])),
      hoop: micros(total),
      compare: `+${micros(added)} (${((added / total) * 100).toFixed(1)}% of total)`,
      reference: `${((added / gatewayAdded) * 100).toFixed(0)}% of the +${micros(gatewayAdded)} hoop adds`,
      target: '≤ 10% of total',
      result: verdict(added <= 0.1 * total),
    });

    // Verification over a million events, as `hoop audit verify` does it on a SQLite store.
    const file = path.join(root, 'verify.db');
    progress(`writing ${options.events} chained, signed events`);
    const signer = await writeChainFixture(file, options.events);
    const cpu0 = process.cpuUsage();
    const started = performance.now();
    let events = 0;
    let problems = 0;
    for (const report of verifySqliteFile(file, signer.publicKey)) {
      if ('notFound' in report) continue;
      events += report.events;
      problems += report.problems.length;
    }
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    if (problems > 0 || events !== options.events)
      throw new Error(`verify found ${problems} problems in ${events} events`);
    rows.push({
      metric: `hoop audit verify, ${events} events`,
      direct: '',
      hoop: `${seconds.toFixed(2)} s`,
      compare: `${(events / seconds / 1e3).toFixed(0)} k events/s`,
      reference: `CPU ${cpuSeconds.toFixed(2)} s`,
      target: '≤ 10 s',
      result: verdict(seconds <= 10),
    });
  } finally {
    for (const side of sides) {
      await side.cli.stop();
      await side.gateway.stop();
    }
    await server.stop();
  }

  console.log(
    '\n' +
      table([
        ['metric', 'direct', 'through hoop', 'compare', 'reference', 'target', 'result'],
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
  const [after] = os.loadavg();
  console.log(
    `load average ${after?.toFixed(2)} at the end${missed ? `; ${missed} target(s) missed` : ''}`,
  );
  return missed && options.strict ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`bench: ${(error as Error).stack ?? String(error)}`);
    process.exit(2);
  },
);
