import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { boundedText } from '../../../../src/server/audit/event-of.js';

describe('boundedText: what an event keeps of a long text', () => {
  it('keeps a text within the limit whole, with nothing added', () => {
    assert.deepEqual(boundedText('select 1', 8), { text: 'select 1' });
    assert.deepEqual(boundedText('é'.repeat(4), 8), { text: 'éééé' });
  });

  it('cuts a longer text between characters and keeps its size and SHA-256', () => {
    for (const text of ['x'.repeat(100), 'é'.repeat(50), '€'.repeat(40), '😀'.repeat(30)]) {
      for (const max of [1, 2, 3, 7, 10, 33]) {
        const { text: kept, cut } = boundedText(text, max);
        assert.ok(Buffer.byteLength(kept) <= max, `${max}: ${kept}`);
        assert.ok(Buffer.byteLength(kept) > max - 4, 'at most one character short');
        assert.ok(text.startsWith(kept), 'a prefix');
        assert.deepEqual(cut, {
          textBytes: Buffer.byteLength(text),
          textSha256: createHash('sha256').update(text).digest('hex'),
        });
      }
    }
  });
});
