import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createResultMasker } from '../../../../../src/server/masking/index.js';
import {
  CatalogCache,
  CatalogLookup,
} from '../../../../../src/server/protocols/postgres/catalog.js';
import {
  Framer,
  buildDataRow,
  buildReadyForQuery,
  buildRowDescription,
  dataRowOffsets,
  type FieldDescription,
  type Frame,
} from '../../../../../src/server/protocols/postgres/protocol/index.js';
import type {
  Enforcer,
  MaskPlan,
  ResultMasker,
} from '../../../../../src/server/enforcement/index.js';
import {
  Exchange,
  type DecidedSql,
} from '../../../../../src/server/protocols/postgres/exchange.js';
import { ResultFilter } from '../../../../../src/server/protocols/postgres/result-filter.js';

const MASKS: MaskPlan = {
  masks: [
    {
      rule: 'pii',
      columns: ['customers.email'],
      detectors: ['email'],
      tables: ['customers'],
    },
  ],
};

const PARSE_COMPLETE = Buffer.from([0x31, 0, 0, 0, 4]);
const BIND_COMPLETE = Buffer.from([0x32, 0, 0, 0, 4]);

const decided = (text: string, masks?: MaskPlan): DecidedSql => ({
  text,
  copyOut: [],
  ...(masks ? { masks } : {}),
});

const field = (
  name: string,
  tableOid: number,
  columnAttr: number,
  typeOid = 25,
): FieldDescription => ({
  name,
  tableOid,
  columnAttr,
  typeOid,
  typeSize: -1,
  typeModifier: -1,
  format: 0,
});

function frameOf(bytes: Buffer): Frame {
  const [frame] = new Framer().push(bytes);
  return frame!;
}

function values(bytes: Buffer): (string | null)[] {
  const frame = frameOf(bytes);
  const offsets = new Int32Array(64);
  const n = dataRowOffsets(frame, offsets);
  return Array.from({ length: n }, (_, i) =>
    offsets[2 * i]! < 0 ? null : frame.buffer.toString('utf8', offsets[2 * i], offsets[2 * i + 1]),
  );
}

/** The filter as the relay drives it: each frame tied to what it answers by the session's exchange. */
function filterWith(
  open: () => Promise<never>,
  masker: (plan: MaskPlan) => ResultMasker = createResultMasker,
) {
  const failures: Error[] = [];
  const exchange = new Exchange();
  const filter = new ResultFilter({
    enforcer: { active: true, masker } as unknown as Enforcer,
    catalog: new CatalogLookup({ open, cache: new CatalogCache(), scope: 'test' }),
    onCatalogFailure: (error) => failures.push(error),
  });
  return {
    exchange,
    handle: (frame: Frame) => filter.handle(frame, exchange.onTargetFrame(frame)),
  };
}

describe('ResultFilter', () => {
  it('masks every table column whole when the catalog lookup fails (fail closed)', async () => {
    const filter = filterWith(() => Promise.reject(new Error('catalog down')));
    filter.exchange.onQuery(decided('select * from customers', MASKS));
    const description = filter.handle(
      frameOf(
        buildRowDescription([
          field('id', 16400, 1, 23),
          field('nickname', 16400, 2),
          field('x', 0, 0, 23),
        ]),
      ),
    );
    assert.ok(description instanceof Promise, 'the plan waits for the catalog');
    assert.equal(await description, undefined, 'the RowDescription itself is forwarded');
    const row = filter.handle(frameOf(buildDataRow(['7', 'Jane Doe', '1'])));
    assert.ok(row instanceof Buffer);
    // The unresolved text column is redacted whole, the untraced expression NULL whatever its type.
    assert.deepEqual(values(row), [null, '***', null]);
    assert.equal(filter.handle(frameOf(buildReadyForQuery())), undefined);
  });

  it('forwards rows untouched when the statement has no masks', () => {
    const filter = filterWith(() => Promise.reject(new Error('never asked')));
    filter.exchange.onQuery(decided('select 1'));
    assert.equal(
      filter.handle(frameOf(buildRowDescription([field('email', 16400, 3)]))),
      undefined,
    );
    assert.equal(filter.handle(frameOf(buildDataRow(['jane@example.com']))), undefined);
  });

  it('ties extended-protocol rows to the portal bound from the masked statement', () => {
    const filter = filterWith(() => Promise.reject(new Error('never asked')));
    filter.exchange.onParse('s1', decided('select lower(email)', MASKS));
    filter.exchange.onParse('s2', decided('select 1'));
    for (const [portal, statement] of [
      ['p1', 's1'],
      ['p2', 's2'],
    ] as const) {
      filter.exchange.onBind(portal, statement, []);
      filter.exchange.onDescribe('P', portal);
      filter.exchange.onExecute(portal);
    }
    filter.exchange.onSync();
    for (const ack of [PARSE_COMPLETE, PARSE_COMPLETE, BIND_COMPLETE])
      assert.equal(filter.handle(frameOf(ack)), undefined);
    // Expressions only: no catalog round trip.
    assert.equal(filter.handle(frameOf(buildRowDescription([field('lower', 0, 0)]))), undefined);
    const masked = filter.handle(frameOf(buildDataRow(['jane@example.com'])));
    assert.ok(masked instanceof Buffer);
    // A value derived from a masked column keeps nothing of itself.
    assert.deepEqual(values(masked), ['***']);
    assert.equal(filter.handle(frameOf(Buffer.from('C\0\0\0\x0dSELECT 1\0', 'latin1'))), undefined);
    assert.equal(filter.handle(frameOf(BIND_COMPLETE)), undefined);
    assert.equal(filter.handle(frameOf(buildRowDescription([field('lower', 0, 0)]))), undefined);
    assert.equal(filter.handle(frameOf(buildDataRow(['jane@example.com']))), undefined);
  });

  it('rewrites only the cells that change, in whatever order the plan lists its columns', () => {
    // A masker listing its columns last first: NULL for column 3, a redaction for 0, 1 unchanged.
    const filter = filterWith(
      () => Promise.reject(new Error('never asked')),
      () => ({
        reachesMasked: false,
        scanText: () => undefined,
        plan: () => ({
          columns: [3, 1, 0],
          maskCell: (index, value) =>
            index === 3 ? null : index === 0 ? Buffer.from(`<${value.toString()}>`) : undefined,
        }),
      }),
    );
    filter.exchange.onQuery(decided('select 1', MASKS));
    const fields = ['a', 'b', 'c', 'd', 'e'].map((name) => field(name, 0, 0));
    assert.equal(filter.handle(frameOf(buildRowDescription(fields))), undefined);
    for (const row of [
      ['x', 'keep', null, 'gone', 'tail'],
      ['', 'keep', 'c', 'd', null],
      [null, 'b', null, null, 'e'],
    ]) {
      const out = filter.handle(frameOf(buildDataRow(row)));
      if (row[0] === null && row[3] === null) {
        assert.equal(out, undefined, 'NULL cells are not planned: the row is forwarded');
        continue;
      }
      assert.ok(out instanceof Buffer);
      const expected = [...row];
      if (row[0] !== null) expected[0] = `<${row[0]}>`;
      if (row[3] !== null) expected[3] = null;
      assert.deepEqual(values(out), expected);
    }
  });
});
