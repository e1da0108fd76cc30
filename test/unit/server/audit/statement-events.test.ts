import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newId } from '../../../../src/lib/ids.js';
import { StatementRecorder } from '../../../../src/server/audit/index.js';
import { createLogger } from '../../../../src/server/logger.js';
import type { SessionContext } from '../../../../src/server/protocols/handler.js';
import {
  Framer,
  buildCommandComplete,
  buildErrorResponse,
  buildReadyForQuery,
} from '../../../../src/server/protocols/postgres/protocol/index.js';
import type { StatementOutcome } from '../../../../src/server/protocols/postgres/statement-gate.js';
import {
  StatementOutcomes,
  rowsOfTag,
} from '../../../../src/server/protocols/postgres/statement-outcomes.js';
import { openStore, type StatementEvent, type Store } from '../../../../src/server/store/index.js';

function event(overrides: Partial<StatementEvent> = {}): StatementEvent {
  return {
    id: newId('evt'),
    sessionId: 'ses_1',
    seq: 1,
    at: new Date('2026-01-02T03:04:05.000Z'),
    kind: 'statement',
    text: 'select 1',
    fingerprint: 'abc',
    kinds: ['select'],
    tables: [],
    decision: 'allow',
    rule: 'agents',
    policyHash: 'sha256:x',
    rows: 1,
    durationMs: 0.5,
    ...overrides,
  };
}

describe('statement events in the store', () => {
  it('appends events and lists a session’s in seq order', async () => {
    const store = await openStore('sqlite::memory:');
    try {
      const second = event({ seq: 2, text: 'drop table t', decision: 'deny', kinds: ['drop'] });
      delete second.rows;
      second.errorCode = '42501';
      second.errorMessage = 'hoop: refused';
      await store.appendEvents([second]);
      await store.appendEvents([event()]);
      await store.appendEvents([event({ sessionId: 'ses_2' })]);
      const events = await store.listEvents('ses_1');
      assert.deepEqual(
        events.map((e) => e.seq),
        [1, 2],
      );
      assert.deepEqual(events[0], event({ id: events[0]!.id }));
      assert.deepEqual(events[1], second);
      assert.deepEqual(await store.listEvents('ses_none'), []);
    } finally {
      await store.close();
    }
  });

  it('keeps optional fields absent rather than null', async () => {
    const store = await openStore('sqlite::memory:');
    try {
      const bare: StatementEvent = {
        id: newId('evt'),
        sessionId: 'ses_3',
        seq: 1,
        at: new Date('2026-01-02T03:04:05.000Z'),
        kind: 'statement',
        text: 'selec 1',
        kinds: [],
        tables: [],
        decision: 'deny',
      };
      await store.appendEvents([bare]);
      assert.deepEqual(await store.listEvents('ses_3'), [bare]);
    } finally {
      await store.close();
    }
  });
});

describe('CommandComplete tags', () => {
  it('reads the row count of the commands that report one', () => {
    assert.equal(rowsOfTag('SELECT 5'), 5);
    assert.equal(rowsOfTag('INSERT 0 3'), 3);
    assert.equal(rowsOfTag('UPDATE 2'), 2);
    assert.equal(rowsOfTag('DELETE 0'), 0);
    assert.equal(rowsOfTag('COPY 7'), 7);
    assert.equal(rowsOfTag('CREATE TABLE'), undefined);
    assert.equal(rowsOfTag('BEGIN'), undefined);
  });
});

describe('statement outcomes', () => {
  const frames = (...buffers: Buffer[]) => new Framer().push(Buffer.concat(buffers));

  it('sums a simple Query’s counts and reports at ReadyForQuery', () => {
    const seen: [unknown, StatementOutcome][] = [];
    const outcomes = new StatementOutcomes((audit, outcome) => {
      seen.push([audit, outcome]);
    });
    outcomes.onStatement({ type: 'query', sql: 'insert …; update …' }, 'a');
    for (const frame of frames(
      buildCommandComplete('INSERT 0 2'),
      buildCommandComplete('UPDATE 3'),
    ))
      outcomes.onTargetFrame(frame);
    assert.equal(seen.length, 0);
    for (const frame of frames(buildReadyForQuery())) outcomes.onTargetFrame(frame);
    assert.equal(seen.length, 1);
    assert.equal(seen[0]![0], 'a');
    assert.equal(seen[0]![1].rows, 5);
    assert.equal(seen[0]![1].error, undefined);
  });

  it('reports a refusal with the gateway’s error, not the target’s', () => {
    const seen: StatementOutcome[] = [];
    const outcomes = new StatementOutcomes((_, outcome) => {
      seen.push(outcome);
    });
    outcomes.onStatement({ type: 'query', sql: 'drop table t' }, 'a', {
      sqlState: '42501',
      message: 'refused by policy',
    });
    for (const frame of frames(
      buildErrorResponse({ severity: 'ERROR', code: '42601', message: 'syntax error' }),
      buildReadyForQuery(),
    ))
      outcomes.onTargetFrame(frame);
    assert.deepEqual(seen[0]?.error, { code: '42501', message: 'refused by policy' });
  });

  it('ties Executes to their completions and skips those after an error', () => {
    const seen: [unknown, StatementOutcome][] = [];
    const outcomes = new StatementOutcomes((audit, outcome) => {
      seen.push([audit, outcome]);
    });
    outcomes.onStatement({ type: 'parse', name: '', sql: 'select $1', paramTypes: [] }, 'one');
    outcomes.onClientMessage({
      type: 'bind',
      portal: '',
      statement: '',
      paramFormats: [],
      params: [],
      resultFormats: [],
    });
    outcomes.onClientMessage({ type: 'execute', portal: '', maxRows: 0 });
    outcomes.onStatement({ type: 'parse', name: 's2', sql: 'select nope', paramTypes: [] }, 'two');
    outcomes.onClientMessage({
      type: 'bind',
      portal: 'p2',
      statement: 's2',
      paramFormats: [],
      params: [],
      resultFormats: [],
    });
    outcomes.onClientMessage({ type: 'execute', portal: 'p2', maxRows: 0 });
    outcomes.onClientMessage({ type: 'execute', portal: '', maxRows: 0 });
    outcomes.onClientMessage({ type: 'sync' });
    for (const frame of frames(
      buildCommandComplete('SELECT 1'),
      buildErrorResponse({ severity: 'ERROR', code: '42P01', message: 'no such table' }),
      buildReadyForQuery(),
    ))
      outcomes.onTargetFrame(frame);
    assert.deepEqual(
      seen.map(([audit, outcome]) => [audit, outcome.rows, outcome.error?.code]),
      [
        ['one', 1, undefined],
        ['two', undefined, '42P01'],
      ],
    );
  });
});

describe('statement recorder', () => {
  const session = (id: string): SessionContext =>
    ({ id, log: createLogger('silent') }) as unknown as SessionContext;
  const audit = {
    text: 'select 1',
    fingerprint: 'f',
    kinds: ['select'],
    tables: [],
    decision: 'allow' as const,
    rule: 'agents',
    policyHash: 'sha256:x',
  };

  it('numbers events per session from 1', async () => {
    const store = await openStore('sqlite::memory:');
    try {
      const recorder = new StatementRecorder({ store });
      recorder.onStatement(session('ses_a'), audit, { durationMs: 1, rows: 1 });
      recorder.onStatement(session('ses_b'), audit, { durationMs: 1 });
      recorder.onStatement(session('ses_a'), audit, {
        durationMs: 2,
        error: { code: '42P01', message: 'no such table' },
      });
      recorder.onStatement(session('ses_a'), undefined, { durationMs: 1 });
      await recorder.settle('ses_a');
      await recorder.settle('ses_b');
      const events = await store.listEvents('ses_a');
      assert.deepEqual(
        events.map((e) => [e.seq, e.rows, e.errorCode]),
        [
          [1, 1, undefined],
          [2, undefined, '42P01'],
        ],
      );
      assert.equal((await store.listEvents('ses_b')).length, 1);
    } finally {
      await store.close();
    }
  });

  it('writes a burst of statements in one append, the rest in the next', async () => {
    const store = await openStore('sqlite::memory:');
    try {
      const sizes: number[] = [];
      const counting: Store = {
        ...store,
        appendEvents: (events) => {
          sizes.push(events.length);
          return store.appendEvents(events);
        },
      };
      const recorder = new StatementRecorder({ store: counting, maxBatch: 300 });
      for (let i = 0; i < 700; i++)
        recorder.onStatement(session('ses_d'), audit, { durationMs: 1 });
      await recorder.settle('ses_d');
      assert.deepEqual(sizes, [300, 300, 100]);
      const events = await store.listEvents('ses_d');
      assert.deepEqual(
        events.map((e) => e.seq),
        Array.from({ length: 700 }, (_, i) => i + 1),
      );
    } finally {
      await store.close();
    }
  });

  it('appends a batch larger than one INSERT in one transaction', async () => {
    const store = await openStore('sqlite::memory:');
    try {
      const events = Array.from({ length: 1200 }, (_, i) => event({ seq: i + 1 }));
      await store.appendEvents(events);
      assert.equal((await store.listEvents('ses_1')).length, 1200);
      // A bad row in the last slice fails the whole batch: nothing of it is kept.
      const failing = Array.from({ length: 1200 }, (_, i) =>
        event({ sessionId: 'ses_2', seq: i + 1 }),
      );
      failing[1100] = { ...failing[1100]!, text: null as unknown as string };
      await assert.rejects(store.appendEvents(failing));
      assert.deepEqual(await store.listEvents('ses_2'), []);
      // An id already stored is skipped, not an error: a journal replayed twice adds nothing.
      await store.appendEvents(events.slice(0, 10));
      assert.equal((await store.listEvents('ses_1')).length, 1200);
    } finally {
      await store.close();
    }
  });

  it('sends what the store refused again, in order, once it takes records again', async () => {
    const store = await openStore('sqlite::memory:');
    try {
      let refusals = 2;
      const flaky: Store = {
        ...store,
        appendEvents: (events) =>
          refusals-- > 0 ? Promise.reject(new Error('store down')) : store.appendEvents(events),
      };
      const recorder = new StatementRecorder({ store: flaky, batchWindowMs: 1 });
      recorder.onStatement(session('ses_e'), audit, { durationMs: 1 });
      await new Promise((resolve) => setTimeout(resolve, 100)); // the first try has failed
      recorder.onStatement(session('ses_e'), audit, { durationMs: 2 });
      const deadline = Date.now() + 5000;
      while ((await store.listEvents('ses_e')).length < 2 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.deepEqual(
        (await store.listEvents('ses_e')).map((e) => [e.seq, e.durationMs]),
        [
          [1, 1],
          [2, 2],
        ],
      );
    } finally {
      await store.close();
    }
  });

  it('logs an append that fails and goes on', async () => {
    const store = await openStore('sqlite::memory:');
    try {
      const failing: Store = {
        ...store,
        appendEvents: () => Promise.reject(new Error('disk I/O error')),
      };
      const recorder = new StatementRecorder({ store: failing });
      recorder.onStatement(session('ses_c'), audit, { durationMs: 1 });
      await recorder.settle('ses_c');
    } finally {
      await store.close();
    }
  });
});
