import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { HoopError } from '../../../../src/lib/errors.js';
import { ReviewDesk, type ReviewRequester } from '../../../../src/server/reviews/index.js';
import { openStore, type Store } from '../../../../src/server/store/index.js';

const key: ReviewRequester = {
  method: 'apikey',
  subject: 'apikey:agent-1',
  name: 'agent-1',
  groups: ['agents'],
};
/** A provider identity with the key's subject: refused at authentication now, recorded by older versions. */
const forged: ReviewRequester = { ...key, method: 'oidc' };
/** A request or vote an older version recorded in the apikey: namespace: its kind is unknown. */
const unproven: ReviewRequester = { ...key, method: undefined };
const dba: ReviewRequester = {
  method: 'apikey',
  subject: 'apikey:dba',
  name: 'dba',
  groups: ['dba'],
};
const bob: ReviewRequester = { method: 'oidc', subject: 'bob', name: 'bob', groups: ['dba'] };

const requirement = { rule: 'r', approvers: ['dba'], approvals: 1, timeoutMs: 60_000 };
const TEXT = 'delete from t where id = 1';

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof HoopError, String(error));
    assert.equal(error.code, code, error.message);
    return true;
  });
}

describe('reviews bind the requester’s method and subject', () => {
  let store: Store;
  let desk: ReviewDesk;

  beforeEach(async () => {
    store = await openStore('sqlite::memory:');
    desk = new ReviewDesk({ store });
  });
  afterEach(async () => {
    desk.close();
    await store.close();
  });

  const statement = (requester: ReviewRequester, approvals = 1) =>
    desk.requestStatement({
      requester,
      connection: 'pg',
      text: TEXT,
      requirement: { ...requirement, approvals },
      policyHash: 'h',
    });
  const grant = (requester: ReviewRequester) =>
    desk.requestGrant({
      requester,
      connection: 'pg',
      durationMs: 60_000,
      reason: 'r',
      requirement,
      policyHash: 'h',
    });

  it('the key’s approval is consumed by the key only, never by a provider identity of its subject', async () => {
    const review = await statement(key);
    await desk.decide(review.id, dba, 'approve');
    await rejectsWith(desk.consume(review.id, forged, 'pg', TEXT), 'HOOP_REVIEW_MISMATCH');
    await rejectsWith(desk.consume(review.id, unproven, 'pg', TEXT), 'HOOP_REVIEW_MISMATCH');
    assert.equal((await desk.consume(review.id, key, 'pg', TEXT)).status, 'consumed');
  });

  it('the key’s grant admits the key only; requests are listed for their own kind', async () => {
    const review = await grant(key);
    await desk.decide(review.id, dba, 'approve');
    assert.equal((await desk.activeGrant(key, 'pg'))?.id, review.id);
    assert.equal(await desk.activeGrant(forged, 'pg'), undefined);
    assert.deepEqual(
      (await desk.list({ requester: key })).map((r) => r.id),
      [review.id],
    );
    assert.deepEqual(await desk.list({ requester: forged }), []);
  });

  it('records each vote with its method', async () => {
    const review = await statement(key, 2);
    await desk.decide(review.id, dba, 'approve');
    const decided = await desk.decide(review.id, bob, 'approve');
    assert.deepEqual(
      decided.votes.map((vote) => [vote.method, vote.subject]),
      [
        ['apikey', 'apikey:dba'],
        ['oidc', 'bob'],
      ],
    );
    assert.equal(decided.requester.method, 'apikey');
  });

  it('an older version’s request in the apikey: namespace is nobody’s: never consumed, granted or self-approved', async () => {
    const statementReview = await statement(unproven);
    const grantReview = await grant(unproven);
    // The key cannot rule out being its requester: four eyes refuse its vote.
    await rejectsWith(
      desk.decide(statementReview.id, { ...key, groups: ['dba'] }, 'approve'),
      'HOOP_REVIEW_SELF_APPROVAL',
    );
    await desk.decide(statementReview.id, dba, 'approve');
    await desk.decide(grantReview.id, dba, 'approve');
    for (const who of [key, forged, unproven]) {
      await rejectsWith(desk.consume(statementReview.id, who, 'pg', TEXT), 'HOOP_REVIEW_MISMATCH');
      assert.equal(await desk.activeGrant(who, 'pg'), undefined);
    }
  });

  it('an older version’s vote in the apikey: namespace does not count toward approval', async () => {
    const review = await statement(bob, 2);
    await store.addReviewVote(review.id, {
      method: undefined,
      subject: 'apikey:agent-9',
      name: 'agent-9',
      decision: 'approve',
      at: new Date(),
    });
    const first = await desk.decide(review.id, dba, 'approve');
    assert.equal(first.status, 'pending', 'one proven approval of two');
    const second = await desk.decide(review.id, { ...key, groups: ['dba'] }, 'approve');
    assert.equal(second.status, 'approved');
  });
});
