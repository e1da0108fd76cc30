import type net from 'node:net';
import type { Duplex } from 'node:stream';
import ssh2 from 'ssh2';
import type { CloseReasonName } from '../../../tunnel/index.js';
import type {
  HandlerContext,
  ProtocolHandler,
  ProtocolSession,
  SessionAbort,
  SessionOutcome,
  SshSettings,
} from '../handler.js';
import { refuseForwarding, serveForwarding, type TargetOpener } from './forwarding.js';
import { SessionChannel } from './session-channel.js';
import { openTarget } from './target-client.js';

/**
 * Disconnect reason codes (RFC 4253 §11.1) the gateway sends: a client that
 * breaks a limit learns which kind of limit in its own protocol.
 */
const DISCONNECT = {
  PROTOCOL_ERROR: 2,
  BY_APPLICATION: 11,
  TOO_MANY_CONNECTIONS: 12,
  NO_MORE_AUTH_METHODS_AVAILABLE: 14,
} as const;

/** ssh2 sends a disconnect reason only through its protocol object; its `end()` always says BY_APPLICATION. */
interface WithProtocol {
  _protocol?: { disconnect(reason: number): void };
}

/**
 * `type: ssh`: the gateway is an SSH server toward the client (its own host
 * key, `none` authentication: the tunnel already authenticated the caller)
 * and an SSH client toward the target (the connection's key or password,
 * the pinned host key). Every channel request is an action the session's
 * enforcer decides: an exec by the commands its line runs, a shell as
 * `@shell`, sftp as `@sftp`, forwarding as `@forward`, agent forwarding as
 * `@agent`; X11 is refused. The target is logged in to when the first
 * allowed channel needs it, so a refused request never reaches the host.
 */
export function sshProtocol() {
  return (context: HandlerContext): ProtocolHandler => ({
    type: 'ssh',
    serve(session: ProtocolSession, client: Duplex): Promise<SessionOutcome> {
      if (context.ssh === undefined)
        throw new Error('the SSH handler was built without its settings');
      const hostKey = ssh2.utils.parseKey(context.ssh.hostKey);
      if (hostKey instanceof Error) throw hostKey;
      const key = Array.isArray(hostKey) ? hostKey[0] : hostKey;
      return new SshConnection(
        context,
        context.ssh,
        key as ssh2.ParsedKey,
        session,
        client,
      ).serve();
    },
  });
}

class SshConnection {
  private readonly counts = { bytesUp: 0, bytesDown: 0 };
  private target: Promise<ssh2.Client> | undefined;
  private channels = 0;
  private authAttempts = 0;
  private ended: { reason: CloseReasonName; detail?: string } | undefined;
  private conn: ssh2.Connection | undefined;

  constructor(
    private readonly context: HandlerContext,
    private readonly settings: SshSettings,
    private readonly hostKey: ssh2.ParsedKey,
    private readonly session: ProtocolSession,
    private readonly client: Duplex,
  ) {}

  serve(): Promise<SessionOutcome> {
    return new Promise((resolve) => {
      const { session, client, settings } = this;
      const server = new ssh2.Server({ hostKeys: [{ key: this.hostKey }], ident: 'hoop' }, (conn) =>
        this.onConnection(conn),
      );
      server.on('error', () => {});
      const handshake = setTimeout(() => {
        this.end('protocol_error', 'HOOP_SSH_HANDSHAKE_TIMEOUT', DISCONNECT.PROTOCOL_ERROR);
        client.destroy();
      }, settings.handshakeTimeoutMs);
      this.onReady = () => clearTimeout(handshake);
      const onAbort = () => {
        const abort = session.signal.reason as SessionAbort;
        this.end(abort.reason, abort.message, DISCONNECT.BY_APPLICATION);
        client.end();
      };
      session.signal.addEventListener('abort', onAbort, { once: true });
      client.on('data', (chunk: Buffer) => {
        this.counts.bytesUp += chunk.length;
      });
      client.on('error', () => {});
      client.once('close', () => {
        clearTimeout(handshake);
        session.signal.removeEventListener('abort', onAbort);
        this.closeTarget();
        const ended = this.ended ?? { reason: 'client_closed' as const };
        resolve({ ...this.counts, ...ended });
      });
      // ssh2 reads and writes a net.Socket's stream methods only: the tunnel's Duplex serves.
      server.injectSocket(client as net.Socket);
    });
  }

  private onReady: () => void = () => {};

  /** Notes why the session ends (the first reason wins) and tells the client with a disconnect reason. */
  private end(reason: CloseReasonName, detail: string, disconnect: number): void {
    this.ended ??= { reason, detail };
    const protocol = (this.conn as WithProtocol | undefined)?._protocol;
    try {
      protocol?.disconnect(disconnect);
    } catch {
      // The socket may already be gone.
    }
    this.client.end();
  }

  private onConnection(conn: ssh2.Connection): void {
    this.conn = conn;
    const { session, settings } = this;
    conn.on('error', (error: Error) => {
      // A malformed packet, a bad key exchange, a window overrun: ssh2 reports it here.
      session.log.info({ event: 'ssh_client_error', err: error }, 'SSH client broke the protocol');
      this.end(
        'protocol_error',
        `HOOP_SSH_PROTOCOL_ERROR: ${error.message}`,
        DISCONNECT.PROTOCOL_ERROR,
      );
    });
    conn.on('authentication', (ctx) => {
      if (++this.authAttempts > settings.maxAuthAttempts) {
        this.end(
          'protocol_error',
          'HOOP_SSH_TOO_MANY_AUTH_ATTEMPTS',
          DISCONNECT.NO_MORE_AUTH_METHODS_AVAILABLE,
        );
        return;
      }
      // The tunnel authenticated the caller: no SSH credential is asked for.
      if (ctx.method === 'none') ctx.accept();
      else ctx.reject(['none']);
    });
    conn.on('ready', () => {
      this.onReady();
      conn.on('session', (accept, reject) => {
        if (!this.reserveChannel()) return reject();
        const channel = accept();
        const served = new SessionChannel(channel, {
          session,
          settings,
          target: () => this.openTarget(),
          bytesDown: (n) => (this.counts.bytesDown += n),
        });
        channel.once('close', () => {
          this.channels--;
          served.close();
        });
      });
      conn.on('tcpip', (accept, reject, info) => {
        if (!this.reserveChannel()) return reject();
        serveForwarding(session, this.opener(), accept, reject, info, () => this.channels--);
      });
      conn.on('request', (_accept, reject, name) => {
        // Remote forwarding (-R) and streamlocal forwarding are refused.
        refuseForwarding(session, name, reject);
      });
      conn.on('openssh.streamlocal', (_accept, reject) => reject());
    });
  }

  /** One more channel, unless the client has `ssh.maxChannels` open already. */
  private reserveChannel(): boolean {
    if (this.channels >= this.settings.maxChannels) {
      this.session.log.info(
        { event: 'ssh_channel_refused', code: 'HOOP_SSH_TOO_MANY_CHANNELS' },
        'SSH client opened too many channels',
      );
      return false;
    }
    this.channels++;
    return true;
  }

  private opener(): TargetOpener {
    return () => this.openTarget();
  }

  /** The target's SSH connection, logged in to once, when the first allowed channel needs it. */
  private openTarget(): Promise<ssh2.Client> {
    this.target ??= openTarget(this.context.connector, this.session.target, {
      readyTimeoutMs: this.settings.handshakeTimeoutMs,
    }).then((client) => {
      client.on('error', (error: Error) =>
        this.session.log.info({ event: 'ssh_target_error', err: error }, 'SSH target error'),
      );
      client.once('close', () => {
        if (!this.ended)
          this.end('target_closed', 'the target closed the connection', DISCONNECT.BY_APPLICATION);
      });
      return client;
    });
    return this.target;
  }

  private closeTarget(): void {
    this.target?.then(
      (client) => client.end(),
      () => {},
    );
  }
}
