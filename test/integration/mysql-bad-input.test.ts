import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import mysql from 'mysql2/promise';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startMariaDb, type MariaDbInstance } from '../helpers/mariadb.js';
import { collect } from '../helpers/tunnel.js';
import { startLocalListener, dial, type LocalListener } from '../../src/tunnel/index.js';
import { Framer, parseErr, type Packet } from '../../src/server/protocols/mysql/protocol/index.js';

/** int<3> length, int<1> sequence id, payload. */
function packet(sequenceId: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUIntLE(payload.length, 0, 3);
  header[3] = sequenceId;
  return Buffer.concat([header, payload]);
}

/** A handshake response any client would send: PROTOCOL_41 | SECURE_CONNECTION | PLUGIN_AUTH, user x, no password. */
const HANDSHAKE = packet(
  1,
  Buffer.concat([
    Buffer.from([0x00, 0x82, 0x08, 0x00]),
    Buffer.from([0, 0, 0, 1]),
    Buffer.of(45),
    Buffer.alloc(23),
    Buffer.from('x\0'),
    Buffer.of(0),
    Buffer.from('mysql_native_password\0'),
  ]),
);

/**
 * Bad input from a MySQL client: a command before the handshake, a packet
 * over the gateway's max_allowed_packet (mysql.maxPacketBytes), a command
 * with a wrong sequence id, garbage. Each gets an ERR packet before the
 * close, and the gateway keeps serving everyone else.
 */
describe('mysql: bad input', { timeout: 120_000 }, () => {
  let maria: MariaDbInstance;
  let gw: TestGateway;
  let listener: LocalListener;

  before(async () => {
    maria = await startMariaDb();
    gw = await startTestGateway({
      connections: `  - { name: maria, type: mysql, host: 127.0.0.1, port: ${maria.port}, database: ${maria.database}, user: ${maria.user}, password: "\${env:MYSQL_PASSWORD}", groups: [agents] }`,
      env: { MYSQL_PASSWORD: maria.password },
      policy: [{ name: 'agents', match: { groups: ['agents'] }, effect: 'allow' }],
      extra: 'mysql:\n  maxPacketBytes: 65536',
    });
    listener = await startLocalListener({
      host: '127.0.0.1',
      port: 0,
      dial: () =>
        dial({
          url: `${gw.url.replace(/^http/, 'ws')}/api/tunnel/maria`,
          token: gw.keys['agent-1']!,
        }),
    });
  });

  after(async () => {
    await listener?.close();
    await gw?.close();
    await maria?.stop();
  });

  /** Connects raw, waits for the greeting, sends `bytes`, and returns every packet until the close. */
  const raw = async (...steps: Buffer[]): Promise<Packet[]> => {
    const socket = net.connect(listener.address.port, '127.0.0.1');
    const all = collect(socket);
    await new Promise((resolve) => socket.once('data', resolve));
    for (const step of steps) socket.write(step);
    const bytes = await all;
    return new Framer().push(bytes);
  };

  const stillServes = async () => {
    const c = await mysql.createConnection({
      host: '127.0.0.1',
      port: listener.address.port,
      user: 'y',
      database: maria.database,
    });
    try {
      const [rows] = await c.query('select 1 + 1 as two');
      assert.deepEqual(rows, [{ two: 2 }]);
    } finally {
      await c.end();
    }
  };

  it('a COM_QUERY before the handshake gets an ERR and a close', async () => {
    const packets = await raw(packet(0, Buffer.from('\x03select 1')));
    const err = parseErr(packets[packets.length - 1]!.payload);
    assert.equal(err.errno, 1156);
    await stillServes();
  });

  it('a handshake response that is not one gets ERR 1043 (bad handshake)', async () => {
    const packets = await raw(packet(1, Buffer.from('\x03select 1')));
    const err = parseErr(packets[packets.length - 1]!.payload);
    assert.equal(err.errno, 1043);
    await stillServes();
  });

  it('a packet over mysql.maxPacketBytes gets ERR 1153 before its payload is buffered', async () => {
    const header = Buffer.from([0x00, 0x00, 0x10, 0x00]); // 1 MiB announced
    const packets = await raw(HANDSHAKE, header);
    const err = parseErr(packets[packets.length - 1]!.payload);
    assert.equal(err.errno, 1153);
    assert.match(err.message, /max_allowed_packet/);
    await stillServes();
  });

  it('a command with a wrong sequence id gets ERR 1156', async () => {
    const packets = await raw(HANDSHAKE, packet(3, Buffer.from('\x03select 1')));
    const err = parseErr(packets[packets.length - 1]!.payload);
    assert.equal(err.errno, 1156);
    await stillServes();
  });

  it('an unknown command gets ERR 1047 and the session goes on', async () => {
    const socket = net.connect(listener.address.port, '127.0.0.1');
    const all = collect(socket);
    await new Promise((resolve) => socket.once('data', resolve));
    socket.write(HANDSHAKE);
    await new Promise((resolve) => setTimeout(resolve, 300));
    socket.write(packet(0, Buffer.of(0x42)));
    await new Promise((resolve) => setTimeout(resolve, 300));
    socket.write(packet(0, Buffer.from('\x03select 7')));
    await new Promise((resolve) => setTimeout(resolve, 300));
    socket.end(packet(0, Buffer.of(0x01)));
    const packets = new Framer().push(await all);
    const errs = packets.filter((p) => p.payload[0] === 0xff).map((p) => parseErr(p.payload).errno);
    assert.deepEqual(errs, [1047]);
    assert.ok(
      packets.some((p) => p.payload.toString('latin1').includes('\x017')),
      'select 7 answered',
    );
  });
});
