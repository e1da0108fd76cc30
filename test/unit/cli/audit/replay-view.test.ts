import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { afterEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { stripVTControlCharacters } from 'node:util';
import { cleanup, render } from 'ink-testing-library';
import { createElement } from 'react';
import { planTimeline } from '../../../../src/cli/audit/replay-timeline.js';
import { playInteractive, type Replay } from '../../../../src/cli/audit/replay-ui.js';
import { ReplayView } from '../../../../src/cli/audit/replay-view.js';
import type { AuditEvent, AuditSessionDetail } from '../../../../src/cli/audit/types.js';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');

const SESSION: AuditSessionDetail = {
  id: 'ses_replay',
  subject: 'alice@example.com',
  identity: { name: 'alice', kind: 'user', authMethod: 'oidc', groups: [] },
  actors: [],
  connection: { name: 'orders-db', type: 'postgres' },
  client: 'psql',
  startedAt: new Date(T0).toISOString(),
  endedAt: new Date(T0 + 60_000).toISOString(),
  closeReason: 'client',
  bytesUp: 0,
  bytesDown: 0,
  policyVersions: [],
  events: 3,
  inProgress: false,
};

function event(seq: number, atMs: number, fields: Partial<AuditEvent>): AuditEvent {
  return {
    id: `evt_${seq}`,
    sessionId: SESSION.id,
    seq,
    at: new Date(T0 + atMs).toISOString(),
    kind: 'query',
    text: 'select 1',
    decision: 'allow',
    ...fields,
  };
}

const EVENTS = [
  event(1, 1_000, {
    text: 'select id, email from customers',
    rule: 'read-only',
    rows: 2,
    durationMs: 1.5,
    preview: {
      columns: ['id', 'email'],
      rows: [
        ['1', 'a***@example.com'],
        ['2', 'b***@example.com'],
      ],
      truncated: false,
    },
  }),
  event(2, 2_000, { text: 'delete from orders', decision: 'deny', rule: 'no-deletes' }),
  event(3, 3_000, {
    text: 'select count(*) from orders',
    rows: 1,
    preview: { columns: ['count'], rows: [['42']], truncated: false },
  }),
];

function replayOf(speed: number, fields: Partial<Replay> = {}): Replay {
  const steps = planTimeline(
    T0,
    EVENTS.map((e) => Date.parse(e.at)),
    { speed, maxIdleMs: 0 },
  );
  return { session: SESSION, events: EVENTS, steps, speed, inProgress: false, ...fields };
}

/** Polls until `frame()` passes `check`, and returns it; fails with the last frame seen. */
async function waitFor(frame: () => string, check: (text: string) => boolean): Promise<string> {
  const deadline = Date.now() + 3000;
  for (;;) {
    const text = frame();
    if (check(text)) return text;
    if (Date.now() > deadline) assert.fail(`frame never matched:\n${text}`);
    await sleep(10);
  }
}

afterEach(() => cleanup());

describe('ReplayView', () => {
  it('shows the statements in order with their offsets, decisions and rules, then the end', async () => {
    const view = render(createElement(ReplayView, { replay: replayOf(100), frameMs: 5 }));
    const frame = () => stripVTControlCharacters(view.lastFrame() ?? '');
    const text = await waitFor(frame, (t) => t.includes('end of session'));

    assert.match(text, /ses_replay {2}alice on orders-db {2}from psql/);
    assert.match(text, /3\/3 statements {2}×100/);
    const lines = text.split('\n');
    const at = (sql: string) => lines.findIndex((line) => line.includes(sql));
    assert.ok(at('select id, email') < at('delete from orders'));
    assert.ok(at('delete from orders') < at('select count(*)'));
    assert.match(
      lines[at('select id, email')]!,
      /\+1\.000s {2}allow {3}read-only {3}select id, email from customers {2}\(2 rows, 1\.5 ms\)/,
    );
    assert.match(
      lines[at('delete from orders')]!,
      /\+2\.000s {2}deny {4}no-deletes {2}delete from orders/,
    );
    // The preview is the latest statement's, not the first one's.
    assert.match(text, /count\s*\n\s*42/);
    assert.doesNotMatch(text, /a\*\*\*@example\.com/);
  });

  it('pauses, steps and skips on keys, and says when the session is still in progress', async () => {
    // Statements a second apart at ×1: none shows before the keys ask for it.
    const view = render(
      createElement(ReplayView, { replay: replayOf(1, { inProgress: true }), frameMs: 5 }),
    );
    const frame = () => stripVTControlCharacters(view.lastFrame() ?? '');
    await waitFor(frame, (t) => /0\/3 statements .*playing, next in/.test(t));

    view.stdin.write('n');
    let text = await waitFor(frame, (t) => /1\/3 statements .*paused/.test(t));
    assert.match(text, /select id, email from customers/);
    assert.match(text, /a\*\*\*@example\.com/);
    assert.doesNotMatch(text, /delete from orders/);

    view.stdin.write('s');
    text = await waitFor(frame, (t) => /2\/3 statements .*paused/.test(t));
    assert.match(text, /deny .*delete from orders/);
    // A denied statement has no result: no preview left from the one before.
    assert.doesNotMatch(text, /a\*\*\*@example\.com/);

    view.stdin.write(' ');
    await waitFor(frame, (t) => /2\/3 statements .*playing, next in/.test(t));

    view.stdin.write('\u001b[C');
    text = await waitFor(frame, (t) => t.includes('3/3 statements'));
    assert.match(text, /end of what is recorded so far \(the session is still in progress\)/);
  });
});

/** Just enough of a terminal for ink: a TTY that takes keys and counts its size. */
class FakeTerminal extends EventEmitter {
  isTTY = true;
  columns = 100;
  rows = 20;
  output = '';
  private pending: string[] = [];
  write = (chunk: string): boolean => {
    this.output += chunk;
    return true;
  };
  type(keys: string): void {
    this.pending.push(keys);
    this.emit('readable');
  }
  read = (): string | null => this.pending.shift() ?? null;
  setRawMode(): this {
    return this;
  }
  setEncoding(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
  resume(): this {
    return this;
  }
  pause(): this {
    return this;
  }
}

describe('playInteractive', () => {
  for (const [name, key] of [
    ['q', 'q'],
    ['Ctrl-C', '\u0003'],
  ]) {
    it(`draws on the alternate screen and returns on ${name}, restoring the screen`, async () => {
      const terminal = new FakeTerminal();
      const done = playInteractive(
        replayOf(1),
        terminal as unknown as NodeJS.ReadStream,
        terminal as unknown as NodeJS.WriteStream,
      );
      // Ink listens for keys once it has mounted. (Under CI=… ink draws only the last frame, at exit.)
      await waitFor(
        () => String(terminal.listenerCount('readable')),
        (count) => count !== '0',
      );
      terminal.type(key!);
      await done;
      assert.ok(terminal.output.startsWith('\u001b[?1049h'));
      assert.match(stripVTControlCharacters(terminal.output), /0\/3 statements/);
      assert.ok(terminal.output.endsWith('\u001b[?1049l'));
    });
  }
});
