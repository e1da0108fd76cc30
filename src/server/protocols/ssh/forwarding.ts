import type ssh2 from 'ssh2';
import type { ProtocolSession } from '../handler.js';
import { CHANNELS, channelAction } from './command-action.js';

/** The target's SSH connection, logged in to on first use. */
export type TargetOpener = () => Promise<ssh2.Client>;

/**
 * A `direct-tcpip` channel (`ssh -L`, `ssh -D`; RFC 4254 §7.2): decided as
 * `@forward` (allowed only by a rule that names it), then opened from the
 * target host with its `forwardOut`, so the connection leaves from where
 * the client asked, not from the gateway.
 */
export function serveForwarding(
  session: ProtocolSession,
  target: TargetOpener,
  accept: () => ssh2.ServerChannel,
  reject: () => void,
  info: ssh2.TcpipRequestInfo,
  released: () => void,
): void {
  const { enforcer, log } = session;
  const line = `direct-tcpip ${info.destIP}:${info.destPort}`;
  const decision = enforcer.decide(channelAction(CHANNELS.forward, line));
  const started = Date.now();
  if (decision.effect !== 'allow') {
    log.info({ event: 'ssh_forward_refused', destination: line }, 'port forwarding refused');
    if (decision.record) {
      void enforcer
        .record(decision.record, { type: 'command', durationMs: 0, exitStatus: 3 })
        ?.catch(() => {});
    }
    released();
    reject();
    return;
  }
  target()
    .then(
      (client) =>
        new Promise<ssh2.ClientChannel>((resolve, fail) =>
          client.forwardOut(
            info.srcIP,
            info.srcPort,
            info.destIP,
            info.destPort,
            (error, channel) => (error ? fail(error) : resolve(channel)),
          ),
        ),
    )
    .then(
      (remote) => {
        const local = accept();
        local.pipe(remote).pipe(local);
        local.once('close', () => {
          released();
          if (decision.record) {
            void enforcer
              .record(decision.record, { type: 'command', durationMs: Date.now() - started })
              ?.catch(() => {});
          }
        });
      },
      (error: Error) => {
        log.info({ event: 'ssh_forward_failed', err: error }, 'port forwarding failed');
        released();
        reject();
      },
    );
}

/**
 * Global requests (RFC 4254 §4, §7.1): remote forwarding (`ssh -R`) and
 * OpenSSH's streamlocal forwarding. Refused: the gateway does not bind
 * ports on the target for a client (README: SSH).
 */
export function refuseForwarding(
  session: ProtocolSession,
  name: string,
  reject: (() => void) | undefined,
): void {
  session.log.info({ event: 'ssh_request_refused', request: name }, 'SSH global request refused');
  reject?.();
}
