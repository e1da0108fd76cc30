import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryStore } from '../../../../src/server/idp/memory-adapter.js';

describe('MemoryStore', () => {
  it('keeps each model apart and hands out copies', async () => {
    const store = new MemoryStore();
    const tokens = store.adapter('RefreshToken');
    const codes = store.adapter('DeviceCode');
    await tokens.upsert('a', { jti: 'a', scope: 'openid' }, 60);
    assert.equal(await codes.find('a'), undefined);
    const found = await tokens.find('a');
    assert.deepEqual(found, { jti: 'a', scope: 'openid' });
    if (found) found.scope = 'changed';
    assert.equal((await tokens.find('a'))?.scope, 'openid');
  });

  it('forgets entries once they expire', async () => {
    let now = 1_000_000;
    const adapter = new MemoryStore(() => now).adapter('Session');
    await adapter.upsert('s', { uid: 'u1' }, 10);
    now += 9_999;
    assert.ok(await adapter.findByUid('u1'));
    now += 1;
    assert.equal(await adapter.find('s'), undefined);
    assert.equal(await adapter.findByUid('u1'), undefined);
  });

  it('finds device codes by user code and marks them consumed', async () => {
    const adapter = new MemoryStore().adapter('DeviceCode');
    await adapter.upsert('d', { userCode: 'ABCDEFGH' }, 600);
    assert.ok(await adapter.findByUserCode('ABCDEFGH'));
    await adapter.consume('d');
    assert.equal(typeof (await adapter.find('d'))?.consumed, 'number');
    await adapter.destroy('d');
    assert.equal(await adapter.findByUserCode('ABCDEFGH'), undefined);
  });

  it('revokes every token of a grant, and only those', async () => {
    const store = new MemoryStore();
    const refresh = store.adapter('RefreshToken');
    const access = store.adapter('AccessToken');
    const interactions = store.adapter('Interaction');
    await refresh.upsert('r1', { grantId: 'g1' }, 600);
    await access.upsert('a1', { grantId: 'g1' }, 600);
    await refresh.upsert('r2', { grantId: 'g2' }, 600);
    await interactions.upsert('i1', { grantId: 'g1' }, 600);
    await refresh.revokeByGrantId('g1');
    assert.equal(await refresh.find('r1'), undefined);
    assert.equal(await access.find('a1'), undefined);
    assert.ok(await refresh.find('r2'));
    assert.ok(await interactions.find('i1'), 'interactions are not grant members');
  });
});
