import net from 'node:net';
import type { Duplex } from 'node:stream';
import { TunnelClosedError, relay, targetErrorReason } from '../../tunnel/index.js';
import type { ProtocolHandler, SessionContext, SessionOutcome } from './handler.js';

/** `type: tcp`: bytes both ways, no protocol knowledge; the gateway still authenticates, authorizes and records. */
export const tcpHandler: ProtocolHandler = {
  type: 'tcp',
  async serve(session: SessionContext, client: Duplex): Promise<SessionOutcome> {
    const { host, port } = session.connection;
    const target = net.connect({ host, port, allowHalfOpen: true, noDelay: true });
    const result = await relay(
      {
        stream: client,
        classify: (error) => new TunnelClosedError('internal_error', error.message),
        endedFirst: 'client_closed',
        vanished: 'client_vanished',
      },
      {
        stream: target,
        classify: (error: NodeJS.ErrnoException) =>
          new TunnelClosedError(targetErrorReason(error), error.message),
        endedFirst: 'target_closed',
        vanished: 'target_reset',
      },
    );
    const outcome: SessionOutcome = {
      bytesUp: result.bytesAToB,
      bytesDown: result.bytesBToA,
      reason: result.reason,
    };
    if (result.detail !== undefined) outcome.detail = result.detail;
    return outcome;
  },
};
