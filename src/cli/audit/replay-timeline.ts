/**
 * The timing of `hoop audit replay`, kept pure so that it is tested without a
 * terminal: when each recorded statement appears, and how pause, step and
 * skip move through them. The terminal interface and the plain timeline
 * both drive it.
 */

import type { AuditEvent, AuditSessionDetail } from './types.js';

/** One statement on the timeline. */
export interface TimelineStep {
  /** When it was recorded, in ms after the session started. */
  offsetMs: number;
  /** How long the replay waits before showing it, in ms of replay time. */
  delayMs: number;
  /** True when an idle gap before it was shortened to `maxIdleMs`. */
  idleCut: boolean;
}

export interface TimelineOptions {
  /** Replay speed: 2 plays twice as fast. Must be above 0. */
  speed: number;
  /**
   * Idle gaps longer than this (recorded time) are shortened to it; 0 keeps
   * every gap as recorded. Default 5 s: a session left open over lunch
   * replays in seconds, and the line says how long the gap was.
   */
  maxIdleMs: number;
}

export const DEFAULT_MAX_IDLE_MS = 5_000;

/** Plans the replay of events recorded at `times` (ms since epoch) in a session that started at `startedAt`. */
export function planTimeline(
  startedAt: number,
  times: readonly number[],
  options: TimelineOptions,
): TimelineStep[] {
  if (!(options.speed > 0) || !Number.isFinite(options.speed)) {
    throw new RangeError(`speed must be a number above 0, got ${options.speed}`);
  }
  let previous = startedAt;
  return times.map((at) => {
    // Clocks are the gateway's, but be safe against an event before its session.
    const gap = Math.max(0, at - previous);
    previous = Math.max(previous, at);
    const idleCut = options.maxIdleMs > 0 && gap > options.maxIdleMs;
    const recorded = idleCut ? options.maxIdleMs : gap;
    return { offsetMs: Math.max(0, at - startedAt), delayMs: recorded / options.speed, idleCut };
  });
}

/** Where a replay is: how many steps are shown, whether it is paused, how long the current wait has run. */
export interface ReplayState {
  shown: number;
  paused: boolean;
  waitedMs: number;
}

export type ReplayAction =
  /** Replay time passed (ignored while paused). */
  | { type: 'tick'; ms: number }
  /** Space: pause or resume. */
  | { type: 'toggle-pause' }
  /** `n` or →: show the next statement now and pause there. */
  | { type: 'step' }
  /** `s`: skip the wait for the next statement and keep playing. */
  | { type: 'skip' };

export const START: ReplayState = { shown: 0, paused: false, waitedMs: 0 };

/** The state after an action; the same inputs always give the same state. */
export function advance(
  state: ReplayState,
  action: ReplayAction,
  steps: readonly TimelineStep[],
): ReplayState {
  const done = state.shown >= steps.length;
  switch (action.type) {
    case 'toggle-pause':
      return { ...state, paused: !state.paused };
    case 'step':
      return done
        ? { ...state, paused: true }
        : { shown: state.shown + 1, paused: true, waitedMs: 0 };
    case 'skip':
      return done ? state : { ...state, shown: state.shown + 1, waitedMs: 0 };
    case 'tick': {
      if (state.paused || done) return state;
      let { shown, waitedMs } = state;
      waitedMs += action.ms;
      for (let step = steps[shown]; step && waitedMs >= step.delayMs; step = steps[shown]) {
        waitedMs -= step.delayMs;
        shown += 1;
      }
      return { ...state, shown, waitedMs: shown >= steps.length ? 0 : waitedMs };
    }
  }
}

/** Replay time until the next statement shows; undefined when all are shown or the replay is paused. */
export function untilNext(state: ReplayState, steps: readonly TimelineStep[]): number | undefined {
  const step = steps[state.shown];
  if (!step || state.paused) return undefined;
  return Math.max(0, step.delayMs - state.waitedMs);
}

/** A session's replay: its events, when each is shown, and at what speed. */
export interface Replay {
  session: AuditSessionDetail;
  events: AuditEvent[];
  steps: TimelineStep[];
  speed: number;
  /** True when the session was still open when its events were read: the end of the replay says so. */
  inProgress: boolean;
}
