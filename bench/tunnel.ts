/**
 * `npm run bench:tunnel [-- --size 64 ...]`: what the tunnel costs against
 * the direct path, measured in the same run on the same machine.
 *
 * A real gateway (`hoop server --config FILE`) and real `hoop connect`
 * processes, each with its own event loop; the targets and load generators
 * run in this process. Each figure is the median of `--reps` runs, with the
 * direct, tunnelled and reference runs interleaved, and is printed against
 * direct (a ratio or a difference), since absolute numbers on a shared
 * machine say little. The reference is the same process topology with plain
 * `socket.pipe()` relays: the floor that two extra Node processes and
 * loopback hops set on this machine.
 *
 * Exit status: 0 when the bench ran (1 with `--strict` if a target was
 * missed), 2 when it could not run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { onExit } from './lib/children.js';
import { idlePhase } from './lib/idle.js';
import { memoryPhase } from './lib/memory.js';
import type { PhaseContext, PhaseOptions, Row } from './lib/phase.js';
import { MiB, table } from './lib/stats.js';
import { startTargets } from './lib/targets.js';
import { transferPhase } from './lib/transfer.js';

const PHASES = ['throughput', 'latency', 'memory', 'idle'] as const;
type Phase = (typeof PHASES)[number];

const USAGE = `usage: npm run bench:tunnel -- [options]
  --size MIB          bytes per transfer and for the slow reader (default 256)
  --reps N            repetitions of each measurement; medians are reported (default 3)
  --round-trips N     timed 1-byte round trips per repetition (default 5000)
  --tunnels N         concurrent idle tunnels (default 500)
  --slow-seconds S    how long the slow reader takes to read --size (default 12)
  --only LIST         some of ${PHASES.join(',')} (default all)
  --skip-reference    do not measure the plain-relay reference
  --max-buffered N    the gateway's tunnel.maxBufferedBytes (default: the gateway's own)
  --timeout S         give up after S seconds (default 300)
  --strict            exit 1 when a target is missed
environment: HOOP_BENCH_NODE_ARGS adds node options to every child process (--cpu-prof …)`;

interface Options extends PhaseOptions {
  phases: Set<Phase>;
  timeoutMs: number;
  strict: boolean;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      size: { type: 'string', default: '256' },
      reps: { type: 'string', default: '3' },
      'round-trips': { type: 'string', default: '5000' },
      tunnels: { type: 'string', default: '500' },
      'slow-seconds': { type: 'string', default: '12' },
      only: { type: 'string', default: PHASES.join(',') },
      'skip-reference': { type: 'boolean', default: false },
      'max-buffered': { type: 'string' },
      timeout: { type: 'string', default: '300' },
      strict: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const positive = (name: string, text: string): number => {
    const value = Number(text);
    if (!Number.isFinite(value) || value <= 0) usage(`--${name} must be a positive number`);
    return value;
  };
  const phases = values.only.split(',').map((name) => name.trim());
  for (const name of phases)
    if (!(PHASES as readonly string[]).includes(name)) usage(`unknown phase ${name} in --only`);
  const maxBuffered = values['max-buffered'];
  return {
    bytes: Math.round(positive('size', values.size) * MiB),
    reps: Math.round(positive('reps', values.reps)),
    roundTrips: Math.round(positive('round-trips', values['round-trips'])),
    tunnels: Math.round(positive('tunnels', values.tunnels)),
    slowSeconds: positive('slow-seconds', values['slow-seconds']),
    reference: !values['skip-reference'],
    tunnel:
      maxBuffered === undefined
        ? {}
        : { maxBufferedBytes: Math.round(positive('max-buffered', maxBuffered)) },
    phases: new Set(phases as Phase[]),
    timeoutMs: positive('timeout', values.timeout) * 1000,
    strict: values.strict,
  };
}

function usage(message: string): never {
  console.error(`bench: ${message}\n${USAGE}`);
  process.exit(2);
}

async function main(): Promise<number> {
  const options = parseOptions();
  const root = mkdtempSync(path.join(os.tmpdir(), 'hoop-bench-'));
  onExit(() => rmSync(root, { recursive: true, force: true }));
  setTimeout(() => {
    console.error(`bench: gave up after ${options.timeoutMs / 1000} s`);
    process.exit(2);
  }, options.timeoutMs).unref();

  const [load] = os.loadavg();
  console.error(
    `hoop tunnel bench: node ${process.version}, ${os.availableParallelism()} CPUs, ` +
      `load average ${load?.toFixed(2)} at start; medians of ${options.reps} runs`,
  );
  const targets = await startTargets();
  const rows: Row[] = [];
  const context = (phase: string): PhaseContext => ({
    options,
    targets,
    dir: path.join(root, phase),
    rows,
  });
  const has = (phase: Phase): boolean => options.phases.has(phase);
  if (has('throughput') || has('latency'))
    await transferPhase(context('transfer'), {
      throughput: has('throughput'),
      latency: has('latency'),
    });
  if (has('memory')) await memoryPhase(context('memory'));
  if (has('idle')) await idlePhase(context('idle'));
  await targets.close();

  const reference = options.reference ? ['2 plain relays (reference)'] : [];
  console.log(
    '\n' +
      table([
        ['metric', 'direct', 'through hoop', 'hoop vs direct', ...reference, 'target', 'result'],
        ...rows.map((row) => [
          row.metric,
          row.direct,
          row.hoop,
          row.compare,
          ...(options.reference ? [row.reference] : []),
          row.target,
          row.result,
        ]),
      ]),
  );
  const missed = rows.filter((row) => row.result === 'FAIL').length;
  console.log(missed === 0 ? '\nAll targets met.' : `\n${missed} target(s) missed.`);
  return missed > 0 && options.strict ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  },
);
