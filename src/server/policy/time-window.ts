/*
 * `match.time`: when a rule applies, as windows of wall-clock time in a
 * named IANA time zone (`Europe/Berlin`), converted with Intl so that
 * daylight saving time is the zone's own. A window whose `to` is not after
 * its `from` crosses midnight: `{ days: [fri], from: "22:00", to: "06:00" }`
 * runs from Friday 22:00 to Saturday 06:00. `days` name the day a window
 * starts on. `from` is inclusive, `to` exclusive; `to: "24:00"` is the end
 * of the day.
 */

export const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Day = (typeof DAYS)[number];

/** One window as written in a policy. */
export interface TimeWindow {
  /** The days a window starts on; every day when absent. */
  days?: Day[];
  /** `HH:MM`, 24-hour; the start of the day when absent. */
  from?: string;
  /** `HH:MM`, 24-hour, `24:00` for the end of the day; the end of the day when absent. */
  to?: string;
  /** An IANA time zone; `UTC` when absent. */
  timezone?: string;
}

export const DEFAULT_TIME_ZONE = 'UTC';

const CLOCK = /^([01]\d|2[0-4]):([0-5]\d)$/;
const DAY_MINUTES = 24 * 60;

/** Minutes since midnight for `HH:MM` (`24:00` only where `end`), or undefined when it is no time of day. */
export function parseClock(text: string, end = false): number | undefined {
  const match = CLOCK.exec(text);
  if (match === null) return undefined;
  const minutes = Number(match[1]) * 60 + Number(match[2]);
  if (minutes > DAY_MINUTES || (minutes === DAY_MINUTES && !end)) return undefined;
  return minutes;
}

/** Whether Intl knows the time zone. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** What is wrong with a window whose parts are each valid, or undefined. */
export function windowProblem(window: TimeWindow): string | undefined {
  const from = parseClock(window.from ?? '00:00') ?? 0;
  const to = parseClock(window.to ?? '24:00', true) ?? DAY_MINUTES;
  if (from === to) {
    return '`from` and `to` are the same time: leave both out for the whole day';
  }
  return undefined;
}

interface CompiledWindow {
  clock: ZoneClock;
  /** Bit `d` set: the window starts on day `d` (0 = Sunday). */
  days: number;
  from: number;
  to: number;
}

/** Tells whether an instant falls in any of the windows. */
export type TimeMatcher = (at: Date) => boolean;

/** Compiles validated windows; formatters are shared per zone and read once per minute. */
export function compileWindows(windows: readonly TimeWindow[]): TimeMatcher {
  const compiled: CompiledWindow[] = windows.map((window) => ({
    clock: zoneClock(window.timezone ?? DEFAULT_TIME_ZONE),
    days:
      window.days === undefined
        ? 0b1111111
        : window.days.reduce((bits, day) => bits | (1 << DAYS.indexOf(day)), 0),
    from: parseClock(window.from ?? '00:00') ?? 0,
    to: parseClock(window.to ?? '24:00', true) ?? DAY_MINUTES,
  }));
  return (at) => compiled.some((window) => inWindow(window, window.clock.read(at)));
}

function inWindow(window: CompiledWindow, local: LocalTime): boolean {
  const today = (window.days & (1 << local.day)) !== 0;
  if (window.from < window.to) {
    return today && local.minute >= window.from && local.minute < window.to;
  }
  // Crosses midnight: the evening part belongs to today, the morning part to the day before.
  const yesterday = (window.days & (1 << ((local.day + 6) % 7))) !== 0;
  return (today && local.minute >= window.from) || (yesterday && local.minute < window.to);
}

interface LocalTime {
  /** 0 = Sunday. */
  day: number;
  /** Minutes since local midnight. */
  minute: number;
}

/**
 * The local day and minute in one zone. Offsets change on whole minutes, so
 * the answer is kept for the minute it was asked in: a decision formats a
 * date at most once a minute per zone.
 */
class ZoneClock {
  private readonly format: Intl.DateTimeFormat;
  private minuteStart = Number.NaN;
  private local: LocalTime = { day: 0, minute: 0 };

  constructor(zone: string) {
    this.format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
  }

  read(at: Date): LocalTime {
    const ms = at.getTime();
    const start = ms - (((ms % 60_000) + 60_000) % 60_000);
    if (start !== this.minuteStart) {
      let day = 0;
      let hour = 0;
      let minute = 0;
      for (const part of this.format.formatToParts(at)) {
        if (part.type === 'weekday') day = WEEKDAYS.get(part.value) ?? 0;
        else if (part.type === 'hour') hour = Number(part.value) % 24;
        else if (part.type === 'minute') minute = Number(part.value);
      }
      this.local = { day, minute: hour * 60 + minute };
      this.minuteStart = start;
    }
    return this.local;
  }
}

const WEEKDAYS = new Map(['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].map((d, i) => [d, i]));

const clocks = new Map<string, ZoneClock>();

function zoneClock(zone: string): ZoneClock {
  const key = zone.toLowerCase();
  let clock = clocks.get(key);
  if (clock === undefined) {
    clock = new ZoneClock(zone);
    clocks.set(key, clock);
  }
  return clock;
}
