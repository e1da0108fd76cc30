import type { Duplex } from 'node:stream';
import {
  TunnelClosedError,
  relay,
  targetErrorReason,
  type CloseReasonName,
} from '../../tunnel/index.js';
import { TargetDialError } from '../targets/connector.js';
import type {
  HandlerContext,
  ProtocolHandler,
  ProtocolSession,
  SessionOutcome,
} from './handler.js';

/** `type: tcp`: bytes both ways, no protocol knowledge; the gateway still authenticates, authorizes and records. */
export function tcpProtocol() {
  return ({ connector }: HandlerContext): ProtocolHandler => ({
    type: 'tcp',
    async serve(session: ProtocolSession, client: Duplex): Promise<SessionOutcome> {
      let target;
      try {
        target = await connector.dial(session.target, { halfOpen: true });
      } catch (error) {
        if (!(error instanceof TargetDialError)) throw error;
        // Told to the client as the relay would tell it a failed target: a close with the reason.
        const reason: CloseReasonName = targetErrorReason({
          code: error.code,
        } as NodeJS.ErrnoException);
        client.destroy(new TunnelClosedError(reason, error.message));
        return { bytesUp: 0, bytesDown: 0, reason, detail: error.message };
      }
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
  });
}
