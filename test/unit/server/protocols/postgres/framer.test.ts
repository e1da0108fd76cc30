import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PgProtocolError } from '../../../../../src/server/protocols/postgres/protocol/errors.js';
import {
  Framer,
  frameBody,
  frameBytes,
  type Frame,
  type FramerOptions,
} from '../../../../../src/server/protocols/postgres/protocol/framer.js';
import { cstr, i16, i32, typed, untyped } from './bytes.js';

const SSL = untyped(i32(80877103));
const GSSENC = untyped(i32(80877104));
const STARTUP = untyped(
  i32(196608),
  cstr('user'),
  cstr('alice'),
  cstr('database'),
  cstr('app'),
  Buffer.of(0),
);

/** A typed stream with header-only, small and larger messages. */
const TYPED = Buffer.concat([
  typed('Q', cstr('select 1')),
  typed('S'),
  typed('D', i16(2), i32(3), Buffer.from('abc'), i32(-1)),
  typed('d', Buffer.alloc(300, 1)),
  typed('H'),
]);

type Plain = { code: number; bytes: string; body: string };
const plain = (frames: Frame[]): Plain[] =>
  frames.map((f) => ({
    code: f.code,
    bytes: frameBytes(f).toString('hex'),
    body: frameBody(f).toString('hex'),
  }));

function frameAll(chunks: Buffer[], options: FramerOptions = {}): Plain[] {
  const framer = new Framer(options);
  const frames = chunks.flatMap((c) => framer.push(c));
  assert.equal(framer.bufferedBytes, 0);
  return plain(frames);
}

const isCode = (expected: string) => (err: unknown) =>
  err instanceof PgProtocolError && err.code === expected;

describe('Framer', () => {
  it('frames a typed stream in one chunk as views of that chunk', () => {
    const framer = new Framer();
    const frames = framer.push(TYPED);
    assert.deepEqual(
      frames.map((f) => String.fromCharCode(f.code)),
      ['Q', 'S', 'D', 'd', 'H'],
    );
    for (const f of frames) assert.equal(f.buffer, TYPED, 'no copy for whole messages');
    assert.equal(frames[0]!.start, 0);
    assert.equal(frames.at(-1)!.end, TYPED.length);
    // adjacent: a run can be forwarded as one slice
    for (let i = 1; i < frames.length; i++) assert.equal(frames[i]!.start, frames[i - 1]!.end);
  });

  it('yields the same frames for every two-way split', () => {
    const whole = frameAll([TYPED]);
    for (let cut = 0; cut <= TYPED.length; cut++) {
      assert.deepEqual(
        frameAll([TYPED.subarray(0, cut), TYPED.subarray(cut)]),
        whole,
        `cut ${cut}`,
      );
    }
  });

  it('yields the same frames for every three-way split of a smaller sample', () => {
    const sample = Buffer.concat([
      typed('Q', cstr('x')),
      typed('S'),
      typed('D', i16(1), i32(2), Buffer.from('ab')),
    ]);
    const whole = frameAll([sample]);
    for (let a = 0; a <= sample.length; a++) {
      for (let b = a; b <= sample.length; b++) {
        const chunks = [sample.subarray(0, a), sample.subarray(a, b), sample.subarray(b)];
        assert.deepEqual(frameAll(chunks), whole, `cuts ${a}/${b}`);
      }
    }
  });

  it('survives one byte at a time', () => {
    const bytes = [...TYPED].map((b) => Buffer.of(b));
    assert.deepEqual(frameAll(bytes), frameAll([TYPED]));
  });

  it('copies only the message that straddles chunks', () => {
    const first = typed('Q', cstr('select 1'));
    const second = typed('S');
    const stream = Buffer.concat([first, second, first]);
    const cut = first.length + 2; // inside the second message's header
    const framer = new Framer();
    const head = stream.subarray(0, cut);
    const tail = stream.subarray(cut);
    const a = framer.push(head);
    const b = framer.push(tail);
    assert.equal(a.length, 1);
    assert.equal(a[0]!.buffer, head, 'first message is a view of its chunk');
    assert.equal(b.length, 2);
    assert.notEqual(b[0]!.buffer, tail, 'the straddler is a copy');
    assert.equal(b[0]!.buffer.length, second.length, 'sized exactly');
    assert.equal(b[1]!.buffer, tail, 'the rest is a view again');
  });

  it('accepts Uint8Array views with a byteOffset', () => {
    const backing = new Uint8Array(TYPED.length + 10);
    backing.set(TYPED, 7);
    const view = new Uint8Array(backing.buffer, 7, TYPED.length);
    assert.deepEqual(frameAll([view as Buffer]), frameAll([TYPED]));
  });

  describe('start-up phase', () => {
    it('reads an untyped StartupMessage, then typed messages', () => {
      const stream = Buffer.concat([STARTUP, typed('Q', cstr('select 1'))]);
      const frames = frameAll([stream], { startup: true });
      assert.equal(frames.length, 2);
      assert.equal(frames[0]!.code, 0);
      assert.equal(frames[0]!.bytes, STARTUP.toString('hex'));
      assert.equal(frames[0]!.body, STARTUP.subarray(4).toString('hex'));
      assert.equal(frames[1]!.code, 0x51);
    });

    it('stays untyped after SSLRequest and GSSENCRequest, at every split', () => {
      const stream = Buffer.concat([SSL, GSSENC, STARTUP, typed('X')]);
      const whole = frameAll([stream], { startup: true });
      assert.deepEqual(
        whole.map((f) => f.code),
        [0, 0, 0, 0x58],
      );
      for (let cut = 0; cut <= stream.length; cut++) {
        const split = [stream.subarray(0, cut), stream.subarray(cut)];
        assert.deepEqual(frameAll(split, { startup: true }), whole, `cut ${cut}`);
      }
    });

    it('leaves start-up mode after a CancelRequest', () => {
      const framer = new Framer({ startup: true });
      framer.push(untyped(i32(80877102), i32(42), i32(7)));
      assert.equal(framer.inStartup, false);
    });

    it('refuses start-up packets that are too short or too long', () => {
      assert.throws(() => new Framer({ startup: true }).push(i32(4)), isCode('PG_BAD_LENGTH'));
      assert.throws(() => new Framer({ startup: true }).push(i32(-1)), isCode('PG_BAD_LENGTH'));
      assert.throws(
        () => new Framer({ startup: true }).push(i32(10_001)),
        isCode('PG_MESSAGE_TOO_LARGE'),
      );
      assert.throws(
        () => new Framer({ startup: true, maxStartupBytes: 100 }).push(i32(101)),
        isCode('PG_MESSAGE_TOO_LARGE'),
      );
    });
  });

  describe('limits', () => {
    it('refuses negative and too-small lengths with PG_BAD_LENGTH', () => {
      for (const length of [-1, -2147483648, 0, 3]) {
        const header = Buffer.concat([Buffer.from('Q'), i32(length)]);
        assert.throws(() => new Framer().push(header), isCode('PG_BAD_LENGTH'), `length ${length}`);
      }
    });

    it('refuses an oversized message from its header alone, before buffering it', () => {
      const framer = new Framer({ maxMessageBytes: 1024 });
      const header = Buffer.concat([Buffer.from('d'), i32(1024)]); // 1025 bytes in all
      assert.throws(() => framer.push(header), isCode('PG_MESSAGE_TOO_LARGE'));
      // exactly at the limit is fine
      const ok = new Framer({ maxMessageBytes: 1024 });
      assert.equal(ok.push(typed('d', Buffer.alloc(1019))).length, 1);
    });

    it('refuses an oversized length whose header straddles chunks', () => {
      const framer = new Framer({ maxMessageBytes: 100 });
      const header = Buffer.concat([Buffer.from('d'), i32(1_000_000)]);
      framer.push(header.subarray(0, 3));
      assert.throws(() => framer.push(header.subarray(3)), isCode('PG_MESSAGE_TOO_LARGE'));
    });

    it('maps framing errors to SQLSTATEs', () => {
      try {
        new Framer({ maxMessageBytes: 10 }).push(Buffer.concat([Buffer.from('d'), i32(100)]));
        assert.fail('expected a throw');
      } catch (err) {
        assert.ok(err instanceof PgProtocolError);
        assert.equal(err.sqlState, '54000');
      }
      try {
        new Framer().push(Buffer.concat([Buffer.from('d'), i32(-1)]));
        assert.fail('expected a throw');
      } catch (err) {
        assert.ok(err instanceof PgProtocolError);
        assert.equal(err.sqlState, '08P01');
      }
    });
  });
});
