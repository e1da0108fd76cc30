import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PgProtocolError } from '../../../../../src/server/protocols/postgres/protocol/errors.js';
import { Reader } from '../../../../../src/server/protocols/postgres/protocol/reader.js';
import { Writer } from '../../../../../src/server/protocols/postgres/protocol/writer.js';
import { cstr, i16, i32 } from './bytes.js';

const code = (fn: () => unknown, expected: string) =>
  assert.throws(fn, (err: unknown) => err instanceof PgProtocolError && err.code === expected);

describe('Reader', () => {
  it('reads big-endian integers, C strings and byte views', () => {
    const buf = Buffer.concat([i16(-2), i32(-5), i32(-1), cstr('héllo'), Buffer.from('xyz')]);
    const r = new Reader(buf);
    assert.equal(r.int16(), -2);
    assert.equal(r.int32(), -5);
    assert.equal(r.uint32(), 0xffffffff);
    assert.equal(r.cstring(), 'héllo');
    const rest = r.bytes(3);
    assert.equal(rest.toString(), 'xyz');
    assert.equal(rest.buffer, buf.buffer, 'a view, not a copy');
    r.done('test');
  });

  it('respects the byteOffset of a Uint8Array view', () => {
    const backing = new Uint8Array([9, 9, 9, 0, 1, 0x41, 0, 9]);
    const view = backing.subarray(3, 7);
    const r = new Reader(view);
    assert.equal(r.int16(), 1);
    assert.equal(r.cstring(), 'A');
    assert.equal(r.remaining, 0);
  });

  it('refuses reads past its end with PG_TRUNCATED, even when the buffer goes on', () => {
    const buf = Buffer.concat([Buffer.from('ab'), cstr('c')]);
    code(() => new Reader(buf, 0, 2).cstring(), 'PG_TRUNCATED');
    code(() => new Reader(buf, 0, 1).int16(), 'PG_TRUNCATED');
    code(() => new Reader(buf, 0, 3).int32(), 'PG_TRUNCATED');
    code(() => new Reader(buf, 0, 3).bytes(4), 'PG_TRUNCATED');
    code(() => new Reader(buf).bytes(-2), 'PG_BAD_VALUE');
    code(() => new Reader(i16(-1)).count('x'), 'PG_BAD_VALUE');
    code(() => new Reader(buf).done('x'), 'PG_TRAILING_BYTES');
  });

  it('reads nullable byte fields', () => {
    const r = new Reader(Buffer.concat([i32(-1), i32(2), Buffer.from('hi')]));
    assert.equal(r.nullableBytes(), null);
    assert.equal(r.nullableBytes()?.toString(), 'hi');
  });
});

describe('Writer', () => {
  it('back-fills the length of typed and untyped messages', () => {
    const w = new Writer(16);
    w.startMessage(0x51).cstring('select 1').endMessage();
    w.startMessage().int32(1234).endMessage();
    const out = w.flush();
    assert.deepEqual(
      out,
      Buffer.concat([Buffer.from('Q'), i32(13), cstr('select 1'), i32(8), i32(1234)]),
    );
  });

  it('grows past its initial size and keeps flushed output intact', () => {
    const w = new Writer(16);
    const big = Buffer.alloc(10_000, 7);
    const first = w.startMessage(0x64).bytes(big).endMessage().flush();
    w.startMessage(0x64).bytes(Buffer.alloc(10_000, 8)).endMessage();
    assert.equal(first.length, 10_005);
    assert.equal(first.readInt32BE(1), 10_004);
    assert.ok(first.subarray(5).every((b) => b === 7));
  });

  it('refuses NUL inside a string with PG_BAD_STRING', () => {
    code(() => new Writer().cstring('a\0b'), 'PG_BAD_STRING');
  });

  it('writes nullable bytes and unsigned integers', () => {
    const out = new Writer()
      .nullableBytes(null)
      .nullableBytes(Buffer.from('x'))
      .uint32(0xffffffff)
      .flush();
    assert.deepEqual(
      out,
      Buffer.concat([i32(-1), i32(1), Buffer.from('x'), Buffer.alloc(4, 0xff)]),
    );
  });
});
