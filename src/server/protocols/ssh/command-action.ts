import type { RunCommand } from '../../enforcement/index.js';
import { parseCommandLine } from './command-line/parse.js';

/** Channels decided as one `@name` word: what a rule's `commands` names to allow or refuse them. */
export const CHANNELS = {
  shell: '@shell',
  sftp: '@sftp',
  forward: '@forward',
  agent: '@agent',
} as const;

/**
 * An exec request's line as the enforcer decides it: every simple command
 * the target's shell would run, and what it cannot know. A program whose
 * name starts with `@` could pose as a channel: it is unknown instead.
 */
export function execAction(line: string): RunCommand {
  const parsed = parseCommandLine(line);
  const unknown = [...parsed.unknown];
  if (parsed.commands.some((words) => (words[0] ?? '').startsWith('@'))) {
    unknown.push({ reason: 'reserved', message: 'runs a program whose name starts with @' });
  }
  return {
    type: 'command',
    line,
    commands: parsed.commands,
    shell: false,
    unparsed: false,
    ...(unknown.length > 0 ? { unknown } : {}),
  };
}

/** A channel (a shell, a subsystem, a forwarding) as the enforcer decides it. */
export function channelAction(
  channel: (typeof CHANNELS)[keyof typeof CHANNELS],
  line: string,
): RunCommand {
  return {
    type: 'command',
    line,
    commands: [[channel]],
    shell: channel === CHANNELS.shell,
    unparsed: false,
    ...(channel === CHANNELS.forward || channel === CHANNELS.agent ? { explicit: true } : {}),
  };
}
