import net from 'node:net';
import {
  AuthCode,
  BackendCode,
  FrontendCode,
  Framer,
  ScramClient,
  SCRAM_SHA_256,
  Writer,
  buildQuery,
  buildSASLInitialResponse,
  buildSASLResponse,
  buildStartupMessage,
  buildSync,
  buildTerminate,
  parseBackend,
  type BackendMessage,
} from '../../../src/server/protocols/postgres/protocol/index.js';

/**
 * Frontend messages the project's codec has no builder for (a gateway never
 * sends them), for sequences `pg` will not send: Parse/Bind/Execute in odd
 * orders, Describe and Close of any name, Flush, the fastpath FunctionCall.
 * https://www.postgresql.org/docs/current/protocol-message-formats.html
 */
export const wire = {
  /** Byte1('Q') String query: from bytes, so a test can send any encoding. */
  query(sql: string | Buffer): Buffer {
    if (typeof sql === 'string') return buildQuery(sql);
    return new Writer().startMessage(FrontendCode.Query).bytes(sql).byte(0).endMessage().flush();
  },
  /** Byte1('P') String name, String query, Int16 n, Int32[n] parameter types. */
  parse(name: string, sql: string | Buffer, types: readonly number[] = []): Buffer {
    const w = new Writer().startMessage(FrontendCode.Parse).cstring(name);
    if (typeof sql === 'string') w.cstring(sql);
    else w.bytes(sql).byte(0);
    w.int16(types.length);
    for (const oid of types) w.int32(oid);
    return w.endMessage().flush();
  },
  /**
   * Byte1('B') String portal, String statement, Int16 n formats, Int16 n
   * values (Int32 length, bytes), Int16 n result formats.
   */
  bind(
    portal: string,
    statement: string,
    values: readonly (string | null)[] = [],
    resultFormats: readonly number[] = [],
  ): Buffer {
    const w = new Writer().startMessage(FrontendCode.Bind).cstring(portal).cstring(statement);
    w.int16(0);
    w.int16(values.length);
    for (const value of values) w.nullableBytes(value === null ? null : Buffer.from(value));
    w.int16(resultFormats.length);
    for (const format of resultFormats) w.int16(format);
    return w.endMessage().flush();
  },
  /** Byte1('E') String portal, Int32 max rows (0: all). */
  execute(portal = '', maxRows = 0): Buffer {
    return new Writer()
      .startMessage(FrontendCode.Execute)
      .cstring(portal)
      .int32(maxRows)
      .endMessage()
      .flush();
  },
  /** Byte1('D') Byte1('S' statement | 'P' portal) String name. */
  describe(kind: 'S' | 'P', name = ''): Buffer {
    return new Writer()
      .startMessage(FrontendCode.Describe)
      .byte(kind.charCodeAt(0))
      .cstring(name)
      .endMessage()
      .flush();
  },
  /** Byte1('C') Byte1('S' | 'P') String name. */
  close(kind: 'S' | 'P', name = ''): Buffer {
    return new Writer()
      .startMessage(FrontendCode.Close)
      .byte(kind.charCodeAt(0))
      .cstring(name)
      .endMessage()
      .flush();
  },
  flush(): Buffer {
    return new Writer().startMessage(FrontendCode.Flush).endMessage().flush();
  },
  sync(): Buffer {
    return buildSync();
  },
  /**
   * Byte1('F') Int32 function OID, Int16 n argument formats, Int16 n
   * arguments (Int32 length, bytes), Int16 result format.
   */
  functionCall(oid: number, args: readonly (string | null)[], resultFormat = 0): Buffer {
    const w = new Writer().startMessage(FrontendCode.FunctionCall).uint32(oid);
    w.int16(0);
    w.int16(args.length);
    for (const arg of args) w.nullableBytes(arg === null ? null : Buffer.from(arg));
    w.int16(resultFormat);
    return w.endMessage().flush();
  },
};

/** A backend message as received, with its type byte. */
export type Received = BackendMessage;

export interface WireError {
  code: string | undefined;
  message: string | undefined;
  severity: string | undefined;
}

/**
 * A minimal PostgreSQL client speaking protocol 3.0 byte by byte: it sends
 * exactly what it is given and keeps every message it receives, so tests can
 * send sequences no driver would and see everything that came back.
 */
export class WireClient {
  readonly messages: Received[] = [];
  /** ParameterStatus values as last reported. */
  readonly parameters = new Map<string, string>();
  closed = false;
  private readonly framer = new Framer();
  private waiters = new Set<() => void>();
  private constructor(
    readonly socket: net.Socket,
    private readonly onNotice: (message: Received) => void,
  ) {
    socket.on('data', (chunk: Buffer) => {
      for (const frame of this.framer.push(chunk)) {
        const message = parseBackend(frame);
        this.messages.push(message);
        if (message.type === 'parameterStatus') this.parameters.set(message.name, message.value);
        if (message.type === 'noticeResponse') this.onNotice(message);
      }
      this.notify();
    });
    socket.on('close', () => {
      this.closed = true;
      this.notify();
    });
    socket.on('error', () => {
      this.closed = true;
      this.notify();
    });
  }

  /**
   * Connects and logs in. Through the gateway no password is asked; directly
   * (calibration) the target asks SCRAM-SHA-256, answered with `password`.
   */
  static async connect(options: {
    port: number;
    user: string;
    database: string;
    password?: string;
    parameters?: Record<string, string>;
    onNotice?: (message: Received) => void;
    timeoutMs?: number;
  }): Promise<WireClient> {
    const socket = net.connect({ host: '127.0.0.1', port: options.port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const client = new WireClient(socket, options.onNotice ?? (() => {}));
    socket.write(
      buildStartupMessage({
        user: options.user,
        database: options.database,
        ...options.parameters,
      }),
    );
    let scram: ScramClient | undefined;
    let seen = 0;
    const deadline = Date.now() + (options.timeoutMs ?? 15_000);
    for (;;) {
      await client.waitFor(() => client.messages.length > seen || client.closed, deadline);
      if (client.messages.length === seen && client.closed) {
        throw new Error('the server closed the connection during start-up');
      }
      const message = client.messages[seen++]!;
      if (message.type === 'errorResponse') {
        throw new Error(`start-up refused: ${message.fields.code} ${message.fields.message}`);
      }
      if (message.type === 'authenticationSASL') {
        if (!message.mechanisms.includes(SCRAM_SHA_256) || options.password === undefined) {
          throw new Error('the server asks for a password this client was not given');
        }
        scram = new ScramClient({ password: options.password });
        socket.write(buildSASLInitialResponse(SCRAM_SHA_256, scram.clientFirstMessage()));
      } else if (message.type === 'authenticationSASLContinue') {
        socket.write(buildSASLResponse(scram!.clientFinalMessage(message.data)));
      } else if (message.type === 'authenticationOther' && message.method !== AuthCode.Ok) {
        throw new Error(`unsupported authentication method ${message.method}`);
      } else if (message.type === 'readyForQuery') {
        client.messages.length = 0;
        return client;
      }
    }
  }

  send(...messages: Buffer[]): void {
    this.socket.write(Buffer.concat(messages));
  }

  /**
   * Waits for `count` ReadyForQuery messages after index `from` (or the
   * connection to close, or `timeoutMs`), and returns the messages since `from`.
   */
  async readyAfter(from: number, count = 1, timeoutMs = 15_000): Promise<Received[]> {
    const deadline = Date.now() + timeoutMs;
    const ready = (): number =>
      this.messages.slice(from).filter((m) => m.type === 'readyForQuery').length;
    await this.waitFor(() => ready() >= count || this.closed, deadline).catch(() => {});
    return this.messages.slice(from);
  }

  /** Sends `messages` and waits for `syncs` ReadyForQuery in answer; the messages received meanwhile. */
  async exchange(messages: Buffer[], syncs = 1, timeoutMs = 15_000): Promise<Received[]> {
    const from = this.messages.length;
    this.send(...messages);
    return this.readyAfter(from, syncs, timeoutMs);
  }

  /** A simple Query (text or raw bytes in the session's client encoding). */
  query(sql: string | Buffer, timeoutMs?: number): Promise<Received[]> {
    return this.exchange([wire.query(sql)], 1, timeoutMs);
  }

  /** Waits until `predicate` holds, or `timeoutMs`; true when it held. */
  async until(predicate: () => boolean, timeoutMs = 2_000): Promise<boolean> {
    return this.waitFor(predicate, Date.now() + timeoutMs).then(
      () => true,
      () => false,
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.socket.end(buildTerminate());
    await this.until(() => this.closed, 2_000);
    this.socket.destroy();
  }

  private notify(): void {
    for (const waiter of this.waiters) waiter();
  }

  private waitFor(predicate: () => boolean, deadline: number): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => {
          this.waiters.delete(check);
          reject(new Error('timed out'));
        },
        Math.max(0, deadline - Date.now()),
      );
      const check = (): void => {
        if (!predicate()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
    });
  }
}

/** The ErrorResponses among `messages`. */
export function errorsIn(messages: readonly Received[]): WireError[] {
  return messages.flatMap((m) =>
    m.type === 'errorResponse'
      ? [{ code: m.fields.code, message: m.fields.message, severity: m.fields.severity }]
      : [],
  );
}

/** The text of every DataRow among `messages`, row by row (binary cells as hex). */
export function rowsIn(messages: readonly Received[]): (string | null)[][] {
  return messages.flatMap((m) =>
    m.type === 'dataRow' ? [m.values.map((v) => (v === null ? null : v.toString('utf8')))] : [],
  );
}

export { BackendCode };
