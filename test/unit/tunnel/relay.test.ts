import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, it } from 'node:test';

import {
  TunnelClosedError,
  targetErrorReason,
  type CloseReasonName,
} from '../../../src/tunnel/close-reason.js';
import { relay, type RelaySide } from '../../../src/tunnel/relay.js';
import { readAll, socketPair } from './pairs.js';

/**
 * The relay between two real TCP connections:
 *
 *   client ──pair A── a ══relay══ b ──pair B── target
 */
async function rig() {
  const [client, a] = await socketPair();
  const [b, target] = await socketPair();
  opened.push(client, a, b, target);
  const aborted: CloseReasonName[] = [];
  const sideA: RelaySide = {
    stream: a,
    classify: (error) =>
      new TunnelClosedError(
        (error as NodeJS.ErrnoException).code === 'ECONNRESET' ? 'client_reset' : 'internal_error',
        error.message,
      ),
    endedFirst: 'client_closed',
    vanished: 'client_vanished',
    abort: (error) => {
      aborted.push(error.reason);
      a.resetAndDestroy();
    },
  };
  const sideB: RelaySide = {
    stream: b,
    classify: (error: NodeJS.ErrnoException) =>
      new TunnelClosedError(targetErrorReason(error), error.message),
    endedFirst: 'target_closed',
    vanished: 'target_reset',
  };
  return { client, a, b, target, sideA, sideB, aborted };
}

const opened: net.Socket[] = [];
afterEach(() => {
  for (const socket of opened.splice(0)) socket.destroy();
});

describe('relay', () => {
  it('copies both ways, counts the bytes and half-closes (client first)', async () => {
    const { client, target, sideA, sideB } = await rig();
    const result = relay(sideA, sideB);
    const up = randomBytes(3 * 1024 * 1024 + 7);
    const down = randomBytes(1024 * 1024 + 3);
    const targetGot = readAll(target);
    const clientGot = readAll(client);
    client.end(up);
    // The target answers only after it has read everything: the client's
    // FIN must reach it while the other direction stays open.
    assert.ok((await targetGot).equals(up));
    target.end(down);
    assert.ok((await clientGot).equals(down));
    assert.deepEqual(await result, {
      bytesAToB: up.length,
      bytesBToA: down.length,
      reason: 'client_closed',
    });
  });

  it('records the target as the side that ended first', async () => {
    const { client, target, sideA, sideB } = await rig();
    const result = relay(sideA, sideB);
    const clientGot = readAll(client);
    target.end('bye');
    assert.equal((await clientGot).toString(), 'bye');
    // The client may still send after the target's FIN.
    const targetGot = readAll(target);
    client.end('late');
    assert.equal((await targetGot).toString(), 'late');
    assert.deepEqual(await result, { bytesAToB: 4, bytesBToA: 3, reason: 'target_closed' });
  });

  it('passes on a source that ended before the relay started (connect and close)', async () => {
    const { client, a, target, sideA, sideB } = await rig();
    a.pause();
    client.end();
    await sleep(50);
    const targetGot = readAll(target);
    const result = relay(sideA, sideB);
    assert.equal((await targetGot).length, 0);
    target.end();
    assert.deepEqual(await result, { bytesAToB: 0, bytesBToA: 0, reason: 'client_closed' });
  });

  it('ends with the target reset and aborts the client side with it', async () => {
    const { client, target, sideA, sideB, aborted } = await rig();
    const result = relay(sideA, sideB);
    client.write('hello');
    await once(target, 'data');
    const clientError = once(client, 'error');
    target.resetAndDestroy();
    const outcome = await result;
    assert.equal(outcome.reason, 'target_reset');
    assert.match(outcome.detail ?? '', /ECONNRESET/);
    assert.equal(outcome.bytesAToB, 5);
    assert.deepEqual(aborted, ['target_reset']);
    // The abort hook reset the client's connection, as the target's reset would have.
    const [error] = (await clientError) as [NodeJS.ErrnoException];
    assert.equal(error.code, 'ECONNRESET');
  });

  it('ends with the client reset and destroys the target side with the reason', async () => {
    const { client, b, target, sideA, sideB } = await rig();
    const result = relay(sideA, sideB);
    // The target's side is allowed half-open: it sees the end, not a close.
    const targetGot = readAll(target);
    const bError = once(b, 'error') as Promise<[TunnelClosedError]>;
    client.write('x');
    await sleep(20);
    client.resetAndDestroy();
    const outcome = await result;
    assert.equal(outcome.reason, 'client_reset');
    // Without an abort hook the other side is destroyed with the failure itself.
    const [error] = await bError;
    assert.ok(error instanceof TunnelClosedError);
    assert.equal(error.reason, 'client_reset');
    assert.equal((await targetGot).toString(), 'x');
  });

  it('reports a side that closed before its stream ended as vanished', async () => {
    const { client, a, target, sideA, sideB } = await rig();
    const result = relay(sideA, sideB);
    const targetGot = readAll(target);
    client.write('x');
    await sleep(20);
    a.destroy();
    const outcome = await result;
    assert.equal(outcome.reason, 'client_vanished');
    assert.equal((await targetGot).toString(), 'x');
  });

  it('takes a TunnelClosedError from a side as its own reason', async () => {
    const { client, a, target, sideA, sideB } = await rig();
    const result = relay(sideA, sideB);
    void client;
    void target;
    a.destroy(new TunnelClosedError('keepalive_timeout', 'no pong'));
    assert.deepEqual(await result, {
      bytesAToB: 0,
      bytesBToA: 0,
      reason: 'keepalive_timeout',
      detail: 'no pong',
    });
  });

  it('stops reading a source whose destination does not drain, then delivers everything', async () => {
    const { client, a, target, sideA, sideB } = await rig();
    const result = relay(sideA, sideB);
    target.pause();
    // The client writes until the whole path is full: each socket buffer and
    // the kernel's, and nothing more, since the relay stops reading `a`.
    const written = await fillUntilStalled(client);
    assert.ok(a.isPaused(), 'the relay paused its source');
    assert.ok(written < 64 * 1024 * 1024, `${written} bytes went in before the stall`);
    const targetGot = readAll(target);
    target.resume();
    client.end();
    const got = await targetGot;
    assert.equal(got.length, written);
    assert.ok(got.equals(pattern(written)), 'the bytes arrive intact and in order');
    target.end();
    const outcome = await result;
    assert.equal(outcome.bytesAToB, written);
    assert.equal(outcome.reason, 'client_closed');
  });
});

/** Deterministic bytes, so that order and content can be checked after a long transfer. */
function pattern(length: number, offset = 0): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = (offset + i) % 251;
  return bytes;
}

/** Writes {@link pattern} bytes until `write()` says stop and no 'drain' comes for 300 ms. */
async function fillUntilStalled(socket: net.Socket): Promise<number> {
  const chunkSize = 64 * 1024;
  let written = 0;
  for (;;) {
    while (socket.write(pattern(chunkSize, written))) written += chunkSize;
    written += chunkSize;
    const drained = await Promise.race([
      once(socket, 'drain').then(() => true),
      sleep(300).then(() => false),
    ]);
    if (!drained) return written;
  }
}
