import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PgProtocolError } from '../../../../../src/server/protocols/postgres/protocol/errors.js';
import { Framer } from '../../../../../src/server/protocols/postgres/protocol/framer.js';
import {
  parseFrontend,
  type ParseFrontendOptions,
} from '../../../../../src/server/protocols/postgres/protocol/frontend.js';
import { byte, cstr, i16, i32, typed, untyped } from './bytes.js';

function parse(bytes: Buffer, options: ParseFrontendOptions & { startup?: boolean } = {}) {
  const frames = new Framer({ startup: options.startup ?? false }).push(bytes);
  assert.equal(frames.length, 1);
  return parseFrontend(frames[0]!, options);
}

const isCode = (expected: string) => (err: unknown) =>
  err instanceof PgProtocolError && err.code === expected;

describe('frontend parsers', () => {
  it('StartupMessage with its parameters', () => {
    const bytes = untyped(
      i32(196608),
      ...[cstr('user'), cstr('alice'), cstr('database'), cstr('app')],
      ...[cstr('application_name'), cstr('psql'), Buffer.of(0)],
    );
    const m = parse(bytes, { startup: true });
    assert.deepEqual(m, {
      type: 'startup',
      majorVersion: 3,
      minorVersion: 0,
      parameters: new Map([
        ['user', 'alice'],
        ['database', 'app'],
        ['application_name', 'psql'],
      ]),
    });
  });

  it('StartupMessage asking for 3.2 is accepted with its minor version', () => {
    const m = parse(untyped(i32((3 << 16) | 2), Buffer.of(0)), { startup: true });
    assert.equal(m.type === 'startup' && m.minorVersion, 2);
  });

  it('refuses protocol 2 and unknown 1234.x codes', () => {
    assert.throws(
      () => parse(untyped(i32(2 << 16), Buffer.of(0)), { startup: true }),
      isCode('PG_UNSUPPORTED_PROTOCOL'),
    );
    assert.throws(
      () => parse(untyped(i32((1234 << 16) | 9999)), { startup: true }),
      isCode('PG_UNSUPPORTED_PROTOCOL'),
    );
  });

  it('refuses a StartupMessage without its final zero byte', () => {
    const bytes = untyped(i32(196608), cstr('user'), cstr('alice'));
    assert.throws(() => parse(bytes, { startup: true }), isCode('PG_TRUNCATED'));
  });

  it('SSLRequest, GSSENCRequest, CancelRequest', () => {
    assert.deepEqual(parse(untyped(i32(80877103)), { startup: true }), { type: 'sslRequest' });
    assert.deepEqual(parse(untyped(i32(80877104)), { startup: true }), { type: 'gssEncRequest' });
    const cancel = parse(untyped(i32(80877102), i32(1234), i32(-99)), { startup: true });
    assert.equal(cancel.type, 'cancelRequest');
    if (cancel.type !== 'cancelRequest') return;
    assert.equal(cancel.processId, 1234);
    assert.equal(cancel.secretKey.readInt32BE(0), -99);
    assert.throws(
      () => parse(untyped(i32(80877102), i32(1), Buffer.of(1)), { startup: true }),
      isCode('PG_BAD_VALUE'),
    );
  });

  it('Query', () => {
    assert.deepEqual(parse(typed('Q', cstr('select ’1’'))), { type: 'query', sql: 'select ’1’' });
  });

  it('Parse with parameter type OIDs', () => {
    const bytes = typed('P', cstr('s1'), cstr('select $1, $2'), i16(2), i32(23), i32(0));
    assert.deepEqual(parse(bytes), {
      type: 'parse',
      name: 's1',
      sql: 'select $1, $2',
      paramTypes: [23, 0],
    });
  });

  it('Bind with formats, a value and a NULL', () => {
    const bytes = typed(
      'B',
      ...[cstr('p1'), cstr('s1'), i16(1), i16(0)],
      ...[i16(2), i32(2), Buffer.from('42'), i32(-1)],
      ...[i16(2), i16(0), i16(1)],
    );
    const m = parse(bytes);
    assert.deepEqual(m, {
      type: 'bind',
      portal: 'p1',
      statement: 's1',
      paramFormats: [0],
      params: [Buffer.from('42'), null],
      resultFormats: [0, 1],
    });
  });

  it('Bind whose parameter length overruns the message', () => {
    const bytes = typed(
      'B',
      cstr(''),
      cstr(''),
      i16(0),
      i16(1),
      i32(100),
      Buffer.from('x'),
      i16(0),
    );
    assert.throws(() => parse(bytes), isCode('PG_TRUNCATED'));
  });

  it('Describe, Execute, Close', () => {
    assert.deepEqual(parse(typed('D', byte('S'), cstr('s1'))), {
      type: 'describe',
      target: 'S',
      name: 's1',
    });
    assert.deepEqual(parse(typed('E', cstr(''), i32(100))), {
      type: 'execute',
      portal: '',
      maxRows: 100,
    });
    assert.deepEqual(parse(typed('C', byte('P'), cstr('p1'))), {
      type: 'close',
      target: 'P',
      name: 'p1',
    });
    assert.throws(() => parse(typed('D', byte('X'), cstr(''))), isCode('PG_BAD_VALUE'));
  });

  it('Sync, Flush, Terminate, CopyDone; refusing a body where none belongs', () => {
    assert.deepEqual(parse(typed('S')), { type: 'sync' });
    assert.deepEqual(parse(typed('H')), { type: 'flush' });
    assert.deepEqual(parse(typed('X')), { type: 'terminate' });
    assert.deepEqual(parse(typed('c')), { type: 'copyDone' });
    assert.throws(() => parse(typed('S', Buffer.of(1))), isCode('PG_TRAILING_BYTES'));
  });

  it('CopyData and CopyFail', () => {
    assert.deepEqual(parse(typed('d', Buffer.from('1\tx\n'))), {
      type: 'copyData',
      data: Buffer.from('1\tx\n'),
    });
    assert.deepEqual(parse(typed('f', cstr('aborted'))), { type: 'copyFail', message: 'aborted' });
  });

  it("reads 'p' by the authentication context", () => {
    assert.deepEqual(parse(typed('p', cstr('secret'))), { type: 'password', password: 'secret' });
    const initial = typed('p', cstr('SCRAM-SHA-256'), i32(3), Buffer.from('n,,'));
    assert.deepEqual(parse(initial, { passwordContext: 'saslInitial' }), {
      type: 'saslInitialResponse',
      mechanism: 'SCRAM-SHA-256',
      data: Buffer.from('n,,'),
    });
    const none = typed('p', cstr('SCRAM-SHA-256'), i32(-1));
    assert.deepEqual(parse(none, { passwordContext: 'saslInitial' }), {
      type: 'saslInitialResponse',
      mechanism: 'SCRAM-SHA-256',
      data: null,
    });
    assert.deepEqual(parse(typed('p', Buffer.from('c=biws')), { passwordContext: 'sasl' }), {
      type: 'saslResponse',
      data: Buffer.from('c=biws'),
    });
  });

  it('FunctionCall', () => {
    const bytes = typed('F', i32(1598), i16(1), i16(1), i16(1), i32(4), i32(7), i16(1));
    assert.deepEqual(parse(bytes), {
      type: 'functionCall',
      functionOid: 1598,
      argFormats: [1],
      args: [i32(7)],
      resultFormat: 1,
    });
  });

  it('refuses unknown type bytes with PG_UNKNOWN_MESSAGE', () => {
    assert.throws(() => parse(typed('z')), isCode('PG_UNKNOWN_MESSAGE'));
    assert.throws(() => parse(typed('T')), isCode('PG_UNKNOWN_MESSAGE'));
  });
});
