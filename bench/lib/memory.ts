import { setTimeout as sleep } from 'node:timers/promises';
import { sampleRss, type NodeProcess } from './children.js';
import { download } from './load.js';
import { mibps, progress, verdict, type PhaseContext } from './phase.js';
import { startPlainRelays, startStack } from './stack.js';
import { MiB, mib } from './stats.js';

interface Growth {
  before: number;
  peak: number;
}

/**
 * Reads `bytes` from `port` at `rate` and returns the RSS growth of the two
 * processes in the path. The baseline is taken after a 1 MiB warm-up and a
 * pause, so it is a process that has served a tunnel, not a cold one.
 */
async function slowRead(
  context: PhaseContext,
  port: number,
  far: NodeProcess,
  near: NodeProcess,
): Promise<{ far: Growth; near: Growth; seconds: number; rate: number }> {
  const { options, targets } = context;
  targets.source.size = MiB;
  await download(port, MiB);
  await sleep(1000);
  const before = { far: far.rss(), near: near.rss() };
  // VmHWM catches a peak between two samples; sampling is the fallback.
  const exact = far.resetPeak() && near.resetPeak();
  const sampled = { far: sampleRss(far), near: sampleRss(near) };
  targets.source.size = options.bytes;
  const rate = options.bytes / options.slowSeconds;
  const seconds = await download(port, options.bytes, rate);
  const peak = {
    far: Math.max(sampled.far.stop(), exact ? far.peakRss() : 0),
    near: Math.max(sampled.near.stop(), exact ? near.peakRss() : 0),
  };
  return {
    far: { before: before.far, peak: peak.far },
    near: { before: before.near, peak: peak.near },
    seconds,
    rate,
  };
}

/** Gateway RSS while a slow reader drains `--size` bytes from a fast target. */
export async function memoryPhase(context: PhaseContext): Promise<void> {
  const { options, targets, rows } = context;
  const stack = await startStack({
    dir: context.dir,
    targets: { source: targets.source.port },
    tunnel: options.tunnel,
  });
  let hoop;
  try {
    const { cli, port } = await stack.connect('source');
    hoop = await slowRead(context, port, stack.gateway, cli);
  } finally {
    await stack.close();
  }
  let plain;
  if (options.reference) {
    const relays = await startPlainRelays(targets.source.port);
    try {
      plain = await slowRead(context, relays.port, relays.far, relays.near);
    } finally {
      await relays.close();
    }
  }
  const growth = (value: Growth): string => `+${mib(value.peak - value.before)}`;
  const span = (value: Growth): string => `${mib(value.before)} → ${mib(value.peak)}`;
  progress(
    `slow reader: ${mib(options.bytes, 0)} at ${mibps(hoop.rate)} in ${hoop.seconds.toFixed(1)} s; ` +
      `gateway ${span(hoop.far)}, CLI ${span(hoop.near)}` +
      (plain ? `; plain relays ${span(plain.far)} and ${span(plain.near)}` : ''),
  );
  rows.push({
    metric: `gateway RSS growth, slow reader at ${mibps(hoop.rate)}`,
    direct: '',
    hoop: span(hoop.far),
    compare: growth(hoop.far),
    reference: plain ? growth(plain.far) : '',
    target: '< 32 MiB',
    result: verdict(hoop.far.peak - hoop.far.before < 32 * MiB),
  });
  rows.push({
    metric: 'CLI RSS growth, slow reader',
    direct: '',
    hoop: span(hoop.near),
    compare: growth(hoop.near),
    reference: plain ? growth(plain.near) : '',
    target: '',
    result: 'info',
  });
}
