import { setTimeout as sleep } from 'node:timers/promises';
import { previewTable, timelineLine } from './format.js';
import type { Replay } from './replay-timeline.js';

export type { Replay };

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

/**
 * The timeline for scripts (`--json`): one JSON object a line per statement,
 * `{offsetMs, idleCut, event}`, written with the same timing as the plain
 * timeline, so a reader sees the session unfold as it happened.
 */
export async function playJsonLines(replay: Replay, write: (text: string) => void): Promise<void> {
  for (const [i, step] of replay.steps.entries()) {
    const event = replay.events[i];
    if (!event) break;
    if (step.delayMs > 0) await sleep(step.delayMs);
    write(`${JSON.stringify({ offsetMs: step.offsetMs, idleCut: step.idleCut, event })}\n`);
  }
}

/**
 * The terminal replay, drawn by ink (`replay-view.tsx`): statements appear
 * with their original timing (space pauses, `n` or → shows the next one and
 * pauses, `s` skips the wait for the next one, `q` or Ctrl-C quits), the
 * latest with a preview of its masked result. It draws on the alternate
 * screen and leaves the terminal as it found it.
 */
export async function playInteractive(
  replay: Replay,
  input: NodeJS.ReadStream,
  output: NodeJS.WriteStream,
): Promise<void> {
  // Loaded here only: ink and react cost tens of milliseconds at start, which
  // no other command (least of all `hoop exec`) should pay.
  const [{ render }, { createElement }, { ReplayView }] = await Promise.all([
    import('ink'),
    import('react'),
    import('./replay-view.js'),
  ]);
  output.write('\u001b[?1049h');
  try {
    const app = render(createElement(ReplayView, { replay }), {
      stdin: input,
      stdout: output,
      // The view quits on Ctrl-C itself, like on q, so the screen is restored the same way.
      exitOnCtrlC: false,
      patchConsole: false,
    });
    await app.waitUntilExit();
  } finally {
    output.write('\u001b[?1049l');
  }
}
