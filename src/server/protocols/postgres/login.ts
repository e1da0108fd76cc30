import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import {
  TargetDialError,
  type TargetConnector,
  type TargetCredentials,
  type TargetInfo,
} from '../../targets/connector.js';
import { FrameSource } from './frame-source.js';
import { PostgresSessionError } from './session-error.js';
import {
  BackendCode,
  ScramClient,
  SCRAM_SHA_256,
  buildPasswordMessage,
  buildSASLInitialResponse,
  buildSASLResponse,
  buildSSLRequest,
  buildStartupMessage,
  frameBytes,
  md5Password,
  parseBackend,
  type Frame,
} from './protocol/index.js';

/** Start-up settings the gateway always sends: how the server lexes SQL (see session-pins.ts). */
const PINNED_LEXING = { standard_conforming_strings: 'on', backslash_quote: 'safe_encoding' };

/** Who the gateway logs in as, where, and with which of the client's start-up parameters. */
export interface LoginOptions {
  target: TargetInfo;
  user: string;
  database: string;
  /** Start-up parameters passed on from the client (already filtered). */
  parameters: Map<string, string>;
  connectTimeoutMs?: number;
}

export interface TargetConnection {
  socket: Duplex;
  /** The target's own cancel key; the client only ever sees a gateway-issued one. */
  backendKey: { processId: number; secretKey: Buffer } | undefined;
  /** What the target said after authenticating (ParameterStatus … ReadyForQuery), BackendKeyData removed, to forward as is. */
  greeting: Buffer[];
  /** Bytes that arrived after ReadyForQuery, to forward before relaying. */
  leftover: Buffer[];
}

/**
 * Opens the target side of a session with the credentials the connector
 * holds: optional TLS (SSLRequest, protocol §55.2.10), StartupMessage, then
 * cleartext, md5 or SCRAM-SHA-256 authentication (§55.3). The caller never
 * sees the password or the SCRAM exchange.
 */
export async function connectTarget(
  connector: TargetConnector,
  options: LoginOptions,
): Promise<TargetConnection> {
  try {
    return await connector.login(
      options.target,
      (socket, credentials) => login(socket, credentials, options),
      options.connectTimeoutMs === undefined ? {} : { timeoutMs: options.connectTimeoutMs },
    );
  } catch (error) {
    if (error instanceof TargetDialError) {
      throw new PostgresSessionError(
        '08001',
        `the gateway cannot reach the target ${error.target.host}:${error.target.port}: ${error.code}`,
      );
    }
    throw error;
  }
}

async function login(
  raw: net.Socket,
  credentials: TargetCredentials,
  options: LoginOptions,
): Promise<TargetConnection> {
  let socket: Duplex = raw;
  try {
    if (options.target.tls) socket = await startTls(raw, options.target.host);
    const source = new FrameSource(socket, { name: 'the target' });
    socket.write(
      buildStartupMessage({
        user: options.user,
        database: options.database,
        ...Object.fromEntries(options.parameters),
        // How SQL is lexed, pinned as the session's own setting: a start-up value outranks the
        // server's file, ALTER SYSTEM and role or database defaults, survives a configuration
        // reload (which an open session would only report after running the next message) and
        // is what RESET ALL returns to.
        ...PINNED_LEXING,
      }),
    );
    await authenticate(socket, source, options.user, credentials);
    const greeting: Buffer[] = [];
    let backendKey: TargetConnection['backendKey'];
    for (;;) {
      const frame = await source.next();
      if (frame.code === BackendCode.BackendKeyData) {
        const message = parseBackend(frame);
        if (message.type === 'backendKeyData')
          backendKey = { processId: message.processId, secretKey: message.secretKey };
        continue;
      }
      if (frame.code === BackendCode.ErrorResponse) throw targetRefused(frame);
      greeting.push(Buffer.from(frameBytes(frame)));
      if (frame.code === BackendCode.ReadyForQuery) break;
    }
    const { frames, partial } = source.release();
    const leftover = frames.map((frame) => Buffer.from(frameBytes(frame)));
    if (partial) leftover.push(Buffer.from(partial));
    return { socket, backendKey, greeting, leftover };
  } catch (error) {
    socket.destroy();
    throw error instanceof PostgresSessionError
      ? error
      : new PostgresSessionError(
          '08006',
          `the gateway lost the target during start-up: ${(error as Error).message}`,
        );
  }
}

/** SSLRequest is answered with one unframed byte: 'S' to go on with TLS, 'N' for no. */
async function startTls(socket: net.Socket, servername: string): Promise<tls.TLSSocket> {
  socket.write(buildSSLRequest());
  const answer = await new Promise<number>((resolve, reject) => {
    socket.once('readable', function read() {
      const byte = socket.read(1) as Buffer | null;
      if (byte) resolve(byte[0]!);
      else socket.once('readable', read);
    });
    socket.once('error', reject);
    socket.once('end', () => reject(new Error('closed before answering SSLRequest')));
  });
  if (answer !== 0x53)
    throw new PostgresSessionError(
      '08001',
      'the target does not accept TLS, which this connection requires',
    );
  return new Promise((resolve, reject) => {
    const secure = tls.connect(
      { socket, servername: net.isIP(servername) ? undefined : servername },
      () => resolve(secure),
    );
    secure.once('error', (error) =>
      reject(new PostgresSessionError('08001', `TLS to the target failed: ${error.message}`)),
    );
  });
}

async function authenticate(
  socket: Duplex,
  source: FrameSource,
  user: string,
  credentials: TargetCredentials,
): Promise<void> {
  let scram: ScramClient | undefined;
  for (;;) {
    const frame = await source.next();
    if (frame.code === BackendCode.ErrorResponse) throw targetRefused(frame);
    if (frame.code !== BackendCode.Authentication) {
      throw new PostgresSessionError(
        '08P01',
        'the target sent an unexpected message during authentication',
      );
    }
    const message = parseBackend(frame);
    const password = (): string => {
      if (credentials.password === undefined) {
        throw new PostgresSessionError(
          '28000',
          'the target asks for a password and the connection has none configured',
        );
      }
      return credentials.password;
    };
    switch (message.type) {
      case 'authenticationOk':
        return;
      case 'authenticationCleartextPassword':
        socket.write(buildPasswordMessage(password()));
        break;
      case 'authenticationMD5Password':
        socket.write(buildPasswordMessage(md5Password(user, password(), message.salt)));
        break;
      case 'authenticationSASL':
        if (!message.mechanisms.includes(SCRAM_SHA_256)) {
          throw new PostgresSessionError(
            '28000',
            `the target offers no SASL mechanism the gateway speaks (${message.mechanisms.join(', ')})`,
          );
        }
        scram = new ScramClient({ password: password() });
        socket.write(buildSASLInitialResponse(SCRAM_SHA_256, scram.clientFirstMessage()));
        break;
      case 'authenticationSASLContinue':
        if (!scram) throw new PostgresSessionError('08P01', 'SASLContinue without SASL');
        socket.write(buildSASLResponse(scram.clientFinalMessage(message.data)));
        break;
      case 'authenticationSASLFinal':
        if (!scram) throw new PostgresSessionError('08P01', 'SASLFinal without SASL');
        scram.verifyServerFinal(message.data);
        break;
      default:
        throw new PostgresSessionError(
          '28000',
          'the target asks for an authentication method the gateway does not speak (Kerberos, GSSAPI or SSPI)',
        );
    }
  }
}

/**
 * SQLSTATEs with which the target refuses a client's own start-up setting
 * (guc.c: an unknown name, a bad value, one that cannot be set now or by
 * this role). Their messages name only the setting and value the client
 * sent, so they are passed on as they are.
 */
const SETTING_REFUSALS = new Set(['42704', '22023', '55P02', '22P02']);

/**
 * The target's own refusal. A refused setting is passed on with the target's
 * message; any other is reported without its details (they may name roles
 * or hosts the caller should not learn).
 */
function targetRefused(frame: Frame): PostgresSessionError {
  const message = parseBackend(frame);
  const fields = message.type === 'errorResponse' ? message.fields : undefined;
  const code = fields?.code;
  if (
    fields !== undefined &&
    code !== undefined &&
    (SETTING_REFUSALS.has(code) ||
      (code === '42501' && /^permission denied to set parameter/.test(fields.message ?? '')))
  ) {
    return new PostgresSessionError(code, fields.message ?? 'the target refused a setting', {
      refusal: true,
    });
  }
  return new PostgresSessionError(
    code === '28P01' || code === '28000' ? '28000' : '08004',
    `the target refused the gateway's login (${code ?? 'no SQLSTATE'}); an administrator should check the connection's credentials`,
  );
}
