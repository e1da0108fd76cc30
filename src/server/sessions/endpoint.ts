import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { HoopError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { WebSocketStream } from '../../tunnel/index.js';
import type { AuditRecorder } from '../audit/index.js';
import type { Authenticator } from '../auth/authenticator.js';
import type { GatewayConfig } from '../config/index.js';
import type { Connections } from '../connections.js';
import { decodeSegment, requestPath } from '../http/path.js';
import { refuseUpgrade, toHoopError } from '../http/respond.js';
import { validateUpgrade } from '../http/upgrade.js';
import type { Logger } from '../logger.js';
import { requestFor, type Policy } from '../policy/index.js';
import type { ProtocolHandler } from '../protocols/handler.js';
import { admitSession, type HoldMode, type ReviewDesk } from '../reviews/index.js';
import type { NewSession, Store } from '../store/index.js';
import type { SessionLifecycle } from './lifecycle.js';

/** `GET /api/tunnel/NAME` with `Upgrade: websocket`: one session on connection NAME. */
export const TUNNEL_PATH = /^\/api\/tunnel\/([^/?#]+)$/;

export interface TunnelEndpointOptions {
  authenticate: Authenticator;
  connections: Connections;
  handlers: ReadonlyMap<string, ProtocolHandler>;
  /** The policy in force; none admits every session the connection's groups allow. */
  policy?: () => Policy;
  desk?: ReviewDesk;
  store: Store;
  recorder: AuditRecorder;
  lifecycle: SessionLifecycle;
  tunnel: GatewayConfig['tunnel'];
  log: Logger;
  /** True once the gateway is stopping: new tunnels are refused. */
  closing: () => boolean;
}

/**
 * The tunnel endpoint: every tunnel goes through one pipeline before a byte
 * of its protocol is read: authenticate → resolve the connection (the
 * caller's groups must open it) → admit (policy, and an approved grant when
 * a session-level review rule asks for one) → record the session's start
 * (fail closed: a session that cannot be recorded does not start) → upgrade
 * → hand the byte stream to the session lifecycle. A refusal before the
 * upgrade is an HTTP error with a stable code.
 */
export class TunnelEndpoint {
  private readonly wss: WebSocketServer;

  constructor(private readonly options: TunnelEndpointOptions) {
    this.wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      maxPayload: options.tunnel.maxFrameBytes,
    });
  }

  /** Takes an upgrade request for the tunnel path; refuses it in HTTP when the tunnel cannot open. */
  upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer, path: string): void {
    this.open(req, socket, head).catch((error: unknown) => {
      const refusal = toHoopError(error);
      // The path only: a query string is the client's and may hold anything.
      if (refusal.code === 'HOOP_INTERNAL')
        this.options.log.error({ err: error, path }, 'tunnel upgrade failed');
      else
        this.options.log.info(
          { event: 'tunnel_refused', code: refusal.code, path },
          refusal.message,
        );
      refuseUpgrade(socket, refusal);
    });
  }

  close(): void {
    this.wss.close();
  }

  private async open(req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const { options } = this;
    const match = TUNNEL_PATH.exec(requestPath(req));
    if (!match?.[1]) throw new HoopError('HOOP_NOT_FOUND', 'no such WebSocket endpoint');
    if (options.closing()) throw shuttingDown();
    const identity = await options.authenticate(req.headers.authorization);
    const connection = options.connections.resolve(decodeSegment(match[1]), identity);
    const handler = options.handlers.get(connection.type);
    if (!handler) {
      throw new HoopError(
        'HOOP_PROTOCOL_UNSUPPORTED',
        `connections of type ${connection.type} are not supported by this gateway yet`,
      );
    }
    // A session-level review rule lets the session open only under an approved grant.
    const { grant } = options.policy
      ? await admitSession(options.policy(), options.desk, requestFor({ identity, connection }))
      : { grant: undefined };
    const mode = holdMode(req);
    validateUpgrade(req);
    // The gateway began to stop while this tunnel was authenticated and admitted.
    if (options.closing()) throw shuttingDown();
    const id = newId('ses');
    const clientAddr = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
    const started: NewSession = {
      id,
      subject: identity.subject,
      identityName: identity.name,
      identityKind: identity.kind,
      authMethod: identity.method,
      groups: identity.groups,
      connection: connection.name,
      connectionType: connection.type,
      clientAddr,
      startedAt: new Date(),
      ...(identity.actors ? { actors: identity.actors } : {}),
      ...(identity.jti ? { tokenId: identity.jti } : {}),
    };
    try {
      await options.store.startSession(started);
      // The session's start record is its chain's genesis.
      options.recorder.begin(started);
    } catch (error) {
      // Fail closed: a session that cannot be recorded does not start.
      throw new HoopError(
        'HOOP_STORE_UNAVAILABLE',
        'the gateway cannot record sessions right now',
        {
          hint: 'Retry later; an administrator should check the store.',
          cause: error,
        },
      );
    }
    const log = options.log.child({
      session: id,
      subject: identity.subject,
      connection: connection.name,
    });
    const admitted = {
      id,
      identity,
      connection,
      mode,
      ...(grant ? { grantRule: grant.requirement.rule } : {}),
      log,
      ...(req.headers.authorization === undefined ? {} : { credential: req.headers.authorization }),
    };
    const vanished = { bytesUp: 0, bytesDown: 0, reason: 'client_vanished' as const };
    if (socket.destroyed) {
      // The client left while the session was being recorded: ws would drop the
      // socket without calling back, and 'close' has been and gone.
      await options.lifecycle.end(id, vanished, log);
      return;
    }
    let upgraded = false;
    socket.once('close', () => {
      // ws drops an upgrade whose socket closed meanwhile without calling back.
      if (!upgraded) void options.lifecycle.end(id, vanished, log);
    });
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      upgraded = true;
      const stream = new WebSocketStream(ws, {
        pingIntervalMs: options.tunnel.pingIntervalMs,
        highWaterMark: options.tunnel.maxBufferedBytes,
      });
      stream.on('error', () => {
        // Reported through the handler's outcome.
      });
      log.info({ event: 'session_start', client: clientAddr }, 'session started');
      options.lifecycle.serve(admitted, handler, stream);
    });
  }
}

function shuttingDown(): HoopError {
  return new HoopError('HOOP_SHUTTING_DOWN', 'the gateway is shutting down', {
    hint: 'Retry in a moment.',
  });
}

/**
 * How the tunnel's client wants statements that need a review handled, from
 * its URL: `?review=ID` runs the approved statement of review ID (`hoop exec
 * --review ID`); `?hold=false` answers at once with the new review's ID
 * (`hoop exec`); otherwise (psql, `hoop exec --wait`) the statement waits.
 */
function holdMode(req: http.IncomingMessage): HoldMode {
  const query = new URL(req.url ?? '/', 'http://gateway').searchParams;
  const review = query.get('review');
  if (review) return { type: 'review', id: review };
  return query.get('hold') === 'false' ? { type: 'no-wait' } : { type: 'wait' };
}
