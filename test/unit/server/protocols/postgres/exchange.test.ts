import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Exchange,
  type Answer,
  type DecidedSql,
} from '../../../../../src/server/protocols/postgres/exchange.js';
import {
  Framer,
  buildCommandComplete,
  buildDataRow,
  buildErrorResponse,
  buildReadyForQuery,
  buildRowDescription,
} from '../../../../../src/server/protocols/postgres/protocol/index.js';

const PARSE_COMPLETE = Buffer.from([0x31, 0, 0, 0, 4]);
const BIND_COMPLETE = Buffer.from([0x32, 0, 0, 0, 4]);
const CLOSE_COMPLETE = Buffer.from([0x33, 0, 0, 0, 4]);
const ERROR = buildErrorResponse({ severity: 'ERROR', code: '42601', message: 'syntax error' });
const ROW = buildDataRow(['x']);
const DESCRIPTION = buildRowDescription([
  { name: 'x', tableOid: 0, columnAttr: 0, typeOid: 25, typeSize: -1, typeModifier: -1, format: 0 },
]);

const decided = (text: string): DecidedSql => ({ text, copyOut: [] });

/** Feeds target messages; returns what each answered. */
function answers(exchange: Exchange, ...messages: Buffer[]): Answer[] {
  return new Framer().push(Buffer.concat(messages)).map((frame) => exchange.onTargetFrame(frame));
}

/** The text of the statement whose portal an Execute ran, from the answer to its row. */
function ranText(answer: Answer | undefined): string | undefined {
  if (answer?.kind !== 'data' || answer.op.kind !== 'execute') return undefined;
  return answer.op.portal?.statement?.decided.text;
}

describe('Exchange: the extended protocol as the target has it', () => {
  it('a Parse takes effect at its ParseComplete, not when sent', () => {
    const exchange = new Exchange();
    exchange.onParse('s', decided('first'));
    exchange.onSync();
    answers(exchange, PARSE_COMPLETE, buildReadyForQuery());
    // Re-Parse of the same name: the target refuses it, so `s` stays the first.
    exchange.onParse('s', decided('second'));
    exchange.onSync();
    answers(exchange, ERROR, buildReadyForQuery());
    exchange.onBind('', 's', []);
    exchange.onExecute('');
    exchange.onSync();
    const [, row] = answers(exchange, BIND_COMPLETE, ROW, buildCommandComplete('SELECT 1'));
    assert.equal(ranText(row), 'first');
  });

  it('after an error, everything up to Sync is skipped: a Close, a Parse, a simple Query', () => {
    const exchange = new Exchange();
    exchange.onParse('', decided('kept'));
    exchange.onSync();
    answers(exchange, PARSE_COMPLETE, buildReadyForQuery());
    exchange.onParse('bad', decided('selec'));
    exchange.onClose('S', '');
    exchange.onParse('', decided('skipped'));
    exchange.onQuery(decided('select 1 -- skipped too'));
    exchange.onSync();
    const skipped = answers(exchange, ERROR, buildReadyForQuery());
    assert.deepEqual(skipped[0], { kind: 'failed', op: undefined, skipped: true });
    assert.deepEqual(skipped[1], { kind: 'ready', op: undefined });
    const query = exchange.onQuery(decided('select 2'));
    const [result] = answers(exchange, DESCRIPTION);
    assert.equal(
      result?.kind === 'result' && result.op,
      query,
      'the next result is the new Query’s',
    );
    answers(exchange, buildCommandComplete('SELECT 0'), buildReadyForQuery());
    // A simple Query drops the unnamed statement (§55.2.3).
    exchange.onBind('', '', []);
    exchange.onExecute('');
    exchange.onSync();
    const [, row] = answers(exchange, BIND_COMPLETE, ROW);
    assert.equal(ranText(row), undefined);
  });

  it('keeps what was prepared before the error, and ends the statement in error', () => {
    const exchange = new Exchange();
    exchange.onParse('s', decided('kept'));
    exchange.onSync();
    answers(exchange, PARSE_COMPLETE, buildReadyForQuery());
    exchange.onBind('p', 's', []);
    exchange.onExecute('p');
    exchange.onExecute('p');
    exchange.onSync();
    const [, failed, ready] = answers(exchange, BIND_COMPLETE, ERROR, buildReadyForQuery());
    assert.equal(failed?.kind, 'failed');
    assert.ok(failed?.kind === 'failed' && failed.op?.kind === 'execute' && failed.skipped);
    assert.deepEqual(ready, { kind: 'ready', op: undefined });
    assert.equal(exchange.idle, true);
  });

  it('applies a Close at CloseComplete, and drops portals when the transaction ends', () => {
    const exchange = new Exchange();
    exchange.onParse('s', decided('one'));
    exchange.onBind('p', 's', []);
    exchange.onClose('S', 's');
    exchange.onSync();
    answers(exchange, PARSE_COMPLETE, BIND_COMPLETE, CLOSE_COMPLETE, buildReadyForQuery('T'));
    // In a transaction the portal lives on, bound from the statement as it was.
    exchange.onExecute('p');
    exchange.onSync();
    const [row] = answers(exchange, ROW, buildCommandComplete('SELECT 1'), buildReadyForQuery('I'));
    assert.equal(ranText(row), 'one');
    // The transaction ended: the portal is gone.
    exchange.onExecute('p');
    exchange.onSync();
    const [gone] = answers(exchange, ROW);
    assert.ok(gone?.kind === 'data' && gone.op.kind === 'execute' && gone.op.portal === undefined);
  });

  it('an Execute of a name never bound (a SQL cursor) has no portal; forget() unbinds everything', () => {
    const exchange = new Exchange();
    exchange.onExecute('c');
    exchange.onSync();
    const [row] = answers(exchange, ROW);
    assert.ok(row?.kind === 'data' && row.op.kind === 'execute' && row.op.portal === undefined);
    answers(exchange, buildCommandComplete('FETCH 1'), buildReadyForQuery('T'));
    exchange.onParse('s', decided('prepared'));
    exchange.onBind('p', 's', []);
    exchange.onSync();
    answers(exchange, PARSE_COMPLETE, BIND_COMPLETE, buildReadyForQuery('T'));
    exchange.forget();
    exchange.onExecute('p');
    exchange.onSync();
    const [after] = answers(exchange, ROW);
    assert.ok(
      after?.kind === 'data' && after.op.kind === 'execute' && after.op.portal === undefined,
    );
  });

  it('is idle only with every request answered, no unsynced message and no transaction', () => {
    const exchange = new Exchange();
    assert.equal(exchange.idle, true);
    exchange.onParse('', decided('x'));
    exchange.onFlush();
    answers(exchange, PARSE_COMPLETE);
    assert.equal(exchange.idle, false, 'a Parse without Sync leaves an implicit transaction open');
    exchange.onSync();
    assert.equal(exchange.idle, false);
    answers(exchange, buildReadyForQuery('T'));
    assert.equal(exchange.idle, false, 'inside a transaction block');
    exchange.onQuery(decided('commit'));
    answers(exchange, buildCommandComplete('COMMIT'), buildReadyForQuery('I'));
    assert.equal(exchange.idle, true);
  });
});
