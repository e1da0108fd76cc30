import { setTimeout as sleep } from 'node:timers/promises';
import { planTimeline, type TimelineOptions } from './replay-timeline.js';
import type { AuditEvent, AuditSession } from './types.js';

/** A recorded chunk of terminal output: when, and the bytes the client saw. */
export interface TerminalFrame {
  at: number;
  data: Buffer;
}

/** The output chunks of a terminal session (SSH shells and pty commands), in order; empty for SQL sessions. */
export function terminalFrames(events: readonly AuditEvent[]): TerminalFrame[] {
  const frames: TerminalFrame[] = [];
  for (const event of events) {
    if (event.kind !== 'terminal' || event.detail?.stream !== 'output' || !event.detail.data)
      continue;
    frames.push({ at: Date.parse(event.at), data: Buffer.from(event.detail.data, 'base64') });
  }
  return frames;
}

/**
 * Writes a terminal session's output with its original timing (scaled by
 * `speed`, idle gaps shortened to `maxIdleMs`), as the client's terminal
 * showed it: escape sequences and all.
 */
export async function playTerminal(
  startedAt: number,
  frames: readonly TerminalFrame[],
  options: TimelineOptions,
  write: (data: Buffer) => void,
): Promise<void> {
  const steps = planTimeline(
    startedAt,
    frames.map((frame) => frame.at),
    options,
  );
  for (const [index, frame] of frames.entries()) {
    const delay = steps[index]?.delayMs ?? 0;
    if (delay > 0) await sleep(delay);
    write(frame.data);
  }
}

/**
 * The session as asciicast v2 (https://docs.asciinema.org/manual/asciicast/v2/):
 * a header line, then `[seconds, "o", text]` per output chunk. The size is
 * the common 80×24: the gateway does not record the client's window.
 */
export function asciicast(session: AuditSession, frames: readonly TerminalFrame[]): string {
  const start = Date.parse(session.startedAt);
  const header = {
    version: 2,
    width: 80,
    height: 24,
    timestamp: Math.floor(start / 1000),
    title: `hoop ${session.connection.name} ${session.id}`,
  };
  const lines = [JSON.stringify(header)];
  for (const frame of frames) {
    const seconds = Math.max(0, (frame.at - start) / 1000);
    lines.push(JSON.stringify([Number(seconds.toFixed(6)), 'o', frame.data.toString('utf8')]));
  }
  return `${lines.join('\n')}\n`;
}
