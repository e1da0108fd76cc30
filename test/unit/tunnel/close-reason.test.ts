import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  CLOSE_REASONS,
  TunnelClosedError,
  decodeCloseReason,
  encodeCloseReason,
  targetErrorReason,
  type CloseReasonName,
} from '../../../src/tunnel/close-reason.js';

/** RFC 6455 §5.5: a close frame's payload is at most 125 bytes, 2 of them the code. */
const MAX_REASON_BYTES = 123;

describe('encodeCloseReason', () => {
  it('writes the name alone, or the name and the detail', () => {
    assert.equal(encodeCloseReason('target_refused'), 'target_refused');
    assert.equal(
      encodeCloseReason('target_refused', 'connect ECONNREFUSED 127.0.0.1:1'),
      'target_refused: connect ECONNREFUSED 127.0.0.1:1',
    );
    assert.equal(encodeCloseReason('done', ''), 'done');
  });

  it('keeps a reason of exactly 123 bytes whole', () => {
    const detail = 'x'.repeat(MAX_REASON_BYTES - 'protocol_error: '.length);
    const text = encodeCloseReason('protocol_error', detail);
    assert.equal(Buffer.byteLength(text), MAX_REASON_BYTES);
    assert.equal(text, `protocol_error: ${detail}`);
  });

  it('cuts a long ASCII detail to 123 bytes', () => {
    const text = encodeCloseReason('internal_error', 'y'.repeat(500));
    assert.equal(Buffer.byteLength(text), MAX_REASON_BYTES);
    assert.ok(text.startsWith('internal_error: yyy'));
  });

  it('cuts on a character boundary, for characters of every UTF-8 length', () => {
    const prefix = 'protocol_error: ';
    for (const char of ['é', '€', '😀']) {
      const charBytes = Buffer.byteLength(char);
      // Every offset of the 123-byte limit inside a character, and on its boundary.
      for (let pad = 0; pad < charBytes; pad++) {
        const detail = 'a'.repeat(pad) + char.repeat(200);
        const text = encodeCloseReason('protocol_error', detail);
        const bytes = Buffer.byteLength(text);
        assert.ok(bytes <= MAX_REASON_BYTES, `${char} pad ${pad}: ${bytes} bytes`);
        assert.ok(bytes > MAX_REASON_BYTES - charBytes, `${char} pad ${pad}: cut too much`);
        assert.ok(!text.includes('\uFFFD'), `${char} pad ${pad}: broken character`);
        // Nothing but whole characters of the original survives.
        assert.ok(`${prefix}${detail}`.startsWith(text), `${char} pad ${pad}: not a prefix`);
      }
    }
  });

  it('keeps a replacement character that is part of the detail itself', () => {
    const detail = 'a'.repeat(MAX_REASON_BYTES - 'protocol_error: '.length - 3) + '\uFFFD' + 'tail';
    const text = encodeCloseReason('protocol_error', detail);
    assert.equal(Buffer.byteLength(text), MAX_REASON_BYTES);
    assert.ok(text.endsWith('\uFFFD'));
  });

  it('makes a reason that ws accepts in a close frame, for every name', () => {
    for (const name of Object.keys(CLOSE_REASONS) as CloseReasonName[]) {
      const text = encodeCloseReason(name, '😀'.repeat(100));
      assert.ok(Buffer.byteLength(text) <= MAX_REASON_BYTES, name);
      assert.equal(decodeCloseReason(CLOSE_REASONS[name].code, text).name, name);
    }
  });
});

describe('decodeCloseReason', () => {
  it('round-trips every reason with and without a detail', () => {
    for (const [name, { code }] of Object.entries(CLOSE_REASONS) as [
      CloseReasonName,
      { code: number },
    ][]) {
      assert.deepEqual(decodeCloseReason(code, encodeCloseReason(name)), { name });
      assert.deepEqual(decodeCloseReason(code, encodeCloseReason(name, 'why: because')), {
        name,
        detail: 'why: because',
      });
    }
  });

  it('trusts the name in the text over the code', () => {
    assert.deepEqual(decodeCloseReason(1000, 'client_closed'), { name: 'client_closed' });
    assert.deepEqual(decodeCloseReason(4999, 'target_reset: read ECONNRESET'), {
      name: 'target_reset',
      detail: 'read ECONNRESET',
    });
  });

  it('falls back to the code when the text is not one of ours', () => {
    assert.deepEqual(decodeCloseReason(1000, ''), { name: 'done' });
    assert.deepEqual(decodeCloseReason(1001, ''), { name: 'gateway_shutdown' });
    assert.deepEqual(decodeCloseReason(1009, 'Max payload size exceeded'), {
      name: 'frame_too_large',
      detail: 'Max payload size exceeded',
    });
    assert.deepEqual(decodeCloseReason(4003, 'nope'), { name: 'target_refused', detail: 'nope' });
  });

  it('reads 1005 and 1006 (no close frame) as a vanished peer, named as the caller sees it', () => {
    assert.deepEqual(decodeCloseReason(1006, ''), { name: 'client_vanished' });
    assert.deepEqual(decodeCloseReason(1005, ''), { name: 'client_vanished' });
    assert.deepEqual(decodeCloseReason(1006, '', 'gateway_vanished'), {
      name: 'gateway_vanished',
    });
  });

  it('reads the standard protocol failures as protocol_error', () => {
    assert.deepEqual(decodeCloseReason(1002, 'Invalid WebSocket frame: invalid opcode 5'), {
      name: 'protocol_error',
      detail: 'Invalid WebSocket frame: invalid opcode 5',
    });
    assert.deepEqual(decodeCloseReason(1003, ''), { name: 'protocol_error', detail: 'code 1003' });
    assert.deepEqual(decodeCloseReason(1007, ''), { name: 'protocol_error', detail: 'code 1007' });
  });

  it('reads an unknown code as internal_error, naming the code', () => {
    assert.deepEqual(decodeCloseReason(4999, ''), { name: 'internal_error', detail: 'code 4999' });
    assert.deepEqual(decodeCloseReason(3000, 'custom'), {
      name: 'internal_error',
      detail: 'custom',
    });
  });

  it('does not take inherited property names for reasons', () => {
    for (const text of ['toString', '__proto__', 'constructor: x', 'hasOwnProperty']) {
      assert.equal(decodeCloseReason(4999, text).name, 'internal_error', text);
    }
  });
});

describe('TunnelClosedError', () => {
  it('carries the reason, the detail and a readable message', () => {
    const cause = new Error('read ECONNRESET');
    const error = new TunnelClosedError('target_reset', 'read ECONNRESET', { cause });
    assert.equal(error.reason, 'target_reset');
    assert.equal(error.detail, 'read ECONNRESET');
    assert.equal(error.message, 'the target reset the connection (read ECONNRESET)');
    assert.equal(error.cause, cause);
    assert.equal(new TunnelClosedError('done').message, 'closed');
  });
});

describe('targetErrorReason', () => {
  it('maps socket error codes to reasons', () => {
    const reason = (code: string): CloseReasonName =>
      targetErrorReason(Object.assign(new Error(code), { code }));
    assert.equal(reason('ECONNREFUSED'), 'target_refused');
    assert.equal(reason('ECONNRESET'), 'target_reset');
    assert.equal(reason('EPIPE'), 'target_reset');
    for (const code of ['ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']) {
      assert.equal(reason(code), 'target_unreachable', code);
    }
    assert.equal(reason('EWHATEVER'), 'internal_error');
  });
});
