import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { HoopError } from '../../../../src/lib/errors.js';
import { ReviewDesk, type ReviewEvent } from '../../../../src/server/reviews/index.js';
import { openStore, type Store } from '../../../../src/server/store/index.js';

const alice = {
  method: 'apikey' as const,
  subject: 'apikey:alice',
  name: 'alice',
  groups: ['agents'],
};
const bob = { method: 'apikey' as const, subject: 'apikey:bob', name: 'bob', groups: ['dba'] };
const carol = {
  method: 'apikey' as const,
  subject: 'apikey:carol',
  name: 'carol',
  groups: ['dba', 'oncall'],
};
const mallory = {
  method: 'apikey' as const,
  subject: 'apikey:mallory',
  name: 'mallory',
  groups: ['agents'],
};

const requirement = (approvals = 1, timeoutMs = 60_000) => ({
  rule: 'writes-need-review',
  approvers: ['dba'],
  approvals,
  timeoutMs,
});

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof HoopError, String(error));
    assert.equal(error.code, code);
    return true;
  });
}

describe('ReviewDesk (SQLite store)', () => {
  let store: Store;
  let desk: ReviewDesk;
  let clock: number;
  const events: ReviewEvent[] = [];

  beforeEach(async () => {
    store = await openStore('sqlite::memory:');
    clock = Date.parse('2026-03-01T10:00:00Z');
    events.length = 0;
    desk = new ReviewDesk({
      store,
      now: () => new Date(clock),
      onEvent: (event) => events.push(event),
    });
  });
  afterEach(async () => {
    desk.close();
    await store.close();
  });

  const statement = (approvals = 1, timeoutMs = 60_000) =>
    desk.requestStatement({
      requester: alice,
      connection: 'pg',
      text: 'delete from orders where id = 1',
      requirement: requirement(approvals, timeoutMs),
      policyHash: 'sha256:abc',
      sessionId: 'ses_1',
    });

  it('stores a pending review with its binding and tells listeners', async () => {
    const review = await statement();
    assert.match(review.id, /^rev_/);
    const stored = await desk.get(review.id);
    assert.equal(stored?.status, 'pending');
    assert.equal(stored?.text, 'delete from orders where id = 1');
    assert.deepEqual(stored?.requester, alice);
    assert.deepEqual(stored?.requirement, requirement());
    assert.equal(stored?.expiresAt.getTime(), clock + 60_000);
    assert.deepEqual(
      events.map((e) => e.type),
      ['created'],
    );
  });

  it('lists for an approver what they may decide, never their own', async () => {
    const review = await statement();
    assert.deepEqual(
      (await desk.list({ approver: bob })).map((r) => r.id),
      [review.id],
    );
    assert.deepEqual(await desk.list({ approver: alice }), []);
    assert.deepEqual(await desk.list({ approver: mallory }), []);
    assert.deepEqual(
      (await desk.list({ requester: alice })).map((r) => r.id),
      [review.id],
    );
  });

  it('refuses self-approval, approvers outside the groups, unknown reviews', async () => {
    const review = await statement();
    await rejectsWith(desk.decide(review.id, alice, 'approve'), 'HOOP_REVIEW_SELF_APPROVAL');
    await rejectsWith(desk.decide(review.id, mallory, 'approve'), 'HOOP_REVIEW_NOT_APPROVER');
    await rejectsWith(desk.decide('rev_nope', bob, 'approve'), 'HOOP_REVIEW_NOT_FOUND');
  });

  it('counts approvals per distinct approver; a second vote is refused', async () => {
    const review = await statement(2);
    const once = await desk.decide(review.id, bob, 'approve');
    assert.equal(once.status, 'pending');
    await rejectsWith(desk.decide(review.id, bob, 'approve'), 'HOOP_REVIEW_ALREADY_VOTED');
    const twice = await desk.decide(review.id, carol, 'approve');
    assert.equal(twice.status, 'approved');
    assert.deepEqual(
      twice.votes.map((v) => v.name),
      ['bob', 'carol'],
    );
    await rejectsWith(desk.decide(review.id, carol, 'reject', 'no'), 'HOOP_REVIEW_DECIDED');
  });

  it('concurrent votes of one approver count once', async () => {
    const review = await statement(2);
    const results = await Promise.allSettled([
      desk.decide(review.id, bob, 'approve'),
      desk.decide(review.id, bob, 'approve'),
    ]);
    assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
    assert.equal((await desk.get(review.id))?.status, 'pending');
  });

  it('a rejection decides at once and wakes the waiter with the reason', async () => {
    const review = await statement(2);
    const waiting = desk.wait(review.id);
    await desk.decide(review.id, bob, 'reject', 'not during the sale');
    const outcome = await waiting;
    assert.equal(outcome.status, 'rejected');
    assert.equal(outcome.status === 'rejected' && outcome.reason, 'not during the sale');
    assert.equal(outcome.status === 'rejected' && outcome.by, 'bob');
  });

  it('expires on read after its timeout; deciding it then is refused', async () => {
    const review = await statement();
    clock += 61_000;
    assert.equal((await desk.get(review.id))?.status, 'expired');
    await rejectsWith(desk.decide(review.id, bob, 'approve'), 'HOOP_REVIEW_EXPIRED');
    assert.ok(events.some((e) => e.type === 'expired'));
  });

  it('expires by its timer and wakes the waiter', async () => {
    const real = new ReviewDesk({ store });
    const review = await real.requestStatement({
      requester: alice,
      connection: 'pg',
      text: 'delete from orders',
      requirement: requirement(1, 50),
      policyHash: 'sha256:abc',
    });
    const outcome = await real.wait(review.id);
    assert.equal(outcome.status, 'expired');
    real.close();
  });

  it('a wait is abandoned when its signal aborts; the review stays', async () => {
    const review = await statement();
    const controller = new AbortController();
    const waiting = desk.wait(review.id, controller.signal);
    controller.abort(new Error('client left'));
    await assert.rejects(waiting, /client left/);
    assert.equal((await desk.get(review.id))?.status, 'pending');
  });

  it('an approval is bound to requester, connection and exact text, and used once', async () => {
    const review = await statement();
    await rejectsWith(
      desk.consume(review.id, alice, 'pg', 'delete from orders where id = 1'),
      'HOOP_REVIEW_PENDING',
    );
    await desk.decide(review.id, bob, 'approve');
    await rejectsWith(
      desk.consume(review.id, alice, 'pg', 'delete from orders where id = 2'),
      'HOOP_REVIEW_MISMATCH',
    );
    await rejectsWith(
      desk.consume(review.id, mallory, 'pg', 'delete from orders where id = 1'),
      'HOOP_REVIEW_MISMATCH',
    );
    await rejectsWith(
      desk.consume(review.id, alice, 'pg-other', 'delete from orders where id = 1'),
      'HOOP_REVIEW_MISMATCH',
    );
    const used = await desk.consume(review.id, alice, 'pg', 'delete from orders where id = 1');
    assert.equal(used.status, 'consumed');
    await rejectsWith(
      desk.consume(review.id, alice, 'pg', 'delete from orders where id = 1'),
      'HOOP_REVIEW_CONSUMED',
    );
  });

  it('grants: in force from approval for their duration', async () => {
    const grant = await desk.requestGrant({
      requester: alice,
      connection: 'pg-prod',
      durationMs: 30 * 60_000,
      reason: 'incident 42',
      requirement: requirement(),
      policyHash: 'sha256:abc',
    });
    assert.equal(await desk.activeGrant(alice, 'pg-prod'), undefined);
    clock += 1000;
    const approved = await desk.decide(grant.id, bob, 'approve');
    assert.equal(approved.grantedUntil?.getTime(), clock + 30 * 60_000);
    assert.equal((await desk.activeGrant(alice, 'pg-prod'))?.id, grant.id);
    assert.equal(await desk.activeGrant(alice, 'pg-other'), undefined);
    assert.equal(await desk.activeGrant(mallory, 'pg-prod'), undefined);
    clock += 30 * 60_000 + 1;
    assert.equal(await desk.activeGrant(alice, 'pg-prod'), undefined);
  });
});
