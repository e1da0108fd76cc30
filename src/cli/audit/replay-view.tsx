/**
 * The ink interface of `hoop audit replay`. All timing is the pure timeline's
 * (`replay-timeline.ts`): this component only feeds it clock ticks and keys,
 * and draws the state it returns. Loaded with a dynamic import from
 * `replay-ui.ts`, so that no other command loads ink or react.
 */
import { Box, Text, useApp, useInput, useStdout } from 'ink';
import { useEffect, useReducer, useRef, useState } from 'react';
import { decisionWord, oneLine, outcome, previewTable, who } from './format.js';
import {
  advance,
  START,
  untilNext,
  type ReplayAction,
  type ReplayState,
  type TimelineStep,
} from './replay-timeline.js';
import type { Replay } from './replay-timeline.js';
import type { AuditEvent } from './types.js';

export interface ReplayViewProps {
  replay: Replay;
  /** How often replay time advances and the wait countdown redraws. Default 50 ms. */
  frameMs?: number;
}

/** Rows of the latest result shown under the statements. */
const PREVIEW_ROWS = 5;

/** Header (2 lines and a blank), footer (a blank and the keys), and a spare line so ink never scrolls. */
const CHROME_ROWS = 6;

/** Rule names longer than this are cut in the rule column. */
const MAX_RULE_WIDTH = 20;

const DECISION_COLOR: Record<string, string> = { allow: 'green', deny: 'red', review: 'yellow' };

/**
 * The terminal replay: statements appear with their original timing (space
 * pauses, `n` or → shows the next one and pauses, `s` skips the wait for the
 * next one, `q` or Ctrl-C quits), the latest with a preview of its masked result.
 */
export function ReplayView({ replay, frameMs = 50 }: ReplayViewProps) {
  const { session, events, steps, speed } = replay;
  const { exit } = useApp();
  const { stdout } = useStdout();
  const size = useTerminalSize(stdout);
  const [state, dispatch] = useReducer(
    (current: ReplayState, action: ReplayAction) => advance(current, action, steps),
    START,
  );
  // Replay time comes from the clock, not from the number of frames drawn.
  const last = useRef(Date.now());

  useEffect(() => {
    const timer = setInterval(() => {
      const now = Date.now();
      dispatch({ type: 'tick', ms: now - last.current });
      last.current = now;
    }, frameMs);
    return () => clearInterval(timer);
  }, [frameMs]);

  useInput((input, key) => {
    if (input === 'q' || (key.ctrl && input === 'c')) {
      exit();
      return;
    }
    const action: ReplayAction | undefined =
      input === ' '
        ? { type: 'toggle-pause' }
        : input === 'n' || key.rightArrow
          ? { type: 'step' }
          : input === 's'
            ? { type: 'skip' }
            : undefined;
    if (!action) return;
    dispatch(action);
    last.current = Date.now();
  });

  const done = state.shown >= steps.length;
  const next = untilNext(state, steps);
  const status = done
    ? replay.inProgress
      ? 'end of what is recorded so far (the session is still in progress)'
      : 'end of session'
    : state.paused
      ? 'paused'
      : `playing, next in ${((next ?? 0) / 1000).toFixed(1)}s`;

  const latest = state.shown > 0 ? events[state.shown - 1] : undefined;
  const preview =
    latest?.preview && latest.preview.columns.length > 0
      ? previewTable(latest.preview, PREVIEW_ROWS, '  ').split('\n')
      : [];
  const room = Math.max(1, size.rows - CHROME_ROWS - (preview.length ? preview.length + 1 : 0));
  const first = Math.max(0, state.shown - room);
  // The rule goes in its own column after the decision: at the end of the line a long error cuts it off.
  const ruleWidth = Math.min(
    MAX_RULE_WIDTH,
    Math.max(0, ...events.map((e) => e.rule?.length ?? 0)),
  );
  const sqlWidth = Math.max(20, size.columns - 50 - ruleWidth);

  return (
    <Box flexDirection="column" width={size.columns}>
      <Text wrap="truncate-end">
        <Text bold>{session.id}</Text>
        {`  ${who(session)} on ${session.connection.name}  from ${session.client}`}
      </Text>
      <Text wrap="truncate-end">
        {`${state.shown}/${steps.length} statements  ×${speed}  `}
        <Text color={done ? 'cyan' : state.paused ? 'yellow' : 'green'}>{status}</Text>
      </Text>
      <Text> </Text>
      {events.slice(first, state.shown).map((event, i) => (
        <StatementLine
          key={event.id}
          event={event}
          step={steps[first + i]}
          ruleWidth={ruleWidth}
          sqlWidth={sqlWidth}
          latest={first + i === state.shown - 1}
        />
      ))}
      {preview.length > 0 && (
        <Box flexDirection="column" marginTop={1}>
          {preview.map((line, i) => (
            <Text key={i} wrap="truncate-end" dimColor={i > 0}>
              {line}
            </Text>
          ))}
        </Box>
      )}
      <Text> </Text>
      <Text dimColor wrap="truncate-end">
        space pause · n/→ step · s skip the wait · q quit
      </Text>
    </Box>
  );
}

/** `+12.345s  allow   read-only  select …  (3 rows, 1.2 ms)`: the plain timeline's line with the rule, in colour. */
function StatementLine(props: {
  event: AuditEvent;
  step: TimelineStep | undefined;
  ruleWidth: number;
  sqlWidth: number;
  latest: boolean;
}) {
  const { event, step, ruleWidth, sqlWidth, latest } = props;
  const decision = decisionWord(event);
  const offset = `+${((step?.offsetMs ?? 0) / 1000).toFixed(3)}s`.padStart(10);
  return (
    <Text wrap="truncate-end" bold={latest}>
      {`${offset}  `}
      <Text color={DECISION_COLOR[decision]}>{decision.padEnd(6)}</Text>
      {ruleWidth > 0 ? (
        <Text dimColor>{`  ${oneLine(event.rule ?? '-', ruleWidth).padEnd(ruleWidth)}`}</Text>
      ) : null}
      {`  ${oneLine(event.text, sqlWidth)}  (${outcome(event)})`}
      {step?.idleCut ? <Text dimColor>{'  [idle gap shortened]'}</Text> : null}
    </Text>
  );
}

/** The terminal's size, redrawn when it changes (80×24 when the stream does not say). */
function useTerminalSize(stdout: NodeJS.WriteStream): { rows: number; columns: number } {
  const read = () => ({ rows: stdout.rows || 24, columns: stdout.columns || 80 });
  const [size, setSize] = useState(read);
  useEffect(() => {
    const onResize = () => setSize(read());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return size;
}
