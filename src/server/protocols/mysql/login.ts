import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import {
  TargetDialError,
  type TargetConnector,
  type TargetCredentials,
  type TargetInfo,
} from '../../targets/connector.js';
import { PacketSource } from './packet-source.js';
import { MysqlSessionError } from './session-error.js';
import {
  Capability,
  Reply,
  UTF8MB4_GENERAL_CI,
  buildHandshakeResponse,
  buildRawPacket,
  cachingSha2Password,
  cleartextPassword,
  ed25519Password,
  nativePassword,
  parseAuthSwitchRequest,
  parseErr,
  parseHandshakeV10,
  parseOk,
  rsaEncryptedPassword,
  type HandshakeV10,
  type OkPacket,
  type Packet,
} from './protocol/index.js';

/** What the client asked for in its handshake, as far as the target's login follows it. */
export interface ClientHello {
  /** Capabilities the client chose among those offered (what the target session uses). */
  capabilities: number;
  maxPacketSize: number;
  attributes: Map<string, string>;
}

export interface MysqlLoginOptions {
  target: TargetInfo;
  /**
   * Called with the target's greeting once it arrives; resolves with the
   * client's choices, so the target session uses the capabilities the
   * client negotiated with the gateway (the wire format of every reply
   * depends on them).
   */
  hello(greeting: HandshakeV10): Promise<ClientHello>;
  maxPacketBytes: number;
}

/** A target connection logged in as the connection's user. */
export interface MysqlTarget {
  socket: Duplex;
  packets: PacketSource;
  greeting: HandshakeV10;
  /** The capabilities the target session was opened with. */
  capabilities: number;
  ok: OkPacket;
}

/**
 * Capabilities the gateway never passes to the target: compression (its
 * inspection is not implemented), TLS (the gateway's own decision),
 * IGNORE_SPACE (changes how the server parses function names), LOCAL_FILES
 * (LOCAL INFILE is refused: the server would ask the client for any file it
 * names), and what only MySQL 8's newer clients speak.
 */
const NEVER =
  Capability.COMPRESS |
  Capability.SSL |
  Capability.IGNORE_SPACE |
  Capability.LOCAL_FILES |
  Capability.OPTIONAL_RESULTSET_METADATA |
  Capability.ZSTD_COMPRESSION |
  Capability.QUERY_ATTRIBUTES |
  Capability.CAN_HANDLE_EXPIRED_PASSWORDS;

/** Capabilities the gateway's login always uses. */
const ALWAYS =
  Capability.PROTOCOL_41 |
  Capability.SECURE_CONNECTION |
  Capability.PLUGIN_AUTH |
  Capability.LONG_PASSWORD;

/** The capabilities the gateway may offer its client, given the target's. */
export function offeredCapabilities(target: number): number {
  return (target & ~NEVER) >>> 0;
}

/**
 * Opens the target side of a session with the credentials the connector
 * holds: the target's greeting, optional TLS (SSLRequest), the
 * HandshakeResponse41, then whichever method the target asks for
 * (mysql_native_password, caching_sha2_password with its fast and full
 * paths, sha256_password, MariaDB's client_ed25519, cleartext over TLS only).
 * The client never sees the password or the exchange.
 */
export async function connectTarget(
  connector: TargetConnector,
  options: MysqlLoginOptions,
): Promise<MysqlTarget> {
  try {
    return await connector.login(options.target, (socket, credentials) =>
      login(socket, credentials, options),
    );
  } catch (error) {
    if (error instanceof TargetDialError) {
      throw new MysqlSessionError(
        2003,
        'HY000',
        `hoop: the gateway cannot reach the target ${error.target.host}:${error.target.port}: ${error.code}`,
      );
    }
    throw error;
  }
}

async function login(
  raw: net.Socket,
  credentials: TargetCredentials,
  options: MysqlLoginOptions,
): Promise<MysqlTarget> {
  const { target } = options;
  let socket: Duplex = raw;
  const packets = new PacketSource(raw, {
    name: 'the target',
    maxPacketBytes: options.maxPacketBytes,
  });
  const first = await packets.next();
  if (first.payload[0] === Reply.ERR) throw targetRefused(parseErr(first.payload).message);
  const greeting = parseHandshakeV10(first.payload);
  const hello = await options.hello(greeting);
  let capabilities =
    ((hello.capabilities & greeting.capabilities & ~NEVER) |
      (ALWAYS & greeting.capabilities) |
      Capability.PROTOCOL_41) >>>
    0;
  if (target.database) capabilities |= Capability.CONNECT_WITH_DB;
  else capabilities &= ~Capability.CONNECT_WITH_DB;
  capabilities >>>= 0;
  let sequenceId = first.sequenceId + 1;
  const base = {
    capabilities,
    maxPacketSize: Math.min(hello.maxPacketSize || options.maxPacketBytes, options.maxPacketBytes),
    characterSet: UTF8MB4_GENERAL_CI,
    mariadbCapabilities: 0,
  };
  let secure = false;
  if (target.tls) {
    if (!(greeting.capabilities & Capability.SSL)) {
      throw new MysqlSessionError(
        2026,
        'HY000',
        'hoop: the connection requires TLS and the target does not offer it',
      );
    }
    raw.write(
      buildHandshakeResponse(
        {
          ...base,
          capabilities: (capabilities | Capability.SSL) >>> 0,
          ssl: true,
          user: '',
          authResponse: Buffer.alloc(0),
          attributes: new Map(),
        },
        sequenceId++,
      ),
    );
    packets.detach();
    socket = await startTls(raw, target.host);
    packets.replaceStream(socket);
    capabilities = (capabilities | Capability.SSL) >>> 0;
    base.capabilities = capabilities;
    secure = true;
  }
  const password = credentials.password ?? '';
  let plugin = greeting.authPlugin;
  let scramble = greeting.authData;
  const answer = (name: string, data: Buffer): Buffer => {
    switch (name) {
      case 'mysql_native_password':
        return nativePassword(password, data);
      case 'caching_sha2_password':
        return cachingSha2Password(password, data);
      case 'client_ed25519':
        return ed25519Password(password, data);
      case 'sha256_password':
        // The full exchange follows: an empty password is one 0 byte, TLS sends it in clear, else ask for the key.
        return password === '' ? Buffer.of(0) : secure ? cleartextPassword(password) : Buffer.of(1);
      case 'mysql_clear_password':
        if (!secure) {
          throw new MysqlSessionError(
            1251,
            '08004',
            'hoop: the target asks for the password in clear text without TLS; the gateway refuses (set tls: true on the connection)',
          );
        }
        return cleartextPassword(password);
      default:
        throw new MysqlSessionError(
          1251,
          '08004',
          `hoop: the target asks for the authentication method ${name}, which the gateway does not support`,
        );
    }
  };
  socket.write(
    buildHandshakeResponse(
      {
        ...base,
        ssl: false,
        user: target.user ?? '',
        authResponse: answer(plugin, scramble),
        ...(target.database ? { database: target.database } : {}),
        authPlugin: plugin,
        attributes: capabilities & Capability.CONNECT_ATTRS ? hello.attributes : new Map(),
      },
      sequenceId++,
    ),
  );
  for (;;) {
    const packet: Packet = await packets.next();
    sequenceId = packet.sequenceId + 1;
    const payload = packet.payload;
    switch (payload[0]) {
      case Reply.OK:
        return { socket, packets, greeting, capabilities, ok: parseOk(payload, capabilities) };
      case Reply.ERR:
        throw targetRefused(parseErr(payload).message);
      case Reply.EOF: {
        const change = parseAuthSwitchRequest(payload);
        plugin = change.authPlugin;
        scramble = change.authData;
        socket.write(buildRawPacket(answer(plugin, scramble), sequenceId));
        break;
      }
      case Reply.AUTH_MORE_DATA: {
        const data = payload.subarray(1);
        if (plugin === 'caching_sha2_password' && data.length === 1 && data[0] === 3) break; // fast auth succeeded
        if (plugin === 'caching_sha2_password' && data.length === 1 && data[0] === 4) {
          // Full authentication: the password over TLS, or ask for the server's RSA key.
          socket.write(
            buildRawPacket(secure ? cleartextPassword(password) : Buffer.of(2), sequenceId),
          );
          break;
        }
        if (data.toString('latin1').includes('-----BEGIN PUBLIC KEY-----')) {
          socket.write(
            buildRawPacket(
              rsaEncryptedPassword(password, scramble, data.toString('latin1')),
              sequenceId,
            ),
          );
          break;
        }
        throw new MysqlSessionError(
          1251,
          '08004',
          `hoop: unexpected authentication data from the target for ${plugin}`,
        );
      }
      default:
        throw new MysqlSessionError(
          1251,
          '08004',
          'hoop: unexpected packet from the target during authentication',
        );
    }
  }
}

function targetRefused(message: string): MysqlSessionError {
  return new MysqlSessionError(
    1045,
    '28000',
    `hoop: the target refused the gateway's login: ${message}`,
  );
}

async function startTls(socket: net.Socket, host: string): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const secure = tls.connect({ socket, servername: net.isIP(host) ? undefined : host }, () =>
      resolve(secure),
    );
    secure.once('error', (error) =>
      reject(
        new MysqlSessionError(2026, 'HY000', `hoop: TLS to the target failed: ${error.message}`),
      ),
    );
  });
}
