import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  dataRowField,
  dataRowOffsets,
  parseBackend,
} from '../../../../../src/server/protocols/postgres/protocol/backend.js';
import { PgProtocolError } from '../../../../../src/server/protocols/postgres/protocol/errors.js';
import {
  Framer,
  type Frame,
} from '../../../../../src/server/protocols/postgres/protocol/framer.js';
import { byte, cstr, i16, i32, typed, u32 } from './bytes.js';

function frame(bytes: Buffer): Frame {
  const frames = new Framer().push(bytes);
  assert.equal(frames.length, 1);
  return frames[0]!;
}
const parse = (bytes: Buffer) => parseBackend(frame(bytes));
const isCode = (expected: string) => (err: unknown) =>
  err instanceof PgProtocolError && err.code === expected;

describe('backend parsers', () => {
  it('Authentication requests and outcomes', () => {
    assert.deepEqual(parse(typed('R', i32(0))), { type: 'authenticationOk' });
    assert.deepEqual(parse(typed('R', i32(3))), { type: 'authenticationCleartextPassword' });
    assert.deepEqual(parse(typed('R', i32(5), Buffer.from([1, 2, 3, 4]))), {
      type: 'authenticationMD5Password',
      salt: Buffer.from([1, 2, 3, 4]),
    });
    assert.throws(() => parse(typed('R', i32(5), Buffer.of(1))), isCode('PG_TRUNCATED'));
    assert.deepEqual(
      parse(typed('R', i32(10), cstr('SCRAM-SHA-256-PLUS'), cstr('SCRAM-SHA-256'), Buffer.of(0))),
      { type: 'authenticationSASL', mechanisms: ['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256'] },
    );
    assert.deepEqual(parse(typed('R', i32(11), Buffer.from('r=abc'))), {
      type: 'authenticationSASLContinue',
      data: Buffer.from('r=abc'),
    });
    assert.deepEqual(parse(typed('R', i32(12), Buffer.from('v=xyz'))), {
      type: 'authenticationSASLFinal',
      data: Buffer.from('v=xyz'),
    });
    assert.deepEqual(parse(typed('R', i32(7))), {
      type: 'authenticationOther',
      method: 7,
      data: Buffer.alloc(0),
    });
  });

  it('BackendKeyData, ParameterStatus, ReadyForQuery', () => {
    assert.deepEqual(parse(typed('K', i32(77), i32(-5))), {
      type: 'backendKeyData',
      processId: 77,
      secretKey: i32(-5),
    });
    assert.deepEqual(parse(typed('S', cstr('TimeZone'), cstr('UTC'))), {
      type: 'parameterStatus',
      name: 'TimeZone',
      value: 'UTC',
    });
    for (const status of ['I', 'T', 'E'] as const) {
      assert.deepEqual(parse(typed('Z', byte(status))), { type: 'readyForQuery', status });
    }
    assert.throws(() => parse(typed('Z', byte('Q'))), isCode('PG_BAD_VALUE'));
  });

  it('RowDescription with unsigned OIDs', () => {
    const bytes = typed(
      'T',
      i16(2),
      ...[cstr('id'), u32(16384), i16(1), u32(23), i16(4), i32(-1), i16(0)],
      ...[cstr('x'), u32(0), i16(0), u32(0xfffffff0), i16(-1), i32(36), i16(1)],
    );
    assert.deepEqual(parse(bytes), {
      type: 'rowDescription',
      fields: [
        {
          name: 'id',
          tableOid: 16384,
          columnAttr: 1,
          typeOid: 23,
          typeSize: 4,
          typeModifier: -1,
          format: 0,
        },
        {
          name: 'x',
          tableOid: 0,
          columnAttr: 0,
          typeOid: 0xfffffff0,
          typeSize: -1,
          typeModifier: 36,
          format: 1,
        },
      ],
    });
  });

  const ROW = typed('D', i16(3), i32(2), Buffer.from('42'), i32(-1), i32(0));

  it('DataRow as views, NULL as null, empty as empty', () => {
    const f = frame(ROW);
    const m = parseBackend(f);
    assert.deepEqual(m, { type: 'dataRow', values: [Buffer.from('42'), null, Buffer.alloc(0)] });
    if (m.type === 'dataRow') assert.equal(m.values[0]!.buffer, f.buffer.buffer);
  });

  it('DataRow columns without allocating the others', () => {
    const f = frame(ROW);
    const out = new Int32Array(8);
    assert.equal(dataRowOffsets(f, out), 3);
    assert.equal(f.buffer.toString('utf8', out[0], out[1]), '42');
    assert.deepEqual([out[2], out[3]], [-1, -1]);
    assert.equal(out[5]! - out[4]!, 0);
    assert.equal(dataRowField(f, 0)!.toString(), '42');
    assert.equal(dataRowField(f, 1), null);
    assert.deepEqual(dataRowField(f, 2), Buffer.alloc(0));
    assert.throws(() => dataRowField(f, 3), RangeError);
  });

  it('DataRow that lies about its lengths', () => {
    const long = typed('D', i16(1), i32(10), Buffer.from('ab'));
    assert.throws(() => parse(long), isCode('PG_TRUNCATED'));
    assert.throws(() => dataRowOffsets(frame(long), new Int32Array(2)), isCode('PG_TRUNCATED'));
    const extra = typed('D', i16(1), i32(1), Buffer.from('ab'));
    assert.throws(() => parse(extra), isCode('PG_TRAILING_BYTES'));
    assert.throws(
      () => dataRowOffsets(frame(extra), new Int32Array(2)),
      isCode('PG_TRAILING_BYTES'),
    );
    const negative = typed('D', i16(1), i32(-7));
    assert.throws(() => parse(negative), isCode('PG_BAD_VALUE'));
    assert.throws(() => dataRowField(frame(negative), 0), isCode('PG_TRUNCATED'));
  });

  it('CommandComplete, ErrorResponse and NoticeResponse', () => {
    assert.deepEqual(parse(typed('C', cstr('SELECT 1'))), {
      type: 'commandComplete',
      tag: 'SELECT 1',
    });
    const fields = [
      ...[byte('S'), cstr('ERROR'), byte('V'), cstr('ERROR'), byte('C'), cstr('28P01')],
      ...[byte('M'), cstr('password authentication failed'), byte('D'), cstr('d')],
      ...[byte('H'), cstr('h'), byte('P'), cstr('5'), byte('F'), cstr('auth.c')],
      ...[byte('L'), cstr('1'), byte('R'), cstr('auth_failed'), byte('Y'), cstr('unknown')],
      Buffer.of(0),
    ];
    const expected = {
      severity: 'ERROR',
      severityNonLocalized: 'ERROR',
      code: '28P01',
      message: 'password authentication failed',
      detail: 'd',
      hint: 'h',
      position: '5',
      file: 'auth.c',
      line: '1',
      routine: 'auth_failed',
    };
    assert.deepEqual(parse(typed('E', ...fields)), { type: 'errorResponse', fields: expected });
    assert.deepEqual(parse(typed('N', ...fields)), { type: 'noticeResponse', fields: expected });
    assert.throws(() => parse(typed('E', byte('S'), cstr('ERROR'))), isCode('PG_TRUNCATED'));
  });

  it('header-only messages', () => {
    const cases: [string, string][] = [
      ['1', 'parseComplete'],
      ['2', 'bindComplete'],
      ['3', 'closeComplete'],
      ['n', 'noData'],
      ['s', 'portalSuspended'],
      ['I', 'emptyQueryResponse'],
      ['c', 'copyDone'],
    ];
    for (const [code, type] of cases) {
      assert.deepEqual(parse(typed(code)), { type });
      assert.throws(() => parse(typed(code, Buffer.of(0))), isCode('PG_TRAILING_BYTES'));
    }
  });

  it('ParameterDescription, Copy*Response, CopyData', () => {
    assert.deepEqual(parse(typed('t', i16(2), u32(23), u32(25))), {
      type: 'parameterDescription',
      typeOids: [23, 25],
    });
    for (const [code, type] of [
      ['G', 'copyInResponse'],
      ['H', 'copyOutResponse'],
      ['W', 'copyBothResponse'],
    ] as const) {
      assert.deepEqual(parse(typed(code, Buffer.of(0), i16(2), i16(0), i16(0))), {
        type,
        format: 0,
        columnFormats: [0, 0],
      });
    }
    assert.deepEqual(parse(typed('d', Buffer.from('row\n'))), {
      type: 'copyData',
      data: Buffer.from('row\n'),
    });
  });

  it('NotificationResponse, NegotiateProtocolVersion, FunctionCallResponse', () => {
    assert.deepEqual(parse(typed('A', i32(9), cstr('chan'), cstr('hi'))), {
      type: 'notificationResponse',
      processId: 9,
      channel: 'chan',
      payload: 'hi',
    });
    assert.deepEqual(parse(typed('v', i32(0), i32(1), cstr('_pq_.x'))), {
      type: 'negotiateProtocolVersion',
      newestMinorVersion: 0,
      unrecognizedOptions: ['_pq_.x'],
    });
    assert.deepEqual(parse(typed('V', i32(-1))), { type: 'functionCallResponse', value: null });
  });

  it('refuses unknown type bytes', () => {
    assert.throws(() => parse(typed('Q', cstr('x'))), isCode('PG_UNKNOWN_MESSAGE'));
  });
});
