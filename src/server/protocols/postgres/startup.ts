import type { Duplex } from 'node:stream';
import type { TargetInfo } from '../../targets/connector.js';
import { FrameSource, PeerClosedError } from './frame-source.js';
import { PostgresSessionError } from './session-error.js';
import { startupSettings } from './startup-settings.js';
import {
  PgProtocolError,
  buildEncryptionResponse,
  frameBytes,
  parseFrontend,
} from './protocol/index.js';

/** What the client asked for at start-up. */
export type Startup =
  | { kind: 'cancel'; processId: number; secretKey: Buffer }
  | {
      kind: 'session';
      user: string;
      database: string;
      parameters: Map<string, string>;
      /** Bytes that arrived after the StartupMessage, to relay first. */
      leftover: Buffer[];
    };

/**
 * The client left or broke the start-up dialogue in a way PostgreSQL
 * answers by closing without a word (an impossible start-up packet length):
 * the handler closes the tunnel and sends nothing.
 */
export class StartupAbandoned extends Error {
  constructor(
    readonly reason: 'client_closed' | 'protocol_error',
    message: string,
  ) {
    super(message);
    this.name = 'StartupAbandoned';
  }
}

/**
 * Protocol §55.2.1: SSLRequest and GSSENCRequest are answered 'N' (the tunnel
 * is already encrypted), then a StartupMessage or CancelRequest follows. A
 * start-up packet with an impossible length is met as PostgreSQL meets it
 * (`ProcessStartupPacket`: "invalid length of startup packet", logged, not
 * sent): the connection closes without a reply.
 */
export async function readStartup(client: Duplex, target: TargetInfo): Promise<Startup> {
  const source = new FrameSource(client, { startup: true, name: 'the client' });
  for (;;) {
    let frame;
    try {
      frame = await source.next();
    } catch (error) {
      if (error instanceof PeerClosedError) {
        throw new StartupAbandoned(
          'client_closed',
          'the client closed the connection during start-up',
        );
      }
      if (
        error instanceof PgProtocolError &&
        (error.code === 'PG_BAD_LENGTH' || error.code === 'PG_MESSAGE_TOO_LARGE')
      ) {
        throw new StartupAbandoned('protocol_error', error.message);
      }
      throw error;
    }
    const message = parseFrontend(frame);
    switch (message.type) {
      case 'sslRequest':
      case 'gssEncRequest':
        client.write(buildEncryptionResponse('N'));
        continue;
      case 'cancelRequest':
        source.release();
        return { kind: 'cancel', processId: message.processId, secretKey: message.secretKey };
      case 'startup': {
        if (message.majorVersion !== 3) {
          throw new PostgresSessionError(
            '0A000',
            `protocol version ${message.majorVersion}.${message.minorVersion} is not supported`,
          );
        }
        if ([...message.parameters.keys()].some((name) => name.toLowerCase() === 'replication'))
          throw new PostgresSessionError(
            '42501',
            'replication connections are not allowed through the gateway',
            { refusal: true },
          );
        const parameters = startupSettings(message.parameters);
        // The target reads the session's text as UTF-8 unless the client asked for SQL_ASCII,
        // whatever the database's or the role's own default (see session-pins.ts).
        if (!parameters.has('client_encoding')) parameters.set('client_encoding', 'UTF8');
        const user = message.parameters.get('user') ?? '';
        const requested = message.parameters.get('database') ?? user;
        const configured = target.database;
        // The connection reaches one database; asking for another is an error, not a silent redirect.
        if (
          configured !== undefined &&
          requested !== configured &&
          requested !== user &&
          requested !== ''
        ) {
          throw new PostgresSessionError(
            '3D000',
            `connection ${target.name} reaches database "${configured}" only`,
            { refusal: true },
          );
        }
        const { frames, partial } = source.release();
        const leftover = frames.map((f) => Buffer.from(frameBytes(f)));
        if (partial) leftover.push(Buffer.from(partial));
        return { kind: 'session', user, database: configured ?? requested, parameters, leftover };
      }
      default:
        throw new PostgresSessionError(
          '08P01',
          `unexpected ${message.type} message during start-up`,
        );
    }
  }
}
