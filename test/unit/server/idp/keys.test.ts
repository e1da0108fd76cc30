import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeyRing } from '../../../../src/server/idp/keys.js';

describe('KeyRing', () => {
  it('publishes the current key first, keeps old ones on request, remembers retired ones', async () => {
    const ring = await KeyRing.create('ES256');
    const first = ring.current;
    assert.equal(first.jwk.kid, first.kid);
    assert.equal(first.jwk.alg, 'ES256');
    assert.equal(first.jwk.use, 'sig');
    assert.deepEqual(
      ring.jwks().keys.map((key) => key.kid),
      [first.kid],
    );

    const second = await ring.rotate({ keepOld: true });
    assert.notEqual(second.kid, first.kid);
    assert.equal(ring.current, second);
    assert.deepEqual(
      ring.jwks().keys.map((key) => key.kid),
      [second.kid, first.kid],
    );

    const third = await ring.rotate({ keepOld: false });
    assert.deepEqual(
      ring.jwks().keys.map((key) => key.kid),
      [third.kid],
    );
    assert.equal(ring.get(first.kid), first, 'a retired key can still be looked up');
    assert.equal(ring.get('nope'), undefined);
  });
});
