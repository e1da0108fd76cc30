import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import {
  issueLocalCa,
  issueServerCertificate,
} from '../../../../src/cli/local-tls/certificates.js';
import {
  NEGOTIATION_CODES,
  classifyOpening,
  negotiatePostgresTls,
} from '../../../../src/cli/local-tls/postgres-ssl.js';

function request(code: number): Buffer {
  const message = Buffer.alloc(8);
  message.writeInt32BE(8, 0);
  message.writeInt32BE(code, 4);
  return message;
}

/** A StartupMessage for protocol 3.0 with user=x (protocol §55.7). */
function startup(): Buffer {
  const body = Buffer.concat([Buffer.from([0, 3, 0, 0]), Buffer.from('user\0x\0\0')]);
  const length = Buffer.alloc(4);
  length.writeInt32BE(body.length + 4);
  return Buffer.concat([length, body]);
}

describe('classifyOpening', () => {
  it('tells SSLRequest and GSSENCRequest from anything else', () => {
    assert.equal(classifyOpening(request(NEGOTIATION_CODES.ssl)), 'ssl');
    assert.equal(classifyOpening(request(NEGOTIATION_CODES.gssenc)), 'gssenc');
    assert.equal(classifyOpening(request(80877102)), 'other', 'a CancelRequest');
    assert.equal(classifyOpening(startup().subarray(0, 8)), 'other');
    assert.equal(classifyOpening(Buffer.alloc(3)), 'other');
  });
});

describe('negotiatePostgresTls', () => {
  let server: net.Server;
  let port: number;
  let ca: string;
  /** What each accepted connection sent after the negotiation, as the tunnel would get it. */
  const tunnelled: Promise<Buffer>[] = [];

  before(async () => {
    const authority = await issueLocalCa();
    const certificate = await issueServerCertificate(authority);
    ca = authority.cert;
    const context = tls.createSecureContext(certificate);
    server = net.createServer({ allowHalfOpen: true }, (socket) => {
      socket.pause();
      tunnelled.push(
        negotiatePostgresTls(socket, context).then(
          (stream) =>
            new Promise<Buffer>((resolve) => {
              const chunks: Buffer[] = [];
              stream.on('data', (chunk: Buffer) => chunks.push(chunk));
              stream.on('end', () => {
                resolve(Buffer.concat(chunks));
                stream.end();
              });
            }),
          () => Buffer.from('(refused)'),
        ),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  });

  after(() => server.close());

  /** Connects, and waits until the server has taken the connection. */
  const connect = async (): Promise<{
    socket: net.Socket;
    tunnelledBytes: () => Promise<Buffer>;
  }> => {
    const count = tunnelled.length;
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    await once(socket, 'connect');
    while (tunnelled.length === count) await sleep(5);
    const entry = tunnelled[count] as Promise<Buffer>;
    return { socket, tunnelledBytes: () => entry };
  };

  it('passes a StartupMessage through byte for byte, however it is split', async () => {
    const message = startup();
    for (const split of [1, 3, 7, 8, 9]) {
      const { socket, tunnelledBytes } = await connect();
      socket.write(message.subarray(0, split));
      await sleep(20);
      socket.end(message.subarray(split));
      assert.deepEqual(await tunnelledBytes(), message, `split at ${split}`);
      socket.destroy();
    }
  });

  it('answers a split SSLRequest with S, then serves TLS; the tunnel gets the cleartext only', async () => {
    const { socket, tunnelledBytes } = await connect();
    const ssl = request(NEGOTIATION_CODES.ssl);
    socket.write(ssl.subarray(0, 5));
    await sleep(20);
    socket.write(ssl.subarray(5));
    const [answer] = (await once(socket, 'data')) as [Buffer];
    assert.equal(answer.toString(), 'S');
    const secure = tls.connect({ socket, ca, servername: 'localhost' });
    await once(secure, 'secureConnect');
    secure.end(startup());
    assert.deepEqual(await tunnelledBytes(), startup());
  });

  it('answers GSSENCRequest with N and goes on reading', async () => {
    const { socket, tunnelledBytes } = await connect();
    socket.write(request(NEGOTIATION_CODES.gssenc));
    const [answer] = (await once(socket, 'data')) as [Buffer];
    assert.equal(answer.toString(), 'N');
    socket.end(startup());
    assert.deepEqual(await tunnelledBytes(), startup());
    socket.destroy();
  });

  it('refuses bytes sent after an SSLRequest before its answer', async () => {
    const { socket, tunnelledBytes } = await connect();
    socket.write(Buffer.concat([request(NEGOTIATION_CODES.ssl), startup()]));
    assert.equal((await tunnelledBytes()).toString(), '(refused)');
    socket.destroy();
  });
});
