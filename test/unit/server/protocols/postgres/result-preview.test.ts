import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describedFields } from '../../../../../src/server/protocols/postgres/exchange.js';
import {
  PreviewCapture,
  frameOf,
} from '../../../../../src/server/protocols/postgres/result-preview.js';
import {
  buildDataRow,
  buildRowDescription,
} from '../../../../../src/server/protocols/postgres/protocol/index.js';

const field = (name: string, format = 0) => ({
  name,
  tableOid: 0,
  columnAttr: 0,
  typeOid: 25,
  typeSize: -1,
  typeModifier: -1,
  format,
});

describe('result preview', () => {
  it('keeps column names and text values, null as null', () => {
    const capture = new PreviewCapture({ rows: 10, bytes: 1000 });
    capture.describe(describedFields(frameOf(buildRowDescription([field('id'), field('email')]))));
    capture.row(frameOf(buildDataRow(['1', 'j***@example.com'])));
    capture.row(frameOf(buildDataRow(['2', null])));
    assert.deepEqual(capture.result(), {
      columns: ['id', 'email'],
      rows: [
        ['1', 'j***@example.com'],
        ['2', null],
      ],
      truncated: false,
    });
  });

  it('stops at the row limit and at the byte limit, saying it did', () => {
    const rows = new PreviewCapture({ rows: 2, bytes: 1000 });
    for (let i = 0; i < 5; i++) rows.row(frameOf(buildDataRow([String(i)])));
    assert.deepEqual(rows.result(), { columns: [], rows: [['0'], ['1']], truncated: true });
    const bytes = new PreviewCapture({ rows: 100, bytes: 10 });
    for (let i = 0; i < 5; i++) bytes.row(frameOf(buildDataRow(['abcd'])));
    assert.deepEqual(bytes.result()?.rows, [['abcd'], ['abcd']]);
    assert.equal(bytes.result()?.truncated, true);
  });

  it('renders binary-format values in hex, by the Bind result formats', () => {
    const capture = new PreviewCapture({ rows: 10, bytes: 1000 }, [0, 1]);
    capture.describe(describedFields(frameOf(buildRowDescription([field('name'), field('n')]))));
    capture.row(frameOf(buildDataRow(['x', Buffer.from([0, 0, 0, 42])])));
    assert.deepEqual(capture.result()?.rows, [['x', '\\x0000002a']]);
  });

  it('keeps the first result set of a Query with several', () => {
    const capture = new PreviewCapture({ rows: 10, bytes: 1000 });
    capture.describe(describedFields(frameOf(buildRowDescription([field('a')]))));
    capture.row(frameOf(buildDataRow(['1'])));
    capture.describe(describedFields(frameOf(buildRowDescription([field('b')]))));
    capture.row(frameOf(buildDataRow(['2'])));
    assert.deepEqual(capture.result(), { columns: ['a'], rows: [['1']], truncated: true });
  });

  it('has nothing to show for a statement without a result', () => {
    assert.equal(new PreviewCapture({ rows: 10, bytes: 1000 }).result(), undefined);
  });
});
