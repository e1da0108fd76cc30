import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  advance,
  planTimeline,
  START,
  untilNext,
  type ReplayState,
} from '../../../../src/cli/audit/replay-timeline.js';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');

describe('planTimeline', () => {
  it('waits the recorded gaps divided by the speed', () => {
    const steps = planTimeline(T0, [T0 + 1000, T0 + 1500, T0 + 4500], {
      speed: 2,
      maxIdleMs: 0,
    });
    assert.deepEqual(
      steps.map((step) => [step.offsetMs, step.delayMs, step.idleCut]),
      [
        [1000, 500, false],
        [1500, 250, false],
        [4500, 1500, false],
      ],
    );
  });

  it('shortens idle gaps over the threshold, keeping the recorded offsets', () => {
    const steps = planTimeline(T0, [T0 + 100, T0 + 3_600_100], { speed: 1, maxIdleMs: 5000 });
    assert.deepEqual(
      steps.map((step) => [step.offsetMs, step.delayMs, step.idleCut]),
      [
        [100, 100, false],
        [3_600_100, 5000, true],
      ],
    );
  });

  it('never waits a negative time, and refuses a speed that is not above 0', () => {
    const steps = planTimeline(T0, [T0 - 50, T0 + 10, T0 + 5], { speed: 1, maxIdleMs: 0 });
    assert.deepEqual(
      steps.map((step) => step.delayMs),
      [0, 10, 0],
    );
    assert.throws(() => planTimeline(T0, [], { speed: 0, maxIdleMs: 0 }), RangeError);
    assert.throws(() => planTimeline(T0, [], { speed: Number.NaN, maxIdleMs: 0 }), RangeError);
  });
});

describe('advance', () => {
  const steps = planTimeline(T0, [T0 + 100, T0 + 300, T0 + 1300], { speed: 1, maxIdleMs: 0 });
  const run = (actions: Parameters<typeof advance>[1][]): ReplayState =>
    actions.reduce((state, action) => advance(state, action, steps), START);

  it('shows statements as their time comes, several in one tick when it is long', () => {
    assert.equal(run([{ type: 'tick', ms: 99 }]).shown, 0);
    assert.equal(run([{ type: 'tick', ms: 100 }]).shown, 1);
    assert.deepEqual(run([{ type: 'tick', ms: 350 }]), { shown: 2, paused: false, waitedMs: 50 });
    assert.deepEqual(run([{ type: 'tick', ms: 10_000 }]), { shown: 3, paused: false, waitedMs: 0 });
    assert.equal(untilNext(run([{ type: 'tick', ms: 150 }]), steps), 150);
  });

  it('stands still while paused and resumes where it was', () => {
    const paused = run([
      { type: 'tick', ms: 150 },
      { type: 'toggle-pause' },
      { type: 'tick', ms: 5000 },
    ]);
    assert.deepEqual(paused, { shown: 1, paused: true, waitedMs: 50 });
    assert.equal(untilNext(paused, steps), undefined);
    const resumed = advance(
      advance(paused, { type: 'toggle-pause' }, steps),
      { type: 'tick', ms: 150 },
      steps,
    );
    assert.equal(resumed.shown, 2);
  });

  it('steps one statement at a time and pauses there', () => {
    const stepped = run([{ type: 'step' }, { type: 'step' }]);
    assert.deepEqual(stepped, { shown: 2, paused: true, waitedMs: 0 });
    assert.equal(advance(stepped, { type: 'tick', ms: 10_000 }, steps).shown, 2);
    const end = run([{ type: 'step' }, { type: 'step' }, { type: 'step' }, { type: 'step' }]);
    assert.equal(end.shown, 3);
  });

  it('skips the wait for the next statement and keeps playing', () => {
    const skipped = run([{ type: 'tick', ms: 150 }, { type: 'skip' }]);
    assert.deepEqual(skipped, { shown: 2, paused: false, waitedMs: 0 });
    // The idle second before the third statement is skipped too, then the replay is over.
    const over = advance(skipped, { type: 'skip' }, steps);
    assert.equal(over.shown, 3);
    assert.equal(untilNext(over, steps), undefined);
    assert.deepEqual(advance(over, { type: 'skip' }, steps), over);
  });
});
