import { dial, WebSocketStream } from '../../src/tunnel/index.js';
import {
  BackendCode,
  Framer,
  buildStartupMessage,
  buildTerminate,
  parseBackend,
  type BackendMessage,
  type Frame,
} from '../../src/server/protocols/postgres/protocol/index.js';

/** One backend message as the client received it. */
export interface Received {
  code: number;
  message: BackendMessage;
  /** The whole message's bytes. */
  bytes: Buffer;
}

/**
 * A PostgreSQL client that speaks the wire protocol message by message
 * through a gateway tunnel, for sequences drivers never send (out-of-order
 * extended-protocol messages, messages after an error before Sync): it
 * sends exactly the bytes it is given and hands back every message, in
 * order.
 */
export class PgWire {
  private readonly framer = new Framer({ maxMessageBytes: 256 * 1024 * 1024 });
  private readonly received: Received[] = [];
  private waiter: (() => void) | undefined;
  private closed = false;

  private constructor(private readonly stream: WebSocketStream) {
    stream.on('data', (chunk: Buffer) => {
      for (const frame of this.framer.push(chunk)) this.received.push(received(frame));
      this.waiter?.();
    });
    const end = (): void => {
      this.closed = true;
      this.waiter?.();
    };
    stream.on('end', end);
    stream.on('close', end);
    stream.on('error', end);
  }

  /** Opens a tunnel to `connection` with an API key and logs in; resolves at the first ReadyForQuery. */
  static async open(gatewayUrl: string, key: string, connection: string): Promise<PgWire> {
    const ws = await dial({
      url: `${gatewayUrl.replace(/^http/, 'ws')}/api/tunnel/${connection}`,
      token: key,
    });
    const wire = new PgWire(new WebSocketStream(ws, { vanished: 'gateway_vanished' }));
    ws.resume();
    wire.send(buildStartupMessage({ user: 'whoever' }));
    await wire.untilReady();
    return wire;
  }

  send(...messages: Buffer[]): void {
    this.stream.write(Buffer.concat(messages));
  }

  /**
   * The messages received until `count` more ReadyForQuery have arrived
   * (each Query, Sync and FunctionCall gets one), ReadyForQuery included.
   */
  untilReady(count = 1, timeoutMs = 10_000): Promise<Received[]> {
    return this.until((message) => message.code === BackendCode.ReadyForQuery, count, timeoutMs);
  }

  /** The messages received until `count` more of them pass `test`, those included. */
  async until(
    test: (message: Received) => boolean,
    count = 1,
    timeoutMs = 10_000,
  ): Promise<Received[]> {
    const deadline = Date.now() + timeoutMs;
    const taken: Received[] = [];
    let ready = 0;
    for (;;) {
      while (this.received.length > 0 && ready < count) {
        const next = this.received.shift()!;
        taken.push(next);
        if (test(next)) ready++;
      }
      if (ready >= count) return taken;
      if (this.closed) throw new Error(`the connection closed after ${describe(taken)}`);
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`no awaited message within ${timeoutMs} ms after ${describe(taken)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          this.waiter = undefined;
          resolve();
        };
      });
    }
  }

  close(): void {
    if (!this.closed) this.stream.end(buildTerminate());
  }
}

function received(frame: Frame): Received {
  const bytes = Buffer.from(frame.buffer.subarray(frame.start, frame.end));
  return {
    code: frame.code,
    message: parseBackend({
      ...frame,
      buffer: bytes,
      start: 0,
      bodyStart: frame.bodyStart - frame.start,
      end: bytes.length,
    }),
    bytes,
  };
}

function describe(messages: Received[]): string {
  return messages.map((m) => m.message.type).join(', ') || 'nothing';
}

/** The text values of the DataRows among `messages`, NULL as null. */
export function rowsOf(messages: Received[]): (string | null)[][] {
  return messages.flatMap((m) =>
    m.message.type === 'dataRow'
      ? [m.message.values.map((value) => (value === null ? null : value.toString('utf8')))]
      : [],
  );
}

/** The SQLSTATEs of the ErrorResponses among `messages`. */
export function errorsOf(messages: Received[]): string[] {
  return messages.flatMap((m) =>
    m.message.type === 'errorResponse' ? [m.message.fields.code ?? '?'] : [],
  );
}
