import { Args, Flags } from '@oclif/core';
import { getSession } from '../../cli/audit/client.js';
import { DEFAULT_MAX_IDLE_MS, planTimeline } from '../../cli/audit/replay-timeline.js';
import { playInteractive, playJsonLines, playPlain } from '../../cli/audit/replay-ui.js';
import { playTerminal, terminalFrames } from '../../cli/audit/terminal-replay.js';
import { BaseCommand } from '../../cli/base-command.js';
import { gatewayFlags } from '../../cli/flags.js';
import { gatewayClient } from '../../cli/session.js';
import { parseDuration } from '../../lib/duration.js';
import { HoopError } from '../../lib/errors.js';

export default class AuditReplay extends BaseCommand {
  static override description = `Replay a recorded session with its original timing
In a terminal: space pauses, n or → shows the next statement, s skips the wait, q or Ctrl-C quits; each statement appears with its decision and the first rows of its masked result. Idle gaps longer than --max-idle are shortened to it. Without a terminal (or with --no-ui, or with CI set) it prints a plain timeline.`;

  static override examples = [
    '<%= config.bin %> audit replay ses_01HX…',
    '<%= config.bin %> audit replay ses_01HX… --speed 4',
    '<%= config.bin %> audit replay ses_01HX… --no-ui --speed 100 --max-idle 0',
    '<%= config.bin %> audit replay ses_01HX… --json --speed 10',
  ];

  static override args = {
    id: Args.string({ description: 'session ID (from `hoop audit list`)', required: true }),
  };

  static override flags = {
    ...gatewayFlags,
    json: Flags.boolean({
      description:
        'JSON Lines for scripts: {offsetMs, idleCut, event} per statement, with the same timing',
      default: false,
    }),
    speed: Flags.string({ description: 'replay speed: 4 plays four times as fast', default: '1' }),
    'max-idle': Flags.string({
      description: 'shorten idle gaps longer than this (recorded time); 0 keeps them all',
      default: '5s',
      helpValue: 'DURATION',
    }),
    ui: Flags.boolean({
      description: 'the interactive terminal replay (--no-ui: the plain timeline)',
      default: true,
      allowNo: true,
    }),
    preview: Flags.integer({
      description: 'rows of each kept result to print in the plain timeline',
      default: 0,
    }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(AuditReplay);
    const speed = Number(flags.speed);
    if (!Number.isFinite(speed) || speed <= 0) {
      throw new HoopError('HOOP_USAGE', `--speed must be a number above 0, got ${flags.speed}`);
    }
    let maxIdleMs: number;
    try {
      maxIdleMs =
        flags['max-idle'] === undefined ? DEFAULT_MAX_IDLE_MS : parseDuration(flags['max-idle']);
    } catch (error) {
      throw new HoopError('HOOP_USAGE', `--max-idle: ${(error as Error).message}`);
    }
    const { session, events } = await getSession(await gatewayClient(flags.gateway), args.id);
    // A terminal session (an SSH shell) plays its output as the terminal showed it.
    const frames = terminalFrames(events.events);
    if (frames.length > 0 && !flags.json) {
      process.stderr.write(
        `Replaying the terminal of ${session.id} (${frames.length} chunks, ×${speed}, idle gaps over ${flags['max-idle']} shortened)\n`,
      );
      await playTerminal(Date.parse(session.startedAt), frames, { speed, maxIdleMs }, (data) =>
        process.stdout.write(data),
      );
      return;
    }
    const list = events.events;
    const steps = planTimeline(
      Date.parse(session.startedAt),
      list.map((event) => Date.parse(event.at)),
      { speed, maxIdleMs },
    );
    const inProgress = events.inProgress || session.inProgress;
    const replay = { session, events: list, steps, speed, inProgress };
    if (flags.json) {
      await playJsonLines(replay, (text) => process.stdout.write(text));
      return;
    }
    // Under CI=… ink draws only its last frame: the plain timeline serves better there.
    if (flags.ui && process.stdout.isTTY && process.stdin.isTTY && !process.env.CI) {
      await playInteractive(replay, process.stdin, process.stdout);
      return;
    }
    process.stderr.write(
      `Replaying ${session.id} (${list.length} statement${list.length === 1 ? '' : 's'}, ×${speed}, idle gaps over ${flags['max-idle']} shortened)\n`,
    );
    await playPlain(replay, (text) => process.stdout.write(text), flags.preview);
    if (inProgress) {
      process.stderr.write(
        `The session is still in progress: these are the ${list.length} statements recorded so far.\n`,
      );
    }
  }
}
