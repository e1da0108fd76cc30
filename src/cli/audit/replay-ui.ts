import { setTimeout as sleep } from 'node:timers/promises';
import { previewTable, timelineLine, who } from './format.js';
import {
  advance,
  START,
  untilNext,
  type ReplayAction,
  type ReplayState,
  type TimelineStep,
} from './replay-timeline.js';
import type { AuditEvent, AuditSessionDetail } from './types.js';

export interface Replay {
  session: AuditSessionDetail;
  events: AuditEvent[];
  steps: TimelineStep[];
  speed: number;
}

/**
 * Prints the plain timeline, one line per statement, waiting between lines
 * as the plan says; `previewRows` rows of each kept result under its line.
 */
export async function playPlain(
  replay: Replay,
  write: (text: string) => void,
  previewRows: number,
): Promise<void> {
  for (const [i, step] of replay.steps.entries()) {
    const event = replay.events[i];
    if (!event) break;
    if (step.delayMs > 0) await sleep(step.delayMs);
    write(`${timelineLine(event, step.offsetMs)}${step.idleCut ? '  [idle gap shortened]' : ''}\n`);
    if (event.preview && previewRows > 0 && event.preview.columns.length > 0) {
      write(`${previewTable(event.preview, previewRows)}\n`);
    }
  }
}

const KEYS: Record<string, ReplayAction | 'quit'> = {
  ' ': { type: 'toggle-pause' },
  n: { type: 'step' },
  '\u001b[C': { type: 'step' },
  s: { type: 'skip' },
  q: 'quit',
  '\u0003': 'quit',
};

/** Frames per second of the terminal replay; timing comes from the clock, not from the frame count. */
const FRAME_MS = 50;

/**
 * The terminal replay: statements appear with their original timing (space
 * pauses, `n` or → shows the next one and pauses, `s` skips the wait for the
 * next one, `q` quits), the latest with a preview of its masked result. It
 * draws on the alternate screen and leaves the terminal as it found it.
 */
export async function playInteractive(
  replay: Replay,
  input: NodeJS.ReadStream,
  output: NodeJS.WriteStream,
): Promise<void> {
  let state: ReplayState = START;
  let last = Date.now();
  const draw = (): void => {
    output.write(frame(replay, state, output.rows || 24, output.columns || 80));
  };
  output.write('\u001b[?1049h\u001b[?25l');
  input.setRawMode(true);
  input.resume();
  input.setEncoding('utf8');
  try {
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const now = Date.now();
        state = advance(state, { type: 'tick', ms: now - last }, replay.steps);
        last = now;
        draw();
      }, FRAME_MS);
      input.on('data', (key: string) => {
        const action = KEYS[key];
        if (action === 'quit') {
          clearInterval(timer);
          resolve();
        } else if (action) {
          state = advance(state, action, replay.steps);
          last = Date.now();
          draw();
        }
      });
      draw();
    });
  } finally {
    input.setRawMode(false);
    input.pause();
    output.write('\u001b[?25h\u001b[?1049l');
  }
}

/** One screen: header, the statements shown so far (the latest at the bottom), the latest preview, the keys. */
export function frame(replay: Replay, state: ReplayState, rows: number, columns: number): string {
  const { session, events, steps } = replay;
  const done = state.shown >= steps.length;
  const next = untilNext(state, steps);
  const status = done
    ? session.inProgress
      ? 'end of what is recorded so far (the session is still in progress)'
      : 'end of session'
    : state.paused
      ? 'paused'
      : `next in ${((next ?? 0) / 1000).toFixed(1)}s`;
  const header = [
    `${session.id}  ${who(session)} on ${session.connection.name}  from ${session.client}`,
    `${state.shown}/${steps.length} statements  ×${replay.speed}  ${status}`,
    '',
  ];
  const latest = state.shown > 0 ? events[state.shown - 1] : undefined;
  const preview =
    latest?.preview && latest.preview.columns.length > 0
      ? ['', ...previewTable(latest.preview, 5, '  ').split('\n')]
      : [];
  const footer = ['', 'space pause · n/→ step · s skip the wait · q quit'];
  const room = Math.max(1, rows - header.length - preview.length - footer.length);
  const shown = events.slice(Math.max(0, state.shown - room), state.shown).map((event, i, list) => {
    const step = steps[state.shown - list.length + i];
    return timelineLine(event, step?.offsetMs ?? 0, Math.max(20, columns - 40));
  });
  const body = [...header, ...shown, ...preview, ...footer].map((line) =>
    line.length > columns ? `${line.slice(0, columns - 1)}…` : line,
  );
  return `\u001b[H\u001b[2J${body.join('\r\n')}`;
}
