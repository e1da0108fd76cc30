import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { decodeControl, encodeControl } from '../../../src/tunnel/control.js';

describe('control messages', () => {
  it('round-trips eof', () => {
    const text = encodeControl({ type: 'eof' });
    assert.equal(text, '{"type":"eof"}');
    assert.deepEqual(decodeControl(Buffer.from(text)), { type: 'eof' });
  });

  it('round-trips pause and resume', () => {
    for (const type of ['pause', 'resume'] as const) {
      assert.deepEqual(decodeControl(Buffer.from(encodeControl({ type }))), { type });
    }
  });

  it('ignores fields it does not know on a known message', () => {
    assert.deepEqual(decodeControl(Buffer.from('{"type":"eof","extra":1}')), { type: 'eof' });
  });

  it('refuses what is not JSON', () => {
    for (const text of ['', 'eof', '{"type":', '\u0000\u0001']) {
      assert.throws(() => decodeControl(Buffer.from(text)), /not JSON/, JSON.stringify(text));
    }
  });

  it('refuses JSON that is not an object with a type', () => {
    for (const text of ['null', '1', '"eof"', '[]', '["eof"]', '{}', '{"kind":"eof"}']) {
      assert.throws(() => decodeControl(Buffer.from(text)), /has no type/, text);
    }
  });

  it('refuses an unknown type, naming it', () => {
    assert.throws(
      () => decodeControl(Buffer.from('{"type":"reboot"}')),
      /unknown control message type "reboot"/,
    );
    assert.throws(() => decodeControl(Buffer.from('{"type":7}')), /unknown control message type 7/);
    assert.throws(() => decodeControl(Buffer.from('{"type":"EOF"}')), /unknown/);
  });

  it('refuses an oversized message before parsing it', () => {
    const big = Buffer.from(`{"type":"eof","pad":"${'x'.repeat(20_000)}"}`);
    assert.throws(() => decodeControl(big), /exceeds 16384/);
  });
});
