import { MiB, median } from './stats.js';
import type { Targets } from './targets.js';

export interface PhaseOptions {
  bytes: number;
  reps: number;
  roundTrips: number;
  tunnels: number;
  slowSeconds: number;
  /** Also measure two plain `pipe()` relays in the tunnel's place. */
  reference: boolean;
  /** `tunnel:` settings for every gateway started. */
  tunnel: Record<string, number>;
}

export interface PhaseContext {
  options: PhaseOptions;
  targets: Targets;
  /** A fresh directory per phase for the gateway's config and store. */
  dir: string;
  rows: Row[];
}

/** One line of the final table. */
export interface Row {
  metric: string;
  direct: string;
  hoop: string;
  /** hoop against direct: a ratio or a difference. */
  compare: string;
  /** Two plain relays against direct, the same way; empty when not measured. */
  reference: string;
  target: string;
  /** PASS, FAIL, or `info` for figures without a target. */
  result: string;
}

export const verdict = (pass: boolean): string => (pass ? 'PASS' : 'FAIL');
export const progress = (line: string): void => void process.stderr.write(`  ${line}\n`);
export const mibps = (bytesPerSecond: number): string =>
  `${(bytesPerSecond / MiB).toFixed(0)} MiB/s`;
export const micros = (value: number): string => `${value.toFixed(0)} µs`;
export const ratio = (value: number): string => `${value.toFixed(2)}×`;

export type Runner = () => Promise<number>;

/**
 * Runs each path once per repetition, rotating which goes first, so drift
 * in the machine's load hits every path alike.
 */
export async function interleaved(
  reps: number,
  runners: Record<string, Runner | undefined>,
): Promise<Record<string, number[]>> {
  const entries = Object.entries(runners).filter((entry): entry is [string, Runner] =>
    Boolean(entry[1]),
  );
  const results: Record<string, number[]> = Object.fromEntries(entries.map(([name]) => [name, []]));
  for (let rep = 0; rep < reps; rep++) {
    for (let i = 0; i < entries.length; i++) {
      const [name, run] = entries[(i + rep) % entries.length] as [string, Runner];
      results[name]?.push(await run());
    }
  }
  return results;
}

/** The median of per-repetition `combine(path, direct)`: pairs measured close in time. */
export function pairedMedian(
  values: number[] | undefined,
  direct: number[] | undefined,
  combine: (value: number, direct: number) => number,
): number {
  if (!values || !direct) return NaN;
  return median(values.map((value, i) => combine(value, direct[i] ?? NaN)));
}
