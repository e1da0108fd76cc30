import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Framer,
  MAX_PAYLOAD,
  MysqlProtocolError,
  Writer,
  type Packet,
} from '../../../../../src/server/protocols/mysql/protocol/index.js';
import { cstr, packet, u8 } from './bytes.js';

const STREAM = Buffer.concat([
  packet(0, u8(0x03), Buffer.from('select 1')),
  packet(1, Buffer.alloc(0)),
  packet(2, Buffer.alloc(300, 7)),
  packet(3, u8(0x0e)),
  packet(4, cstr('x')),
]);

const plain = (packets: Packet[]) =>
  packets.map((p) => ({
    seq: p.sequenceId,
    last: p.lastSequenceId,
    payload: p.payload.toString('hex'),
    bytes: p.bytes.toString('hex'),
  }));

function frameAll(chunks: Buffer[]) {
  const framer = new Framer();
  const packets = chunks.flatMap((c) => framer.push(c));
  assert.equal(framer.bufferedBytes, 0);
  return plain(packets);
}

describe('MySQL Framer', () => {
  it('frames a stream in one chunk as views of that chunk', () => {
    const packets = new Framer().push(STREAM);
    assert.deepEqual(
      packets.map((p) => p.sequenceId),
      [0, 1, 2, 3, 4],
    );
    for (const p of packets) assert.equal(p.bytes.buffer, STREAM.buffer, 'no copy');
    assert.equal(packets[0]!.payload.toString('latin1'), '\x03select 1');
    assert.equal(packets[1]!.payload.length, 0);
  });

  it('frames the same packets at every split into two chunks', () => {
    const whole = frameAll([STREAM]);
    for (let at = 0; at <= STREAM.length; at++) {
      assert.deepEqual(frameAll([STREAM.subarray(0, at), STREAM.subarray(at)]), whole, `at ${at}`);
    }
  });

  it('frames the same packets at every split into three chunks and byte by byte', () => {
    const whole = frameAll([STREAM]);
    const small = Buffer.concat([
      packet(0, u8(0x03), Buffer.from('select 1')),
      packet(1, Buffer.alloc(0)),
      packet(3, u8(0x0e)),
    ]);
    const smallWhole = frameAll([small]);
    for (let a = 0; a <= small.length; a++) {
      for (let b = a; b <= small.length; b++) {
        assert.deepEqual(
          frameAll([small.subarray(0, a), small.subarray(a, b), small.subarray(b)]),
          smallWhole,
        );
      }
    }
    const bytes = [...STREAM].map((b) => Buffer.of(b));
    assert.deepEqual(frameAll(bytes), whole);
  });

  it('joins a payload of 0xffffff bytes or more from its physical parts', () => {
    const payload = Buffer.alloc(MAX_PAYLOAD + 10, 0x61);
    payload[0] = 0x03;
    const w = new Writer();
    w.start(0).bytes(payload);
    assert.equal(w.end(), 2, 'two physical packets');
    const bytes = w.flush();
    assert.equal(bytes.length, payload.length + 8);
    for (const at of [
      0,
      3,
      4,
      5,
      MAX_PAYLOAD + 3,
      MAX_PAYLOAD + 4,
      MAX_PAYLOAD + 7,
      bytes.length - 1,
    ]) {
      const framer = new Framer();
      const packets = [...framer.push(bytes.subarray(0, at)), ...framer.push(bytes.subarray(at))];
      assert.equal(packets.length, 1, `at ${at}`);
      assert.equal(packets[0]!.sequenceId, 0);
      assert.equal(packets[0]!.lastSequenceId, 1);
      assert.ok(packets[0]!.payload.equals(payload));
      assert.ok(packets[0]!.bytes.equals(bytes));
    }
  });

  it('writes an exact multiple of 0xffffff with an empty last part', () => {
    const w = new Writer();
    w.start(5).bytes(Buffer.alloc(MAX_PAYLOAD, 1));
    assert.equal(w.end(), 7);
    const bytes = w.flush();
    assert.equal(bytes.length, MAX_PAYLOAD + 8);
    const [p] = new Framer().push(bytes);
    assert.equal(p!.payload.length, MAX_PAYLOAD);
    assert.equal(p!.lastSequenceId, 6);
  });

  it('refuses a packet over the limit from its header, before buffering it', () => {
    const framer = new Framer({ maxPacketBytes: 100 });
    assert.deepEqual(framer.push(packet(0, Buffer.alloc(100))).length, 1);
    const header = packet(0, Buffer.alloc(101)).subarray(0, 4);
    assert.throws(
      () => framer.push(header),
      (e) =>
        e instanceof MysqlProtocolError && e.code === 'MYSQL_PACKET_TOO_LARGE' && e.errno === 1153,
    );
  });

  it('counts the parts of a split packet against the limit', () => {
    const framer = new Framer({ maxPacketBytes: MAX_PAYLOAD + 5 });
    const first = Buffer.concat([Buffer.of(0xff, 0xff, 0xff, 0), Buffer.alloc(MAX_PAYLOAD)]);
    assert.deepEqual(framer.push(first), []);
    assert.throws(
      () => framer.push(Buffer.of(6, 0, 0, 1)),
      (e) => e instanceof MysqlProtocolError && e.code === 'MYSQL_PACKET_TOO_LARGE',
    );
  });
});
