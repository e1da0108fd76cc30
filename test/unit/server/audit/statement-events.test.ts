import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newId } from '../../../../src/lib/ids.js';
import { AuditRecorder } from '../../../../src/server/audit/index.js';
import type {
  ActionOutcome,
  ActionRecord,
  Enforcer,
  SqlOutcome,
  SqlRecord,
} from '../../../../src/server/enforcement/index.js';
import { Exchange, type DecidedSql } from '../../../../src/server/protocols/postgres/exchange.js';
import {
  BackendCode,
  Framer,
  buildCommandComplete,
  buildErrorResponse,
  buildReadyForQuery,
} from '../../../../src/server/protocols/postgres/protocol/index.js';
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
  /** The records the outcomes hand the enforcer, each with how its statement ended. */
  const recording = () => {
    const seen: [string, SqlOutcome][] = [];
    const progressed: [string, SqlOutcome][] = [];
    const enforcer = {
      record: (record: ActionRecord, outcome: ActionOutcome) => {
        if (record.type === 'sql' && outcome.type === 'sql') seen.push([record.text, outcome]);
        return undefined;
      },
      progress: (record: ActionRecord, outcome: ActionOutcome) => {
        if (record.type === 'sql' && outcome.type === 'sql')
          progressed.push([record.text, outcome]);
        return undefined;
      },
    } as Enforcer;
    const exchange = new Exchange();
    const outcomes = new StatementOutcomes(enforcer);
    /** The frames as one chunk of the target's: a frame knows whether ReadyForQuery follows it in it. */
    const target = (...buffers: Buffer[]) => {
      const chunk = frames(...buffers);
      chunk.forEach((frame, index) =>
        outcomes.onTargetFrame(
          frame,
          exchange.onTargetFrame(frame),
          chunk[index + 1]?.code === BackendCode.ReadyForQuery,
        ),
      );
    };
    return { seen, progressed, exchange, target };
  };
  const decided = (text: string, refusal?: DecidedSql['refusal']): DecidedSql => ({
    text,
    copyOut: [],
    record: {
      type: 'sql',
      text,
      kinds: [],
      tables: [],
      decision: refusal ? 'deny' : 'allow',
      policyHash: 'sha256:x',
    },
    ...(refusal ? { refusal } : {}),
  });

  it('sums a simple Query’s counts and reports at ReadyForQuery', () => {
    const { seen, progressed, exchange, target } = recording();
    exchange.onQuery(decided('a'));
    target(buildCommandComplete('INSERT 0 2'), buildCommandComplete('UPDATE 3'));
    assert.equal(seen.length, 0);
    // Each statement answered before the Query's end: its progress first.
    assert.deepEqual(
      progressed.map(([text, outcome]) => [text, outcome.rows]),
      [
        ['a', 2],
        ['a', 5],
      ],
    );
    target(buildReadyForQuery());
    assert.equal(seen.length, 1);
    assert.equal(seen[0]![0], 'a');
    assert.equal(seen[0]![1].rows, 5);
    assert.equal(seen[0]![1].error, undefined);
  });

  it('reports a refusal with the gateway’s error, not the target’s', () => {
    const { seen, exchange, target } = recording();
    exchange.onQuery(
      decided('a', { sqlState: '42501', message: 'refused by policy', marker: 'hoop_refused_x' }),
    );
    target(
      buildErrorResponse({ severity: 'ERROR', code: '42601', message: 'syntax error' }),
      buildReadyForQuery(),
    );
    assert.deepEqual(seen[0]?.[1].error, { code: '42501', message: 'refused by policy' });
  });

  it('reports no progress for the statement its ReadyForQuery follows at once', () => {
    const { seen, progressed, exchange, target } = recording();
    exchange.onQuery(decided('a'));
    target(buildCommandComplete('SELECT 1'), buildReadyForQuery());
    assert.deepEqual(progressed, []);
    assert.equal(seen.length, 1);
  });

  it('ties Executes to their completions and skips those after an error', () => {
    const { seen, exchange, target } = recording();
    exchange.onParse('', decided('one'));
    exchange.onBind('', '', []);
    exchange.onExecute('');
    exchange.onParse('s2', decided('two'));
    exchange.onBind('p2', 's2', []);
    exchange.onExecute('p2');
    exchange.onExecute('');
    exchange.onSync();
    target(
      Buffer.from([0x31, 0, 0, 0, 4]), // ParseComplete
      Buffer.from([0x32, 0, 0, 0, 4]), // BindComplete
      buildCommandComplete('SELECT 1'),
      Buffer.from([0x31, 0, 0, 0, 4]),
      Buffer.from([0x32, 0, 0, 0, 4]),
      buildErrorResponse({ severity: 'ERROR', code: '42P01', message: 'no such table' }),
      buildReadyForQuery(),
    );
    assert.deepEqual(
      seen.map(([text, outcome]) => [text, outcome.rows, outcome.error?.code]),
      [
        ['one', 1, undefined],
        ['two', undefined, '42P01'],
      ],
    );
  });
});

describe('statement recorder', () => {
  const audit: SqlRecord = {
    type: 'sql',
    text: 'select 1',
    fingerprint: 'f',
    kinds: ['select'],
    tables: [],
    decision: 'allow',
    rule: 'agents',
    policyHash: 'sha256:x',
  };
  const ended = (outcome: Omit<SqlOutcome, 'type'>): SqlOutcome => ({ type: 'sql', ...outcome });

  it('numbers events per session from 1', async () => {
    const store = await openStore('sqlite::memory:');
    try {
      const recorder = new AuditRecorder({ store });
      recorder.record('ses_a', audit, ended({ durationMs: 1, rows: 1 }));
      recorder.record('ses_b', audit, ended({ durationMs: 1 }));
      recorder.record(
        'ses_a',
        audit,
        ended({ durationMs: 2, error: { code: '42P01', message: 'no such table' } }),
      );
      await recorder.settle('ses_a');
      await recorder.settle('ses_b');
      const events = await store.listEvents('ses_a');
      assert.deepEqual(
        events.map((e) => [
          e.seq,
          e.kind === 'statement' ? e.rows : 'not a statement',
          e.errorCode,
        ]),
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
      const recorder = new AuditRecorder({ store: counting, maxBatch: 300 });
      for (let i = 0; i < 700; i++) recorder.record('ses_d', audit, ended({ durationMs: 1 }));
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
      const recorder = new AuditRecorder({ store: flaky, batchWindowMs: 1 });
      recorder.record('ses_e', audit, ended({ durationMs: 1 }));
      await new Promise((resolve) => setTimeout(resolve, 100)); // the first try has failed
      recorder.record('ses_e', audit, ended({ durationMs: 2 }));
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
      const recorder = new AuditRecorder({ store: failing });
      recorder.record('ses_c', audit, ended({ durationMs: 1 }));
      await recorder.settle('ses_c');
    } finally {
      await store.close();
    }
  });
});
