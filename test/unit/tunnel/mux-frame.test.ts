import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  MuxFramingError,
  decodeMuxFrames,
  encodeMuxFrame,
  encodeMuxFrames,
  type MuxFrame,
} from '../../../src/tunnel/mux-frame.js';

const frames: MuxFrame[] = [
  { type: 'open', stream: 1 },
  { type: 'data', stream: 1, data: Buffer.from('select 1') },
  { type: 'window', stream: 7, increment: 65_536 },
  { type: 'eof', stream: 1 },
  { type: 'close', stream: 4_294_967_295, reason: 'target_reset', detail: 'read ECONNRESET' },
  { type: 'close', stream: 2, reason: 'done' },
];

describe('multiplexed tunnel frames', () => {
  it('round-trips every type, several to a message', () => {
    assert.deepEqual(decodeMuxFrames(encodeMuxFrames(frames), 1024), frames);
  });

  it('lays a data frame out as type, stream id, length, payload', () => {
    const bytes = encodeMuxFrame({ type: 'data', stream: 3, data: Buffer.from('hi') });
    assert.deepEqual([...bytes], [0x44, 0, 0, 0, 3, 0, 0, 0, 2, 0x68, 0x69]);
  });

  it('decodes a message cut at any byte only up to the cut, as an error', () => {
    const bytes = encodeMuxFrames(frames);
    for (let cut = 1; cut < bytes.length; cut++) {
      const whole = decodeMuxFrames(encodeMuxFrames(frames), 1024).length;
      try {
        const got = decodeMuxFrames(bytes.subarray(0, cut), 1024);
        // A cut on a frame boundary is a shorter, valid message.
        assert.ok(got.length < whole);
      } catch (error) {
        assert.ok(error instanceof MuxFramingError, `cut at ${cut}: ${String(error)}`);
      }
    }
  });

  const bad: Array<[string, Buffer, RegExp]> = [
    ['an unknown type', Buffer.from([0x58, 0, 0, 0, 1, 0, 0, 0, 0]), /unknown frame type 0x58/],
    ['stream id 0', Buffer.from([0x4f, 0, 0, 0, 0, 0, 0, 0, 0]), /stream id 0/],
    [
      'an open with a payload',
      Buffer.from([0x4f, 0, 0, 0, 1, 0, 0, 0, 1, 9]),
      /open with a payload/,
    ],
    ['an eof with a payload', Buffer.from([0x45, 0, 0, 0, 1, 0, 0, 0, 1, 9]), /eof with a payload/],
    ['a window of 0', Buffer.from([0x57, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 0]), /window of 0/],
    ['a short window', Buffer.from([0x57, 0, 0, 0, 1, 0, 0, 0, 2, 0, 1]), /4-byte increment/],
    ['a close without a code', Buffer.from([0x43, 0, 0, 0, 1, 0, 0, 0, 1, 3]), /without a code/],
    [
      'a length past the message',
      Buffer.from([0x44, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff]),
      /cut short/,
    ],
    ['a header cut short', Buffer.from([0x44, 0, 0]), /header cut short/],
  ];
  for (const [what, bytes, message] of bad) {
    it(`refuses ${what}`, () => {
      assert.throws(
        () => decodeMuxFrames(bytes, 1024),
        (error: unknown) => {
          assert.ok(error instanceof MuxFramingError);
          assert.match(error.message, message);
          return true;
        },
      );
    });
  }

  it('refuses data longer than the limit', () => {
    const bytes = encodeMuxFrame({ type: 'data', stream: 1, data: Buffer.alloc(1025) });
    assert.throws(() => decodeMuxFrames(bytes, 1024), /data of 1025 bytes exceeds 1024/);
  });
});
