import { Capability } from './codes.js';
import { MysqlProtocolError } from './errors.js';
import { Reader } from './reader.js';
import { Writer } from './writer.js';

/**
 * The server's greeting, Protocol::HandshakeV10
 * (https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase_packets_protocol_handshake_v10.html):
 *
 *     int<1> 10, string<NUL> server version, int<4> thread id,
 *     string[8] auth-plugin-data part 1, int<1> 0, int<2> capabilities (low),
 *     int<1> character set, int<2> status, int<2> capabilities (high),
 *     int<1> auth-plugin-data length, string[6] reserved,
 *     int<4> MariaDB extended capabilities (reserved on MySQL),
 *     string[max(13, length - 8)] auth-plugin-data part 2, string<NUL> plugin name
 */
export interface HandshakeV10 {
  serverVersion: string;
  connectionId: number;
  /** The whole scramble (both parts, without the trailing NUL of part 2). */
  authData: Buffer;
  capabilities: number;
  characterSet: number;
  status: number;
  /** MariaDB's extended capabilities (when the server clears LONG_PASSWORD, i.e. is MariaDB); 0 otherwise. */
  mariadbCapabilities: number;
  authPlugin: string;
}

export function parseHandshakeV10(payload: Buffer): HandshakeV10 {
  const r = new Reader(payload);
  const version = r.int1('protocol version');
  if (version !== 10) {
    throw new MysqlProtocolError('MYSQL_UNSUPPORTED', `handshake protocol version ${version}`);
  }
  const serverVersion = r.cstring('server version');
  const connectionId = r.int4('connection id');
  const part1 = r.bytes(8, 'auth-plugin-data part 1');
  r.skip(1);
  let capabilities = r.int2('capabilities');
  const characterSet = r.int1('character set');
  const status = r.int2('status flags');
  capabilities = (capabilities | (r.int2('capabilities (high)') << 16)) >>> 0;
  const authLength = r.int1('auth-plugin-data length');
  r.skip(6, 'reserved');
  const extended = r.int4('extended capabilities');
  const mariadbCapabilities = capabilities & Capability.LONG_PASSWORD ? 0 : extended;
  let part2: Buffer = Buffer.alloc(0);
  if (capabilities & Capability.SECURE_CONNECTION) {
    part2 = r.bytes(Math.max(13, authLength - 8), 'auth-plugin-data part 2');
    // Part 2 ends with a NUL that is not part of the scramble.
    if (part2.length > 0 && part2[part2.length - 1] === 0) part2 = part2.subarray(0, -1);
  }
  let authPlugin = 'mysql_native_password';
  if (capabilities & Capability.PLUGIN_AUTH && r.remaining > 0) {
    // Some servers leave out the plugin name's NUL at the end of the packet.
    const rest = r.rest();
    const nul = rest.indexOf(0);
    authPlugin = rest.toString('utf8', 0, nul === -1 ? rest.length : nul);
  }
  return {
    serverVersion,
    connectionId,
    authData: Buffer.concat([part1, part2]),
    capabilities,
    characterSet,
    status,
    mariadbCapabilities,
    authPlugin,
  };
}

export function buildHandshakeV10(h: HandshakeV10): Buffer {
  if (h.authData.length < 8) throw new RangeError('a scramble has at least 8 bytes');
  const w = new Writer();
  w.start(0)
    .int1(10)
    .cstring(h.serverVersion)
    .int4(h.connectionId)
    .bytes(h.authData.subarray(0, 8))
    .int1(0)
    .int2(h.capabilities & 0xffff)
    .int1(h.characterSet)
    .int2(h.status)
    .int2(h.capabilities >>> 16)
    .int1(h.capabilities & Capability.PLUGIN_AUTH ? h.authData.length + 1 : 0)
    .zeros(6)
    .int4(h.mariadbCapabilities);
  if (h.capabilities & Capability.SECURE_CONNECTION) {
    const part2 = h.authData.subarray(8);
    w.bytes(part2).zeros(Math.max(13 - part2.length, 1));
  }
  if (h.capabilities & Capability.PLUGIN_AUTH) w.cstring(h.authPlugin);
  w.end();
  return w.flush();
}

/**
 * The client's answer, Protocol::HandshakeResponse41
 * (https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase_packets_protocol_handshake_response.html),
 * or its first 32 bytes alone, the SSLRequest, when `ssl` is set:
 *
 *     int<4> capabilities, int<4> max packet size, int<1> character set,
 *     string[19] filler, int<4> MariaDB extended capabilities (filler on MySQL),
 *     string<NUL> user, auth response (lenenc, int<1>-counted or NUL-ended),
 *     string<NUL> database (CONNECT_WITH_DB), string<NUL> plugin (PLUGIN_AUTH),
 *     int<lenenc> attributes length then lenenc key/value pairs (CONNECT_ATTRS)
 */
export interface HandshakeResponse {
  capabilities: number;
  maxPacketSize: number;
  characterSet: number;
  mariadbCapabilities: number;
  /** Only the SSLRequest prefix: the client asks for TLS before saying more. */
  ssl: boolean;
  user: string;
  authResponse: Buffer;
  database?: string;
  authPlugin?: string;
  attributes: Map<string, string>;
}

export function parseHandshakeResponse(payload: Buffer): HandshakeResponse {
  const r = new Reader(payload);
  const capabilities = r.int4('capabilities');
  if (!(capabilities & Capability.PROTOCOL_41)) {
    throw new MysqlProtocolError(
      'MYSQL_UNSUPPORTED',
      'the client does not speak protocol 4.1 (HandshakeResponse320 is not supported)',
    );
  }
  const maxPacketSize = r.int4('max packet size');
  const characterSet = r.int1('character set');
  r.skip(19, 'filler');
  const mariadbCapabilities = r.int4('extended capabilities');
  const response: HandshakeResponse = {
    capabilities,
    maxPacketSize,
    characterSet,
    mariadbCapabilities,
    ssl: false,
    user: '',
    authResponse: Buffer.alloc(0),
    attributes: new Map(),
  };
  if (r.remaining === 0 && capabilities & Capability.SSL) return { ...response, ssl: true };
  response.user = r.cstring('user name');
  if (capabilities & Capability.PLUGIN_AUTH_LENENC_CLIENT_DATA) {
    response.authResponse = r.lenencBytes('auth response');
  } else if (capabilities & Capability.SECURE_CONNECTION) {
    response.authResponse = r.bytes(r.int1('auth response length'), 'auth response');
  } else {
    response.authResponse = r.cbytes('auth response');
  }
  if (capabilities & Capability.CONNECT_WITH_DB && r.remaining > 0) {
    response.database = r.cstring('database');
  }
  if (capabilities & Capability.PLUGIN_AUTH && r.remaining > 0) {
    response.authPlugin = r.cstring('auth plugin');
  }
  if (capabilities & Capability.CONNECT_ATTRS && r.remaining > 0) {
    const attributes = new Reader(r.lenencBytes('connection attributes'));
    while (attributes.remaining > 0) {
      const key = attributes.lenencString('attribute name');
      response.attributes.set(key, attributes.lenencString('attribute value'));
    }
  }
  return response;
}

export function buildHandshakeResponse(h: HandshakeResponse, sequenceId = 1): Buffer {
  const w = new Writer();
  w.start(sequenceId)
    .int4(h.capabilities)
    .int4(h.maxPacketSize)
    .int1(h.characterSet)
    .zeros(19)
    .int4(h.mariadbCapabilities);
  if (!h.ssl) {
    w.cstring(h.user);
    if (h.capabilities & Capability.PLUGIN_AUTH_LENENC_CLIENT_DATA) {
      w.lenencBytes(h.authResponse);
    } else if (h.capabilities & Capability.SECURE_CONNECTION) {
      if (h.authResponse.length > 255) throw new RangeError('auth response over 255 bytes');
      w.int1(h.authResponse.length).bytes(h.authResponse);
    } else {
      w.bytes(h.authResponse).int1(0);
    }
    if (h.capabilities & Capability.CONNECT_WITH_DB) w.cstring(h.database ?? '');
    if (h.capabilities & Capability.PLUGIN_AUTH) w.cstring(h.authPlugin ?? '');
    if (h.capabilities & Capability.CONNECT_ATTRS) {
      const attributes = new Writer();
      attributes.start(0);
      for (const [key, value] of h.attributes) attributes.lenencString(key).lenencString(value);
      attributes.end();
      w.lenencBytes(attributes.flush().subarray(4));
    }
  }
  w.end();
  return w.flush();
}

/**
 * Protocol::AuthSwitchRequest: 0xfe, string<NUL> plugin name, string<EOF>
 * plugin data (a new scramble, usually NUL-terminated).
 */
export interface AuthSwitchRequest {
  authPlugin: string;
  authData: Buffer;
}

export function parseAuthSwitchRequest(payload: Buffer): AuthSwitchRequest {
  const r = new Reader(payload);
  if (r.int1('header') !== 0xfe) {
    throw new MysqlProtocolError('MYSQL_BAD_VALUE', 'not an AuthSwitchRequest');
  }
  const authPlugin = r.cstring('plugin name');
  let authData = r.rest();
  if (authData.length > 0 && authData[authData.length - 1] === 0) {
    authData = authData.subarray(0, -1);
  }
  return { authPlugin, authData };
}

/** A packet of raw bytes (an auth response to a switch or to AuthMoreData). */
export function buildRawPacket(payload: Uint8Array, sequenceId: number): Buffer {
  const w = new Writer();
  w.start(sequenceId).bytes(payload).end();
  return w.flush();
}
