import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newId } from '../../../src/lib/ids.js';

const SHAPE = /^ses_[0-9a-hjkmnp-tv-z]{26}$/;

describe('newId', () => {
  it('is the prefix, 10 time characters and 16 random ones in lower-case Crockford base32', () => {
    const id = newId('ses');
    assert.match(id, SHAPE);
    assert.equal(newId('rev').slice(0, 4), 'rev_');
  });

  it('encodes the time first, so ids sort by creation time', () => {
    const times = [0, 1, 31, 32, 1_000, 1_700_000_000_000, 1_700_000_000_001, 4_102_444_800_000];
    const ids = times.map((time) => newId('ses', time));
    assert.deepEqual([...ids].sort(), ids);
    assert.equal(newId('ses', 0).slice(4, 14), '0000000000');
    assert.equal(newId('ses', 32).slice(4, 14), '0000000010');
  });

  it('sorts ids made over real time in the order they were made', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(newId('ses'));
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    assert.deepEqual([...ids].sort(), ids);
  });

  it('is unique, even within one millisecond', () => {
    const now = Date.now();
    const ids = new Set(Array.from({ length: 10_000 }, () => newId('ses', now)));
    assert.equal(ids.size, 10_000);
    for (const id of ids) assert.match(id, SHAPE);
  });
});
