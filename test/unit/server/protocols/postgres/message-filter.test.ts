import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Enforcer, MaskPlan } from '../../../../../src/server/enforcement/index.js';
import { createResultMasker } from '../../../../../src/server/masking/index.js';
import {
  CatalogCache,
  CatalogLookup,
} from '../../../../../src/server/protocols/postgres/catalog.js';
import {
  Exchange,
  type DecidedSql,
} from '../../../../../src/server/protocols/postgres/exchange.js';
import {
  Framer,
  buildCommandComplete,
  buildErrorResponse,
  buildNotificationResponse,
  buildReadyForQuery,
  parseBackend,
  type Frame,
} from '../../../../../src/server/protocols/postgres/protocol/index.js';
import { ResultFilter } from '../../../../../src/server/protocols/postgres/result-filter.js';
import type { ClassifiedStatement } from '../../../../../src/server/sql/index.js';

const SSN = '536-90-4381';

/** A statement as the classifier would hand it on, with only what the filter reads. */
const statement = (tables: string[], extra: Partial<ClassifiedStatement> = {}) =>
  ({
    text: '',
    kinds: ['select'],
    tables,
    functions: [],
    unknown: [],
    settings: [],
    routines: [],
    lineage: null,
    ...extra,
  }) as unknown as ClassifiedStatement;

const plan = (tables: string[]): MaskPlan => ({
  masks: [{ rule: 'pii', columns: ['*.ssn'], detectors: ['email'], tables }],
});

const decided = (text: string, tables: string[]): DecidedSql => ({
  text,
  copyOut: [],
  masks: plan(tables),
  statements: [statement(tables)],
});

function frameOf(bytes: Buffer): Frame {
  const [frame] = new Framer().push(bytes);
  return frame!;
}

const castError = (): Buffer =>
  buildErrorResponse({
    severity: 'ERROR',
    code: '22P02',
    message: `invalid input syntax for type integer: "${SSN}"`,
    file: 'numutils.c',
    line: '232',
    routine: 'pg_strtoint32',
  });

function session() {
  const exchange = new Exchange();
  const filter = new ResultFilter({
    enforcer: { active: true, masker: createResultMasker } as unknown as Enforcer,
    catalog: new CatalogLookup({
      open: () => Promise.reject(new Error('never asked')),
      cache: new CatalogCache(),
      scope: 'test',
    }),
    exchange,
  });
  const query = (d: DecidedSql) => {
    filter.noteMasks(d.masks);
    exchange.onQuery(d);
  };
  const send = (bytes: Buffer): Buffer | undefined => {
    const frame = frameOf(bytes);
    const out = filter.handle(frame, exchange.onTargetFrame(frame));
    assert.ok(!(out instanceof Promise));
    return out;
  };
  return { query, send };
}

const messageOf = (bytes: Buffer | undefined): string | undefined => {
  if (!bytes) return undefined;
  const message = parseBackend(frameOf(bytes));
  if (message.type === 'errorResponse') return message.fields.message;
  if (message.type === 'notificationResponse') return message.payload;
  return undefined;
};

describe('message masking in the result filter', () => {
  it('hides the variable parts of an error answering a statement that reads a maskable table', () => {
    const s = session();
    s.query(decided('select ssn::int from customers', ['customers']));
    const out = s.send(castError());
    assert.equal(messageOf(out), 'invalid input syntax for type integer: "***"');
    const fields = (parseBackend(frameOf(out!)) as { fields: Record<string, string> }).fields;
    assert.equal(fields.code, '22P02');
  });

  it('keeps the text of an error answering a statement that reads only system catalogs', () => {
    const s = session();
    s.query(decided('select 1 from pg_catalog.pg_class', ['pg_catalog.pg_class']));
    assert.equal(s.send(castError()), undefined);
  });

  it('hides an error at COMMIT of a transaction in which a maskable table was read, and not after it', () => {
    const s = session();
    s.query(decided('begin', []));
    s.send(buildCommandComplete('BEGIN'));
    s.send(buildReadyForQuery('T'));
    s.query(decided('insert into t select ssn from customers', ['t', 'customers']));
    s.send(buildCommandComplete('INSERT 0 1'));
    s.send(buildReadyForQuery('T'));
    s.query(decided('commit', []));
    assert.equal(messageOf(s.send(castError())), 'invalid input syntax for type integer: "***"');
    s.send(buildReadyForQuery('I'));
    s.query(decided('select 1', []));
    assert.equal(s.send(castError()), undefined, 'a new transaction starts clean');
  });

  it('hides notification payloads once masks apply, and only then', () => {
    const s = session();
    const notification = buildNotificationResponse(42, 'jobs', SSN);
    assert.equal(s.send(notification), undefined, 'no mask has applied yet');
    s.query(decided('listen jobs', []));
    s.send(buildCommandComplete('LISTEN'));
    s.send(buildReadyForQuery('I'));
    assert.equal(messageOf(s.send(notification)), '***');
  });
});
