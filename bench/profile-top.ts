/**
 * `node --import tsx bench/profile-top.ts FILE.cpuprofile [--top N]`: the
 * frames a V8 CPU profile (`node --cpu-prof`) spent most time in, by self
 * time and by total time (self plus callees), as a share of the samples.
 *
 * Profile the gateway under pgbench with
 * `HOOP_BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" npm run bench:pg -- --only pgbench`
 * and pass the gateway's file (the largest one in DIR, usually).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '25' } },
});
const file = positionals[0];
if (!file) {
  console.error('usage: node --import tsx bench/profile-top.ts FILE.cpuprofile [--top N]');
  process.exit(2);
}
const top = Number(values.top);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;

const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parent = new Map<number, number>();
for (const node of profile.nodes)
  for (const child of node.children ?? []) parent.set(child, node.id);

const label = (node: ProfileNode): string => {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url ? `${path.basename(url.replace(/^file:\/\//, ''))}:${lineNumber + 1}` : '';
  return `${functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
};

const self = new Map<string, number>();
const total = new Map<string, number>();
for (const id of profile.samples) {
  const node = byId.get(id);
  if (!node) continue;
  const name = label(node);
  self.set(name, (self.get(name) ?? 0) + 1);
  // Each frame once per sample, however often it recurs on the stack.
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const frame = byId.get(at);
    if (!frame) break;
    const frameName = label(frame);
    if (seen.has(frameName)) continue;
    seen.add(frameName);
    total.set(frameName, (total.get(frameName) ?? 0) + 1);
  }
}

const samples = profile.samples.length;
const print = (title: string, counts: Map<string, number>): void => {
  console.log(`\n${title} (${samples} samples)`);
  for (const [name, count] of [...counts].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((count / samples) * 100).toFixed(1).padStart(6)}%  ${name}`);
  }
};
print('self time', self);
print('total time', total);
