/**
 * Durations as people write them in config files and flags: `250ms`, `30s`,
 * `5m`, `2h`, `90d`, and compounds such as `1h30m`. The units follow Go's
 * `time.ParseDuration` (which kubectl and Prometheus users know), plus days,
 * minus the sub-millisecond units that nothing in hoop can act on.
 */

const UNIT_MS = {
  d: 86_400_000,
  h: 3_600_000,
  m: 60_000,
  s: 1_000,
  ms: 1,
} as const;

type Unit = keyof typeof UNIT_MS;

/** Largest unit first: the order both parsing and formatting insist on. */
const UNITS = Object.keys(UNIT_MS) as Unit[];

// `ms` before `m` so that the alternation takes the longer unit.
const PART = /(\d+(?:\.\d+)?|\.\d+)(ms|d|h|m|s)/y;

const EXAMPLES = 'such as 250ms, 30s, 5m, 2h, 90d or 1h30m';

/**
 * Parses a duration into milliseconds, rounded to the nearest millisecond.
 * `0` is accepted without a unit; every other number needs one, and the units
 * of a compound go from largest to smallest, each at most once.
 *
 * @throws Error naming the input and what was expected.
 */
export function parseDuration(text: string): number {
  const input = text.trim();
  if (input === '0') return 0;
  if (input === '') throw new Error(`expected a duration ${EXAMPLES}, got an empty string`);

  let total = 0;
  let lastUnit = -1;
  PART.lastIndex = 0;
  while (PART.lastIndex < input.length) {
    const at = PART.lastIndex;
    const match = PART.exec(input);
    if (match === null) {
      const hint = /^\d+(?:\.\d+)?$/.test(input) ? ' (a unit is required)' : '';
      throw new Error(`invalid duration ${JSON.stringify(text)}${hint}: expected ${EXAMPLES}`);
    }
    const unit = match[2] as Unit;
    const rank = UNITS.indexOf(unit);
    if (rank <= lastUnit) {
      throw new Error(
        `invalid duration ${JSON.stringify(text)}: "${input.slice(at)}" must use a smaller unit than what precedes it (write units from largest to smallest, e.g. 1h30m)`,
      );
    }
    lastUnit = rank;
    total += Number(match[1]) * UNIT_MS[unit];
  }

  const ms = Math.round(total);
  if (!Number.isSafeInteger(ms)) throw new Error(`duration ${JSON.stringify(text)} is too long`);
  return ms;
}

/**
 * Formats milliseconds the way {@link parseDuration} reads them: `1h30m`,
 * `250ms`, `0s`. Fractions of a millisecond are rounded.
 *
 * @throws RangeError when `ms` is not a finite number.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) throw new RangeError(`cannot format ${ms} as a duration`);
  let rest = Math.round(Math.abs(ms));
  if (rest === 0) return '0s';

  let out = ms < 0 ? '-' : '';
  for (const unit of UNITS) {
    const count = Math.floor(rest / UNIT_MS[unit]);
    if (count > 0) {
      out += `${count}${unit}`;
      rest -= count * UNIT_MS[unit];
    }
  }
  return out;
}
