import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';

import { generateApiKey, hashApiKey } from '../../src/lib/api-key.js';
import { spawnHoop, type RunningHoop } from '../helpers/cli.js';
import { startEchoServer, startTcpServer, type TestServer } from '../helpers/echo-server.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { freePort } from '../helpers/ports.js';
import {
  Digest,
  collect,
  connectTcp,
  endedSessions,
  eventually,
  exchange,
  startConnect,
  type RunningConnect,
} from '../helpers/tunnel.js';
import { openStore, type SessionRecord } from '../../src/server/store/index.js';
import { dial } from '../../src/tunnel/index.js';

const MiB = 1024 * 1024;
const MAX_FRAME_BYTES = 65_536;
/**
 * What the firehose target sends. Far more than every buffer on the path
 * holds, kernel ones included (Linux grows a socket's receive buffer up to
 * net.ipv4.tcp_rmem's maximum, 32 MiB here), so a path without backpressure
 * would take it all.
 */
const FIREHOSE_BYTES = 128 * MiB;
const FIREHOSE_CHUNK = MiB / 4;

/**
 * How tunnels fail: probes, refusals, resets, vanished clients, hostile
 * frames and slow readers. Each failure ends its own tunnel with a recorded
 * reason; the listener and the gateway keep serving everyone else.
 */
describe('tcp tunnel failures', { timeout: 180_000 }, () => {
  let gw: TestGateway;
  let echo: TestServer;
  let resetter: TestServer;
  let firehose: TestServer;
  let sink: TestServer;
  let refusedPort: number;
  /** Bytes each firehose connection managed to hand to its socket. */
  const firehoseAccepted: number[] = [];
  /** Bytes the sink target has taken in, while it reads. */
  let sinkReceived = 0;
  const sinkSockets: net.Socket[] = [];
  const running: RunningConnect[] = [];

  const connect = async (name: string): Promise<RunningConnect> => {
    const hoop = await startConnect(gw, name);
    running.push(hoop);
    return hoop;
  };

  before(async () => {
    echo = await startEchoServer();
    // Answers the first bytes, then resets the connection (RST, not FIN).
    resetter = await startTcpServer((socket) => {
      socket.once('data', () => {
        socket.write('partial answer');
        setTimeout(() => socket.resetAndDestroy(), 100);
      });
    });
    // Writes a known pattern as fast as the path takes it, then ends.
    firehose = await startTcpServer((socket) => {
      const index = firehoseAccepted.push(0) - 1;
      let offset = 0;
      const pump = (): void => {
        while (offset < FIREHOSE_BYTES) {
          const chunk = pattern(FIREHOSE_CHUNK, offset);
          offset += chunk.length;
          firehoseAccepted[index] = offset;
          if (!socket.write(chunk)) {
            socket.once('drain', pump);
            return;
          }
        }
        socket.end();
      };
      socket.resume();
      pump();
    });
    // Reads nothing until the test says so.
    sink = await startTcpServer((socket) => {
      socket.pause();
      socket.on('data', (chunk: Buffer) => (sinkReceived += chunk.length));
      sinkSockets.push(socket);
    });
    refusedPort = await freePort();
    const tcp = (name: string, port: number): string =>
      `  - { name: ${name}, type: tcp, host: 127.0.0.1, port: ${port}, groups: [agents] }`;
    gw = await startTestGateway({
      connections: [
        tcp('echo', echo.port),
        tcp('probe', echo.port),
        tcp('bystander', echo.port),
        tcp('garbage', echo.port),
        tcp('vanish', echo.port),
        tcp('local-reset', echo.port),
        tcp('refused', refusedPort),
        tcp('resetter', resetter.port),
        tcp('firehose', firehose.port),
        tcp('sink', sink.port),
      ].join('\n'),
      tunnel: [`  pingInterval: 1s`, `  maxFrameBytes: ${MAX_FRAME_BYTES}`].join('\n'),
    });
  });

  after(async () => {
    await Promise.all(running.map((hoop) => hoop.stop('SIGKILL')));
    await gw?.close();
    await Promise.all([echo?.close(), resetter?.close(), firehose?.close(), sink?.close()]);
  });

  it('survives port scanners and health checks that connect and drop', async () => {
    const hoop = await connect('probe');
    // What netcat's zero-I/O mode (`nc -z`) does: connect, send nothing, half-close at once.
    const probe = await connectTcp(hoop.port);
    probe.end();
    probe.resume();
    await once(probe, 'close');
    const dropped = await connectTcp(hoop.port);
    dropped.destroy();
    const reset = await connectTcp(hoop.port);
    reset.resetAndDestroy();
    // A reset while the tunnel is up, too.
    const late = await connectTcp(hoop.port);
    late.write('x');
    await once(late, 'data');
    late.resetAndDestroy();
    await sleep(200);
    assert.equal(hoop.child.exitCode, null, 'the listener is still running');
    assert.equal((await exchange(hoop.port, 'still serving\n')).toString(), 'still serving\n');
    const sessions = await endedSessions(gw.gateway.store, 'probe', { count: 5 });
    for (const session of sessions) {
      assert.ok(session.closeReason, `session ${session.id} has a close reason`);
    }
    const reasons = sessions.map((session) => session.closeReason);
    assert.ok(reasons.includes('client_reset'), `a reset is recorded as such: ${reasons}`);
    assert.equal(reasons[0], 'client_closed', 'the last, normal connection');
  });

  it('closes a tunnel whose target refuses, says why, and keeps listening', async () => {
    const hoop = await connect('refused');
    const socket = await connectTcp(hoop.port);
    const outcome = collect(socket).then(
      () => 'end',
      (error: NodeJS.ErrnoException) => error.code,
    );
    socket.write('anyone there?');
    // The refusal reaches the local client the way a direct connection's would: as a reset.
    assert.equal(await outcome, 'ECONNRESET');
    const [session] = await endedSessions(gw.gateway.store, 'refused');
    assert.equal(session?.closeReason, 'target_refused');
    assert.match(session?.closeDetail ?? '', /ECONNREFUSED/);
    await eventually(
      () => /connection closed: the target refused the connection/.test(hoop.output().stderr),
      'the CLI printed the reason',
    );
    assert.match(
      hoop.output().stderr,
      /^127\.0\.0\.1:\d+: connection closed: the target refused the connection \(connect ECONNREFUSED 127\.0\.0\.1:\d+\)$/m,
    );
    // The same listener serves the next connection once the target is up.
    const target = net.createServer((conn) => conn.end('up now\n'));
    target.listen(refusedPort, '127.0.0.1');
    await once(target, 'listening');
    try {
      const answer = await exchange(hoop.port, '');
      assert.equal(answer.toString(), 'up now\n');
    } finally {
      target.close();
    }
  });

  it('passes a target reset on to the local client as a reset', async () => {
    const hoop = await connect('resetter');
    const socket = await connectTcp(hoop.port);
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    const failed = once(socket, 'error') as Promise<[NodeJS.ErrnoException]>;
    socket.write('hello');
    const [error] = await failed;
    assert.equal(error.code, 'ECONNRESET');
    assert.equal(Buffer.concat(received).toString(), 'partial answer');
    const [session] = await endedSessions(gw.gateway.store, 'resetter');
    assert.equal(session?.closeReason, 'target_reset');
    assert.equal(session?.bytesUp, 5);
    assert.equal(session?.bytesDown, 'partial answer'.length);
    await eventually(
      () => /connection closed: the target reset the connection/.test(hoop.output().stderr),
      'the CLI printed the reason',
    );
  });

  it('records client_reset when the local client resets mid-transfer', async () => {
    const hoop = await connect('local-reset');
    const socket = await connectTcp(hoop.port);
    let echoed = 0;
    socket.on('data', (chunk: Buffer) => (echoed += chunk.length));
    // Keep data flowing both ways, so the reset lands mid-transfer however
    // fast or slow the machine is.
    const writing = setInterval(() => socket.write(randomBytes(64 * 1024)), 1);
    await eventually(() => echoed > MiB, 'data flows through the tunnel');
    clearInterval(writing);
    socket.resetAndDestroy();
    const [session] = await endedSessions(gw.gateway.store, 'local-reset');
    assert.equal(session?.closeReason, 'client_reset');
    assert.ok((session?.bytesUp ?? 0) > 0);
  });

  it('records client_vanished when hoop connect is killed mid-transfer, and serves others', async () => {
    const bystander = await connect('bystander');
    const witness = await connectTcp(bystander.port);
    const hoop = await startConnect(gw, 'vanish');
    const socket = await connectTcp(hoop.port);
    socket.on('error', () => {});
    let echoed = 0;
    socket.on('data', (chunk: Buffer) => (echoed += chunk.length));
    const writing = (async () => {
      while (!socket.destroyed) {
        if (!socket.write(randomBytes(64 * 1024))) {
          // Not events.once: it would reject on the reset this loop runs into.
          await new Promise((resolve) => {
            socket.once('drain', resolve);
            socket.once('close', resolve);
          });
        }
      }
    })();
    await eventually(() => echoed > 4 * MiB, 'data flows through the tunnel');
    await hoop.stop('SIGKILL');
    await writing;
    const [session] = await endedSessions(gw.gateway.store, 'vanish', { timeoutMs: 15_000 });
    assert.equal(session?.closeReason, 'client_vanished');
    assert.ok((session?.bytesUp ?? 0) >= 4 * MiB);
    // The other CLI's open tunnel and new tunnels are unaffected.
    witness.write('still here\n');
    assert.equal(((await once(witness, 'data')) as [Buffer])[0].toString(), 'still here\n');
    witness.end();
    assert.equal((await exchange(bystander.port, 'new\n')).toString(), 'new\n');
  });

  describe('hostile WebSocket frames', () => {
    let witness: net.Socket;
    const seen = new Set<string>();

    /** Opens a tunnel by hand, as a client that is not `hoop connect` would. */
    const openTunnel = async (): Promise<WebSocket> => {
      const ws = await dial({
        url: `${gw.url.replace(/^http/, 'ws')}/api/tunnel/garbage`,
        token: gw.keys['agent-1'] ?? '',
      });
      // dial hands it over paused, for a reader to resume once it listens.
      ws.resume();
      return ws;
    };

    /** The garbage session that ended since the last call. */
    const nextSession = async (): Promise<SessionRecord> => {
      const sessions = await endedSessions(gw.gateway.store, 'garbage', { count: seen.size + 1 });
      const fresh = sessions.filter((session) => !seen.has(session.id));
      assert.equal(fresh.length, 1, JSON.stringify(fresh));
      const [session] = fresh as [SessionRecord];
      seen.add(session.id);
      return session;
    };

    /** A masked client frame header (RFC 6455 §5.2) with an all-zero mask, so the payload goes as is. */
    const frame = (firstByte: number, payload: Buffer, masked = true): Buffer => {
      const length = payload.length;
      const mask = masked ? 0x80 : 0;
      const head =
        length < 126
          ? Buffer.from([firstByte, mask | length])
          : length < 65_536
            ? Buffer.from([firstByte, mask | 126, length >> 8, length & 0xff])
            : Buffer.concat([Buffer.from([firstByte, mask | 127]), u64(length)]);
      return Buffer.concat([head, masked ? Buffer.alloc(4) : Buffer.alloc(0), payload]);
    };

    const u64 = (value: number): Buffer => {
      const bytes = Buffer.alloc(8);
      bytes.writeBigUInt64BE(BigInt(value));
      return bytes;
    };

    /** Sends valid data, then `attack`, and returns the close the client got. */
    const attack = async (
      send: (ws: WebSocket, raw: net.Socket) => void,
    ): Promise<{ code: number; reason: string }> => {
      const ws = await openTunnel();
      const closed = once(ws, 'close');
      ws.on('error', () => {});
      // A working tunnel first: the echo comes back.
      ws.send(Buffer.from('valid'), { binary: true });
      const [echoed] = (await once(ws, 'message')) as [Buffer];
      assert.equal(echoed.toString(), 'valid');
      send(ws, (ws as unknown as { _socket: net.Socket })._socket);
      const [code, reason] = (await closed) as [number, Buffer];
      return { code, reason: reason.toString() };
    };

    before(async () => {
      const hoop = await connect('bystander');
      witness = await connectTcp(hoop.port);
      witness.write('before\n');
      await once(witness, 'data');
    });

    after(async () => {
      // Every attack above ran while this tunnel was open; it still works.
      witness.write('after\n');
      const [data] = (await once(witness, 'data')) as [Buffer];
      assert.equal(data.toString(), 'after\n');
      witness.destroy();
    });

    const cases: {
      what: string;
      send: (ws: WebSocket, raw: net.Socket) => void;
      code: number;
      reason: string;
      detail?: RegExp;
    }[] = [
      {
        what: 'a reserved opcode',
        send: (_ws, raw) => raw.write(frame(0x83, Buffer.from('x'))),
        code: 1002,
        reason: 'protocol_error',
        detail: /invalid opcode 3/,
      },
      {
        what: 'an unmasked client frame',
        send: (_ws, raw) => raw.write(frame(0x82, Buffer.from('x'), false)),
        code: 1002,
        reason: 'protocol_error',
        detail: /MASK must be set/,
      },
      {
        what: 'a text frame that is not UTF-8',
        send: (_ws, raw) => raw.write(frame(0x81, Buffer.from([0xff, 0xfe, 0xfd]))),
        code: 1007,
        reason: 'protocol_error',
        detail: /invalid UTF-8/,
      },
      {
        what: 'random bytes',
        send: (_ws, raw) =>
          raw.write(Buffer.from('4f6e6520636f756c6420666f7267652074686973', 'hex')),
        code: 1002,
        reason: 'protocol_error',
      },
      {
        what: 'a frame header announcing more than maxFrameBytes',
        send: (_ws, raw) =>
          raw.write(Buffer.concat([Buffer.from([0x82, 0x80 | 127]), u64(MAX_FRAME_BYTES + 1)])),
        code: 1009,
        reason: 'frame_too_large',
      },
      {
        what: 'a whole frame over maxFrameBytes',
        send: (ws) => ws.send(Buffer.alloc(MAX_FRAME_BYTES + 1), { binary: true }),
        code: 1009,
        reason: 'frame_too_large',
      },
      {
        what: 'a 2^63-byte frame length',
        send: (_ws, raw) =>
          raw.write(
            Buffer.from([0x82, 0x80 | 127, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
          ),
        code: 1009,
        reason: 'frame_too_large',
      },
      {
        what: 'a control message of an unknown type',
        send: (ws) => ws.send('{"type":"shutdown"}'),
        code: 4007,
        reason: 'protocol_error',
        detail: /unknown control message type "shutdown"/,
      },
      {
        what: 'a text frame that is not JSON',
        send: (ws) => ws.send('SELECT 1'),
        code: 4007,
        reason: 'protocol_error',
        detail: /not JSON/,
      },
      {
        what: 'data after eof',
        send: (ws) => {
          ws.send('{"type":"eof"}');
          ws.send(Buffer.from('more'), { binary: true });
        },
        code: 4007,
        reason: 'protocol_error',
        detail: /data after eof/,
      },
    ];

    it('ends the tunnel of a client that stops answering pings with keepalive_timeout', async () => {
      const ws = new WebSocket(`${gw.url.replace(/^http/, 'ws')}/api/tunnel/garbage`, {
        headers: { authorization: `Bearer ${gw.keys['agent-1'] ?? ''}` },
        perMessageDeflate: false,
        autoPong: false,
      });
      ws.on('error', () => {});
      await once(ws, 'open');
      const started = Date.now();
      const [code] = (await once(ws, 'close')) as [number];
      assert.equal(code, 4006);
      // One interval (1 s) to ping, one more to see no pong came.
      assert.ok(Date.now() - started < 5_000, `took ${Date.now() - started} ms`);
      const session = await nextSession();
      assert.equal(session.closeReason, 'keepalive_timeout');
    });

    for (const { what, send, code, reason, detail } of cases) {
      it(`ends the tunnel on ${what} with ${reason}`, async () => {
        const closed = await attack(send);
        assert.equal(closed.code, code, JSON.stringify(closed));
        const session = await nextSession();
        assert.equal(session.closeReason, reason);
        if (detail) assert.match(session.closeDetail ?? '', detail);
        assert.equal(session.bytesUp, 5);
        assert.equal(session.bytesDown, 5);
      });
    }
  });

  it('holds a target that writes faster than the client reads, then delivers it intact', async () => {
    const hoop = await connect('firehose');
    const socket = await connectTcp(hoop.port);
    socket.pause();
    // The target writes until every buffer on the path is full, then stalls.
    await eventually(() => firehoseAccepted.length === 1, 'the target was reached');
    let last = -1;
    await eventually(
      async () => {
        const now = firehoseAccepted[0] ?? 0;
        const stalled = now === last;
        last = now;
        await sleep(500);
        return stalled && now > 0;
      },
      'the target stalled',
      20_000,
    );
    const accepted = firehoseAccepted[0] ?? 0;
    assert.ok(
      accepted < FIREHOSE_BYTES / 2,
      `the path took ${accepted} bytes before holding the target`,
    );
    // Several keepalive intervals pass while the client does not read.
    await sleep(2_500);
    assert.equal(firehoseAccepted[0], accepted, 'still held');
    const digest = new Digest();
    socket.on('data', (chunk: Buffer) => digest.update(chunk));
    socket.resume();
    await once(socket, 'end');
    socket.end();
    const expected = new Digest();
    for (let offset = 0; offset < FIREHOSE_BYTES; offset += FIREHOSE_CHUNK) {
      expected.update(pattern(FIREHOSE_CHUNK, offset));
    }
    assert.equal(digest.length, FIREHOSE_BYTES);
    assert.equal(digest.hex(), expected.hex());
    const [session] = await endedSessions(gw.gateway.store, 'firehose');
    assert.equal(session?.closeReason, 'target_closed');
    assert.equal(session?.bytesDown, FIREHOSE_BYTES);
  });

  it('holds a client that writes faster than the target reads, then delivers it intact', async () => {
    const hoop = await connect('sink');
    const socket = await connectTcp(hoop.port);
    let written = 0;
    const sent = new Digest();
    for (;;) {
      const chunk = randomBytes(256 * 1024);
      sent.update(chunk);
      written += chunk.length;
      if (!socket.write(chunk)) {
        const drained = await Promise.race([
          once(socket, 'drain').then(() => true),
          sleep(1_000).then(() => false),
        ]);
        if (!drained) break;
      }
      assert.ok(written < 32 * MiB, 'the client was never held back');
    }
    // Several keepalive intervals pass while the target does not read.
    await sleep(2_500);
    assert.equal(sinkReceived, 0);
    const [target] = sinkSockets;
    assert.ok(target);
    const received = new Digest();
    target.on('data', (chunk: Buffer) => received.update(chunk));
    target.resume();
    socket.end();
    await once(target, 'end');
    target.end();
    assert.equal(received.length, written);
    assert.equal(received.hex(), sent.hex());
    const [session] = await endedSessions(gw.gateway.store, 'sink');
    assert.equal(session?.closeReason, 'client_closed');
    assert.equal(session?.bytesUp, written);
  });
});

/** Deterministic bytes (a counter mod 251), so a long transfer can be checked for order. */
function pattern(length: number, offset = 0): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = (offset + i) % 251;
  return bytes;
}

describe('a gateway that dies under open tunnels', { timeout: 60_000 }, () => {
  let dir: string;
  let echo: TestServer;
  const children: RunningHoop[] = [];

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'hoop-test-'));
    echo = await startEchoServer();
  });

  after(async () => {
    await Promise.all(children.map((child) => child.stop('SIGKILL')));
    await echo?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('closes them as gateway_shutdown when it stops, and hoop connect says so', async () => {
    const gw = await startTestGateway({
      connections: `  - { name: echo, type: tcp, host: 127.0.0.1, port: ${echo.port}, groups: [agents] }`,
    });
    try {
      const hoop = await startConnect(gw, 'echo');
      children.push(hoop);
      const socket = await connectTcp(hoop.port);
      socket.write('hello\n');
      await once(socket, 'data');
      const cut = collect(socket).catch(() => Buffer.alloc(0));
      // Not gw.close(): that also deletes the store, which is read below.
      await gw.gateway.close();
      await cut;
      socket.destroy();
      await eventually(
        () => /connection closed: the gateway is shutting down/.test(hoop.output().stderr),
        () => `the CLI says the gateway stopped: ${hoop.output().stderr}`,
      );
      const store = await openStore(gw.config.store);
      try {
        const [session] = await store.listSessions({ connection: 'echo' });
        assert.equal(session?.closeReason, 'gateway_shutdown');
        assert.equal(session?.bytesUp, 6);
      } finally {
        await store.close();
      }
    } finally {
      await rm(gw.dir, { recursive: true, force: true });
    }
  });

  /** `hoop server` as a process of its own, so that it can be killed or frozen. */
  const startServerProcess = async (name: string) => {
    const key = generateApiKey();
    const config = path.join(dir, `${name}.yaml`);
    await writeFile(
      config,
      [
        'listen: 127.0.0.1:0',
        `store: sqlite:${path.join(dir, `${name}.db`)}`,
        'log: { level: silent }',
        'auth:',
        '  apiKeys:',
        `    - { name: agent-1, groups: [agents], keyHash: "${hashApiKey(key)}" }`,
        'connections:',
        `  - { name: echo, type: tcp, host: 127.0.0.1, port: ${echo.port}, groups: [agents] }`,
      ].join('\n'),
    );
    const server = spawnHoop(['server', '--config', config]);
    children.push(server);
    let url = '';
    await eventually(
      () => {
        const { stdout, stderr } = server.output();
        url = /listening on (http:\/\/\S+)/.exec(stdout + stderr)?.[1] ?? '';
        return url !== '';
      },
      () => `the gateway is listening: ${JSON.stringify(server.output())}`,
    );
    const hoop = spawnHoop(['connect', 'echo', '--port', '0'], {
      HOOP_GATEWAY: url,
      HOOP_TOKEN: key,
    });
    children.push(hoop);
    const port = Number((await hoop.waitFor(/^Forwarding \S+:(\d+) to /m))[1]);
    const socket = await connectTcp(port);
    socket.write('hello\n');
    await once(socket, 'data');
    return { server, hoop, port, socket };
  };

  it('ends them as gateway_vanished, says so, and the listener stays up', async () => {
    const { server, hoop, port, socket } = await startServerProcess('killed');
    const cut = collect(socket).then(
      () => 'end',
      (error: NodeJS.ErrnoException) => error.code ?? error.message,
    );
    await server.stop('SIGKILL');
    // The local client's connection ends, and the CLI says why in the user's terms.
    assert.ok(await cut);
    socket.destroy();
    await eventually(
      () => /connection closed: the gateway went away/.test(hoop.output().stderr),
      () => `the CLI names the gateway: ${hoop.output().stderr}`,
    );
    // New connections fail alone, each with a line saying why; the listener stays up.
    const next = await connectTcp(port);
    await collect(next).catch(() => Buffer.alloc(0));
    next.destroy();
    await eventually(
      () =>
        /tunnel not opened: cannot reach the gateway at http:\/\/127\.0\.0\.1:\d+/.test(
          hoop.output().stderr,
        ),
      () => `the CLI says the tunnel did not open: ${hoop.output().stderr}`,
    );
    assert.equal(hoop.child.exitCode, null);
    assert.equal(await hoop.stop('SIGINT'), 0);
  });

  it('regression: Ctrl-C does not wait 30 s for a gateway that stopped answering', async () => {
    const { server, hoop, socket } = await startServerProcess('frozen');
    socket.on('error', () => {});
    server.child.kill('SIGSTOP');
    try {
      const started = Date.now();
      assert.equal(await hoop.stop('SIGINT'), 0);
      // ws alone waits 30 s for the close handshake; the listener gives it 2 s.
      assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
    } finally {
      server.child.kill('SIGCONT');
      socket.destroy();
    }
  });
});
