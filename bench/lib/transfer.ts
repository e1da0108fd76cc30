import type { NodeProcess } from './children.js';
import { download, pingPong, upload } from './load.js';
import {
  interleaved,
  micros,
  mibps,
  pairedMedian,
  progress,
  ratio,
  verdict,
  type PhaseContext,
  type Runner,
} from './phase.js';
import { startPlainRelays, startStack } from './stack.js';
import { MiB, median, mib, percentile } from './stats.js';

/** Throughput both ways and 1-byte round trips, on one gateway. */
export async function transferPhase(
  context: PhaseContext,
  which: { throughput: boolean; latency: boolean },
): Promise<void> {
  const { options, targets, rows } = context;
  const stack = await startStack({
    dir: context.dir,
    targets: { sink: targets.sink.port, source: targets.source.port, echo: targets.echo.port },
    tunnel: options.tunnel,
  });
  const relays = options.reference
    ? await Promise.all([
        startPlainRelays(targets.sink.port),
        startPlainRelays(targets.source.port),
        startPlainRelays(targets.echo.port),
      ])
    : undefined;
  try {
    const [sink, source, echo] = await Promise.all([
      stack.connect('sink'),
      stack.connect('source'),
      stack.connect('echo'),
    ]);
    const ports = {
      sink: { direct: targets.sink.port, hoop: sink.port, relays: relays?.[0].port },
      source: { direct: targets.source.port, hoop: source.port, relays: relays?.[1].port },
      echo: { direct: targets.echo.port, hoop: echo.port, relays: relays?.[2].port },
    };

    if (which.throughput) {
      const { bytes } = options;
      const up = (port: number | undefined, size = bytes): Runner | undefined =>
        port === undefined
          ? undefined
          : async () => size / (await upload(port, size, targets.sink.expect(size)));
      const down = (port: number | undefined, size = bytes): Runner | undefined =>
        port === undefined
          ? undefined
          : async () => {
              targets.source.size = size;
              return size / (await download(port, size));
            };
      // Warm-up (JIT, allocator pools, TCP windows), not counted.
      const warm = Math.min(bytes, 16 * MiB);
      for (const make of [up, down]) {
        const p = make === up ? ports.sink : ports.source;
        await interleaved(1, {
          direct: make(p.direct, warm),
          hoop: make(p.hoop, warm),
          relays: make(p.relays, warm),
        });
      }
      for (const [label, make, p, cli, relay] of [
        ['upload (client→target)', up, ports.sink, sink.cli, relays?.[0]],
        ['download (target→client)', down, ports.source, source.cli, relays?.[1]],
      ] as const) {
        const hoopCpu = new CpuTally([stack.gateway, cli]);
        const relayCpu = relay ? new CpuTally([relay.far, relay.near]) : undefined;
        const result = await interleaved(options.reps, {
          direct: make(p.direct),
          hoop: hoopCpu.wrap(make(p.hoop)),
          relays: relayCpu?.wrap(make(p.relays)),
        });
        result.direct?.forEach((value, i) =>
          progress(
            `${label} #${i + 1}: direct ${mibps(value)}, hoop ${mibps(result.hoop?.[i] ?? NaN)}` +
              (result.relays ? `, plain relays ${mibps(result.relays[i] ?? NaN)}` : ''),
          ),
        );
        const hoopRatio = pairedMedian(result.hoop, result.direct, (v, d) => v / d);
        const relayRatio = pairedMedian(result.relays, result.direct, (v, d) => v / d);
        rows.push({
          metric: `throughput ${label}, ${mib(bytes, 0)}`,
          direct: mibps(median(result.direct ?? [])),
          hoop: mibps(median(result.hoop ?? [])),
          compare: ratio(hoopRatio),
          reference: result.relays
            ? `${ratio(relayRatio)} (hoop = ${ratio(hoopRatio / relayRatio)} of it)`
            : '',
          target: '≥ 0.50×',
          result: verdict(hoopRatio >= 0.5),
        });
        const [gateway, local] = hoopCpu.perGiB(bytes * options.reps);
        const plain = relayCpu?.perGiB(bytes * options.reps);
        rows.push({
          metric: `  CPU per GiB ${label.split(' ')[0]}`,
          direct: '',
          hoop: `${cpu((gateway ?? 0) + (local ?? 0))}`,
          compare: `gateway ${cpu(gateway ?? NaN)} + CLI ${cpu(local ?? NaN)}`,
          reference: plain ? cpu((plain[0] ?? 0) + (plain[1] ?? 0)) : '',
          target: '',
          result: 'info',
        });
      }
    }

    if (which.latency) {
      const warmup = Math.max(100, Math.round(options.roundTrips / 10));
      const runs: Record<string, number[][]> = { direct: [], hoop: [], relays: [] };
      const timed = (name: string, port: number | undefined): Runner | undefined =>
        port === undefined
          ? undefined
          : async () => {
              runs[name]?.push(await pingPong(port, warmup, options.roundTrips));
              return 0;
            };
      await interleaved(options.reps, {
        direct: timed('direct', ports.echo.direct),
        hoop: timed('hoop', ports.echo.hoop),
        relays: timed('relays', ports.echo.relays),
      });
      for (const [p, limit] of [
        [50, 200],
        [99, undefined],
      ] as const) {
        const at = (name: string): number[] =>
          (runs[name] ?? []).map((samples) => percentile(samples, p));
        const [direct, hoop, plain] = [at('direct'), at('hoop'), at('relays')];
        direct.forEach((value, i) =>
          progress(
            `round trip p${p} #${i + 1}: direct ${micros(value)}, hoop ${micros(hoop[i] ?? NaN)}` +
              (plain.length ? `, plain relays ${micros(plain[i] ?? NaN)}` : ''),
          ),
        );
        const added = pairedMedian(hoop, direct, (v, d) => v - d);
        rows.push({
          metric: `1-byte round trip p${p}, ${options.roundTrips}/run`,
          direct: micros(median(direct)),
          hoop: micros(median(hoop)),
          compare: `+${micros(added)}`,
          reference: plain.length ? `+${micros(pairedMedian(plain, direct, (v, d) => v - d))}` : '',
          target: limit === undefined ? '' : `≤ +${limit} µs`,
          result: limit === undefined ? 'info' : verdict(added <= limit),
        });
      }
    }

    rows.push({
      metric: 'gateway RSS after the transfers above',
      direct: '',
      hoop: mib(stack.gateway.rss()),
      compare: '',
      reference: '',
      target: '',
      result: 'info',
    });
  } finally {
    await Promise.all([stack.close(), ...(relays ?? []).map((relay) => relay.close())]);
  }
}

const cpu = (seconds: number): string => `${seconds.toFixed(2)} s`;

/**
 * CPU time the processes in a path spend on its runs: a figure that other
 * work on a shared machine disturbs far less than throughput.
 */
class CpuTally {
  private readonly seconds: number[];

  constructor(private readonly processes: NodeProcess[]) {
    this.seconds = processes.map(() => 0);
  }

  wrap(run: Runner | undefined): Runner | undefined {
    if (!run) return undefined;
    return async () => {
      const before = this.processes.map((process) => process.cpuSeconds());
      const value = await run();
      this.processes.forEach((process, i) => {
        this.seconds[i] = (this.seconds[i] ?? 0) + process.cpuSeconds() - (before[i] ?? 0);
      });
      return value;
    };
  }

  /** Seconds per GiB moved, per process, for `bytes` moved in all wrapped runs. */
  perGiB(bytes: number): number[] {
    return this.seconds.map((seconds) => (seconds * 1024 * MiB) / bytes);
  }
}
