/**
 * `node --import tsx bench/detectors.ts [--rows 200000 --reps 7 --baseline DIR]`: how fast
 * the content detectors pass over realistic result text, in MB/s of cell
 * bytes, without a database: the CPU cost `maskUtf8` adds per cell of a
 * `detect` column, and `redactWholeUtf8` per cell of a masked one.
 *
 * The rows read like a customer table: names, street addresses, emails,
 * order ids, and notes that now and then carry a date, an amount, a phone
 * number or a card (about one cell in fifty holds something to mask); and,
 * for one figure, names and places in Han, Cyrillic, Greek and Arabic. Each
 * figure is the median of `--reps` passes over the same cells, after one
 * warm-up pass.
 *
 * Absolute figures drift with the machine's load, so a change is judged by
 * `--baseline`: the same passes over the same cells with another version's
 * masking code, interleaved pass by pass, and the median of the per-pass
 * speed ratios.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

import type { resolveDetectors } from '../src/server/masking/detectors.js';
import type { redactWholeUtf8 } from '../src/server/masking/redact-whole.js';
import type { maskText, maskUtf8 } from '../src/server/masking/scan.js';
import { positiveOption } from './lib/options.js';
import { median, table } from './lib/stats.js';

const USAGE = `usage: node --import tsx bench/detectors.ts [options]
  --rows N   rows generated (default 200000; five cells each)
  --reps N   measured passes per figure (default 7)
  --baseline REV   also run the masking code of git revision REV (or of the
                   source tree in directory REV), interleaved pass by pass,
                   and print the ratio (current speed / baseline's)`;

const FIRST = ['Jane', 'John', 'Zoë', 'Amelia', 'Oliver', 'Mateo', 'Aiko', 'Noah', 'Léa', 'Ivan'];
const LAST = [
  'Doe',
  'Smith',
  'Müller',
  'García',
  'Rossi',
  'Tanaka',
  'Nguyen',
  'Kowalski',
  "O'Brien",
];
const STREETS = [
  'Baker Street',
  'Main St',
  'Rue de Rivoli',
  'Hauptstraße',
  'Elm Avenue',
  'Via Roma',
];
const CITIES = ['London NW1 6XE', 'Springfield, IL 62704', 'Paris 75001', 'Berlin 10115', 'Roma'];
const DOMAINS = ['example.com', 'mail.example.org', 'example.co.uk', 'corp.example.io'];
/** Names and addresses in other scripts, for the figure on non-Latin text. */
const WIDE_NAMES = ['山田 太郎', '王 小明', 'Иван Петров', 'Γιώργος Παπαδόπουλος', 'محمد علي'];
const WIDE_PLACES = [
  '東京都千代田区丸の内 1丁目',
  'Москва, ул. Тверская, д. 7',
  'Αθήνα 105 57',
  'القاهرة',
];

/** A small seeded PRNG (mulberry32): the same rows on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function rows(count: number): { cells: Buffer[]; emails: Buffer[]; wide: Buffer[] } {
  const random = seeded(0x5eed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const int = (max: number): number => Math.floor(random() * max);
  const cells: Buffer[] = [];
  const emails: Buffer[] = [];
  const wide: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    wide.push(Buffer.from(pick(WIDE_NAMES)), Buffer.from(pick(WIDE_PLACES)));
    const first = pick(FIRST);
    const last = pick(LAST);
    const email = `${first.toLowerCase()}.${last.toLowerCase()}${int(100)}@${pick(DOMAINS)}`;
    const roll = random();
    const note =
      roll < 0.01
        ? `paid with card 4242 4242 4242 4242 on ${2020 + int(5)}-0${1 + int(9)}-1${int(10)}`
        : roll < 0.02
          ? `call back on +44 20 7946 ${String(1000 + int(9000))} after 5pm`
          : roll < 0.3
            ? `Order ${100000 + int(900000)} shipped on 2024-0${1 + int(9)}-2${int(10)} 10:${10 + int(50)}`
            : roll < 0.5
              ? `refund of ${int(500)}.${10 + int(90)} EUR approved`
              : roll < 0.6
                ? `customer since ${1990 + int(35)}, ${int(20)} orders`
                : 'no notes';
    cells.push(
      Buffer.from(`${first} ${last}`),
      Buffer.from(`${1 + int(400)} ${pick(STREETS)}, ${pick(CITIES)}`),
      Buffer.from(email),
      Buffer.from(`ORD-2024-${String(int(1_000_000)).padStart(6, '0')}`),
      Buffer.from(note),
    );
    emails.push(Buffer.from(email));
  }
  return { cells, emails, wide };
}

interface Masking {
  resolveDetectors: typeof resolveDetectors;
  maskUtf8: typeof maskUtf8;
  maskText: typeof maskText;
  redactWholeUtf8: typeof redactWholeUtf8;
}

const ROOT = path.resolve(import.meta.dirname, '..');

/**
 * A directory holding `rev`'s source tree: `rev` itself when it is one, else
 * a temporary extract of that git revision, with this checkout's package.json,
 * tsconfig.json and node_modules so that tsx compiles it the same way.
 */
function checkout(rev: string): string {
  if (existsSync(path.join(rev, 'src/server/masking'))) return path.resolve(rev);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hoop-bench-detectors-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  execFileSync('sh', ['-c', `git archive "$1" src | tar -x -C "$2"`, 'sh', rev, dir], {
    cwd: ROOT,
  });
  for (const file of ['package.json', 'tsconfig.json'])
    copyFileSync(path.join(ROOT, file), path.join(dir, file));
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

/** The masking functions of a source tree: this one, or `--baseline`'s. */
async function load(root: string): Promise<Masking> {
  const at = (file: string): string =>
    pathToFileURL(path.join(root, 'src/server/masking', file)).href;
  const [detectors, scan, whole] = await Promise.all([
    import(at('detectors.ts')) as Promise<{ resolveDetectors: typeof resolveDetectors }>,
    import(at('scan.ts')) as Promise<{ maskUtf8: typeof maskUtf8; maskText: typeof maskText }>,
    import(at('redact-whole.ts')) as Promise<{ redactWholeUtf8: typeof redactWholeUtf8 }>,
  ]);
  return { ...detectors, ...scan, ...whole };
}

type Pass = (m: Masking) => number;

function figures(cells: Buffer[], emails: Buffer[], wide: Buffer[]): Array<[string, number, Pass]> {
  const strings = cells.map((cell) => cell.toString('utf8'));
  const size = (list: Buffer[]): number => list.reduce((sum, cell) => sum + cell.length, 0);
  const bytes = size(cells);
  const emailBytes = size(emails);
  const POLICY = ['email', 'credit_card', 'phone']; // bench:pg's mask rule
  const ALL = ['email', 'credit_card', 'phone', 'national_id', 'iban', 'ip', 'secrets'];
  const utf8 =
    (names: string[], list = cells): Pass =>
    (m) => {
      const detectors = m.resolveDetectors(names);
      let hits = 0;
      for (const cell of list) if (m.maskUtf8(cell, detectors) !== undefined) hits++;
      return hits;
    };
  return [
    ['maskUtf8, email+card+phone', bytes, utf8(POLICY)],
    ['maskUtf8, all detectors', bytes, utf8(ALL)],
    ['maskUtf8, all detectors, non-Latin names and places', size(wide), utf8(ALL, wide)],
    [
      'maskText, all detectors',
      bytes,
      (m) => {
        const detectors = m.resolveDetectors(ALL);
        let hits = 0;
        for (const text of strings) if (m.maskText(text, detectors) !== undefined) hits++;
        return hits;
      },
    ],
    [
      'redactWholeUtf8, emails',
      emailBytes,
      (m) => {
        let hits = 0;
        for (const cell of emails) if (m.redactWholeUtf8(cell) !== undefined) hits++;
        return hits;
      },
    ],
  ];
}

function seconds(pass: Pass, masking: Masking): { s: number; hits: number } {
  const started = process.hrtime.bigint();
  const hits = pass(masking);
  return { s: Number(process.hrtime.bigint() - started) / 1e9, hits };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string', default: '200000' },
      reps: { type: 'string', default: '7' },
      baseline: { type: 'string' },
    },
  });
  const option = positiveOption(USAGE);
  const count = option('rows', values.rows);
  const reps = option('reps', values.reps);
  const { cells, emails, wide } = rows(count);
  const current = await load(ROOT);
  const baseline = values.baseline ? await load(checkout(values.baseline)) : undefined;
  const bytes = cells.reduce((sum, cell) => sum + cell.length, 0);
  console.log(
    `detectors bench: node ${process.version}, ${os.availableParallelism()} CPUs, load average ` +
      `${os.loadavg()[0]?.toFixed(2)}; ${count} rows, ${cells.length} cells, ` +
      `${(bytes / 1e6).toFixed(1)} MB; medians of ${reps} passes` +
      (baseline ? `, interleaved with ${values.baseline}` : ''),
  );
  const out: string[][] = [
    baseline
      ? ['figure', 'MB/s', 'baseline MB/s', 'ratio', 'cells changed', 'baseline changed']
      : ['figure', 'MB/s', 'cells changed'],
  ];
  for (const [name, size, pass] of figures(cells, emails, wide)) {
    seconds(pass, current); // warm-up
    if (baseline) seconds(pass, baseline);
    const mine: number[] = [];
    const theirs: number[] = [];
    const ratios: number[] = [];
    let hits = 0;
    let baseHits = 0;
    for (let r = 0; r < reps; r++) {
      const a = seconds(pass, current);
      mine.push(a.s);
      hits = a.hits;
      if (baseline) {
        const b = seconds(pass, baseline);
        theirs.push(b.s);
        baseHits = b.hits;
        ratios.push(b.s / a.s);
      }
    }
    const mbs = (s: number[]): string => (size / 1e6 / median(s)).toFixed(1);
    out.push(
      baseline
        ? [name, mbs(mine), mbs(theirs), median(ratios).toFixed(2), String(hits), String(baseHits)]
        : [name, mbs(mine), String(hits)],
    );
  }
  console.log(table(out));
}

await main();
