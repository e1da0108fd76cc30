import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type {
  HandlerContext,
  ProtocolHandler,
  ProtocolSession,
  SessionOutcome,
} from '../handler.js';
import { connectTarget, offeredCapabilities, type ClientHello, type MysqlTarget } from './login.js';
import { PacketSource, PeerClosedError } from './packet-source.js';
import { MysqlRelay } from './relay.js';
import { MysqlSessionError } from './session-error.js';
import {
  Capability,
  MysqlProtocolError,
  UTF8MB4_GENERAL_CI,
  buildErr,
  buildHandshakeV10,
  buildOk,
  buildQuery,
  parseErr,
  parseHandshakeResponse,
  parseTextRow,
  Reader,
  Reply,
  type HandshakeV10,
} from './protocol/index.js';
import { lexFlags } from './sql/classify.js';
import type { LexSettings } from './sql/lexer.js';

export interface MysqlOptions {
  /** The largest packet accepted from a client or the target (the gateway's max_allowed_packet). Default: the context's. */
  maxPacketBytes?: number;
}

/**
 * `type: mysql` (MySQL and MariaDB): the gateway answers the client's
 * handshake itself (any user name, no password: the tunnel is already
 * authenticated), logs in to the target through the connector with the
 * connection's credentials and the capabilities the client chose, pins the
 * session to utf8mb4, and relays command by command so every COM_QUERY and
 * COM_STMT_PREPARE is decided by the session's enforcer first (see
 * {@link MysqlRelay}).
 */
export function mysqlProtocol(options: MysqlOptions = {}) {
  return (context: HandlerContext): ProtocolHandler => ({
    type: 'mysql',
    serve: (session, client) => serve(context, options, session, client),
  });
}

async function serve(
  context: HandlerContext,
  options: MysqlOptions,
  session: ProtocolSession,
  client: Duplex,
): Promise<SessionOutcome> {
  const maxPacketBytes =
    options.maxPacketBytes ?? context.mysqlMaxPacketBytes ?? context.maxMessageBytes;
  const { target: info } = session;
  const clientPackets = new PacketSource(client, { name: 'the client', maxPacketBytes });
  let target: MysqlTarget | undefined;
  let sequenceId = 0;
  const counts = () => ({ bytesUp: clientPackets.bytes, bytesDown: relayed?.bytesDown ?? 0 });
  let relayed: MysqlRelay | undefined;
  const onAbort = () => {
    target?.socket.destroy();
    const reason = session.signal.reason as { message?: string } | undefined;
    if (client.writable) {
      client.end(
        buildErr(
          {
            errno: 1927,
            sqlState: '70100',
            message: reason?.message ?? 'hoop: the gateway ended the session',
          },
          0,
        ),
      );
    }
  };
  session.signal.addEventListener('abort', onAbort, { once: true });
  try {
    let greeted!: (greeting: HandshakeV10) => void;
    const greeting = new Promise<HandshakeV10>((resolve) => (greeted = resolve));
    let answer!: (hello: ClientHello) => void;
    let refuse!: (error: Error) => void;
    const hello = new Promise<ClientHello>((resolve, reject) => {
      answer = resolve;
      refuse = reject;
    });
    hello.catch(() => undefined);
    const login = connectTarget(context.connector, {
      target: info,
      maxPacketBytes,
      hello: (g) => {
        greeted(g);
        return hello;
      },
    });
    login.catch(() => undefined);
    const serverGreeting = await Promise.race([greeting, login.then(() => greeting)]);
    const offered =
      (offeredCapabilities(serverGreeting.capabilities) |
        Capability.PROTOCOL_41 |
        Capability.SECURE_CONNECTION |
        Capability.PLUGIN_AUTH) >>>
      0;
    client.write(
      buildHandshakeV10({
        ...serverGreeting,
        authData: scramble(),
        capabilities: offered,
        characterSet: UTF8MB4_GENERAL_CI,
        mariadbCapabilities: 0,
        authPlugin: 'mysql_native_password',
      }),
    );
    const response = await clientPackets.next();
    sequenceId = response.sequenceId + 1;
    if (response.sequenceId !== 1) {
      throw new MysqlProtocolError(
        'MYSQL_BAD_SEQUENCE',
        `a handshake response with sequence id ${response.sequenceId}, not 1`,
      );
    }
    let handshake;
    try {
      handshake = parseHandshakeResponse(response.payload);
    } catch (error) {
      if (!(error instanceof MysqlProtocolError)) throw error;
      throw new MysqlSessionError(1043, '08S01', `hoop: bad handshake: ${error.message}`);
    }
    if (handshake.ssl) {
      throw new MysqlSessionError(
        1043,
        '08S01',
        'hoop: TLS was not offered: the tunnel to the gateway is already encrypted',
      );
    }
    const pinned = info.database;
    if (pinned && handshake.database && handshake.database.toLowerCase() !== pinned.toLowerCase()) {
      throw new MysqlSessionError(
        1044,
        '42000',
        `hoop: this connection is pinned to the database ${pinned}`,
      );
    }
    const capabilities = (handshake.capabilities & offered) >>> 0;
    answer({
      capabilities,
      maxPacketSize: handshake.maxPacketSize,
      attributes: handshake.attributes,
    });
    try {
      target = await login;
    } catch (error) {
      refuse(error as Error);
      throw error;
    }
    const lexing = await readLexing(target, serverGreeting);
    if (session.enforcer.active && lexing.refusal) {
      throw new MysqlSessionError(
        1045,
        '28000',
        `hoop: ${lexing.refusal}; an administrator should reset it`,
      );
    }
    client.write(buildOk({ status: target.ok.status }, sequenceId, target.capabilities));
    relayed = new MysqlRelay({
      session,
      client,
      clientPackets,
      target: target.socket,
      targetPackets: target.packets,
      capabilities: target.capabilities,
      lexing: lexing.settings,
      database: pinned,
      limits: {
        ...(context.sql.limits.maxLength === undefined
          ? {}
          : { maxLength: context.sql.limits.maxLength }),
        ...(context.sql.limits.maxStatements === undefined
          ? {}
          : { maxStatements: context.sql.limits.maxStatements }),
      },
    });
    const outcome = await relayed.run();
    return { ...counts(), ...outcome };
  } catch (error) {
    target?.socket.destroy();
    if (error instanceof PeerClosedError) {
      client.destroy();
      return { ...counts(), reason: 'client_closed', detail: error.message };
    }
    const failure =
      error instanceof MysqlSessionError
        ? error
        : error instanceof MysqlProtocolError
          ? new MysqlSessionError(error.errno, error.sqlState, `hoop: ${error.message}`)
          : undefined;
    if (!failure) throw error;
    if (client.writable) {
      client.end(
        buildErr(
          { errno: failure.errno, sqlState: failure.sqlState, message: failure.message },
          sequenceId,
        ),
      );
    }
    session.log.info({ event: 'mysql_session_refused', errno: failure.errno }, failure.message);
    return { ...counts(), reason: 'protocol_error', detail: failure.message };
  } finally {
    session.signal.removeEventListener('abort', onAbort);
  }
}

/** A scramble of 20 printable bytes, as servers send (some clients stop at a NUL). */
function scramble(): Buffer {
  const bytes = randomBytes(20);
  for (let i = 0; i < bytes.length; i++) bytes[i] = 0x21 + (bytes[i]! % 94);
  return bytes;
}

/** MYSQL_VERSION_ID of a server version string: MariaDB's `5.5.5-10.11.19-MariaDB` is 101119, MySQL's `8.0.36` 80036. */
export function versionId(serverVersion: string): { id: number; mariadb: boolean } {
  const mariadb = /mariadb/i.test(serverVersion);
  const match = (mariadb ? serverVersion.replace(/^5\.5\.5-/, '') : serverVersion).match(
    /^(\d+)\.(\d+)\.(\d+)/,
  );
  if (!match) return { id: 0, mariadb };
  return { id: Number(match[1]) * 10000 + Number(match[2]) * 100 + Number(match[3]), mariadb };
}

/**
 * How the target session lexes SQL as it starts (its sql_mode and character
 * set, which a server's or account's defaults may set): read once with a
 * query of the gateway's own, before the client may send anything.
 */
async function readLexing(
  target: MysqlTarget,
  greeting: HandshakeV10,
): Promise<{ settings: LexSettings; refusal?: string }> {
  target.socket.write(
    buildQuery(
      'SELECT @@session.sql_mode, @@session.character_set_client, @@session.character_set_connection',
    ),
  );
  const values = await singleRow(target, 3);
  const [sqlMode = '', client = '', connection = ''] = values;
  const version = versionId(greeting.serverVersion);
  const settings: LexSettings = {
    ...lexFlags(sqlMode),
    versionId: version.id,
    mariadb: version.mariadb,
  };
  const refusal = [client, connection].some((charset) => !/^utf8mb4/i.test(charset))
    ? `the target session's character set is ${client}/${connection}, not utf8mb4`
    : undefined;
  return { settings, ...(refusal ? { refusal } : {}) };
}

/** The one row of a gateway query's result, as strings. */
async function singleRow(target: MysqlTarget, columns: number): Promise<string[]> {
  const first = await target.packets.next();
  if (first.payload[0] === Reply.ERR) {
    throw new MysqlSessionError(
      1045,
      '28000',
      `hoop: the target refused the gateway's query: ${parseErr(first.payload).message}`,
    );
  }
  const count = new Reader(first.payload).lenenc();
  const eof = target.capabilities & Capability.DEPRECATE_EOF ? 0 : 1;
  for (let i = 0; i < count + eof; i++) await target.packets.next();
  const row = await target.packets.next();
  const values = parseTextRow(row.payload, columns).map((cell) => cell?.toString('utf8') ?? '');
  await target.packets.next(); // EOF or OK
  return values;
}
