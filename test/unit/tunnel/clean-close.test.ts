import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TunnelClosedError } from '../../../src/tunnel/close-reason.js';
import { relay } from '../../../src/tunnel/relay.js';
import { WebSocketStream } from '../../../src/tunnel/websocket-stream.js';
import { socketPair, webSocketPair } from './pairs.js';

/**
 * Regression: `hoop connect` printed "the gateway went away" for a clean
 * close. A node-postgres Pool's `end()` sends Terminate and closes its
 * socket; the gateway, done with the session, closes the tunnel cleanly
 * (1000) while the CLI is still sending the client's eof. The CLI's side of
 * the tunnel then closed before both of its directions had ended, which the
 * relay read as a gateway that vanished.
 */
describe('a clean close from the gateway racing the client’s own end', () => {
  it('is recorded as clean, never as the gateway going away; the client gets a FIN', async () => {
    const reasons = new Map<string, number>();
    for (let round = 0; round < 30; round++) {
      const [client, local] = await socketPair();
      const pair = await webSocketPair();
      const cli = new WebSocketStream(pair.client, { vanished: 'gateway_vanished' });
      const gateway = new WebSocketStream(pair.server);
      gateway.on('error', () => {});
      const result = relay(
        {
          stream: local,
          classify: (error) => new TunnelClosedError('internal_error', error.message),
          endedFirst: 'client_closed',
          vanished: 'client_vanished',
        },
        {
          stream: cli,
          classify: (error) => new TunnelClosedError('internal_error', error.message),
          endedFirst: 'target_closed',
          vanished: 'gateway_vanished',
          closedCleanly: () => cli.closedCleanly,
        },
      );
      // The gateway reads the client's last message and closes at once, as after a Terminate.
      gateway.once('data', () => gateway.destroy());
      gateway.resume();
      const clientEnded = new Promise<boolean>((resolve) => {
        client.once('end', () => resolve(true));
        client.once('close', () => resolve(false));
      });
      client.resume();
      // Terminate, and the client's own end a moment later, after the gateway's close.
      client.write(Buffer.from('X\0\0\0\x04', 'latin1'));
      setTimeout(() => client.end(), round % 3 === 0 ? 0 : round % 3 === 1 ? 5 : 30);
      const { reason } = await result;
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      assert.equal(await clientEnded, true, 'the local client gets a clean end (FIN), not a reset');
      client.destroy();
      pair.close();
    }
    assert.equal(reasons.get('gateway_vanished') ?? 0, 0, JSON.stringify([...reasons]));
  });
});
