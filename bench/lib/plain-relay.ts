/**
 * The control for the tunnel: the same process topology (client → process →
 * process → target) with nothing but `socket.pipe()` in each hop. What this
 * costs against direct is what two extra Node processes and loopback hops
 * cost on this machine, before any WebSocket, auth or recording.
 *
 * Run as a child: `node --import tsx bench/lib/plain-relay.ts TARGET_PORT`;
 * prints `listening on PORT`.
 */
import net from 'node:net';

const HOST = '127.0.0.1';
const targetPort = Number(process.argv[2]);

const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (client) => {
  const target = net.connect({ host: HOST, port: targetPort, allowHalfOpen: true, noDelay: true });
  client.pipe(target);
  target.pipe(client);
  client.on('error', () => target.destroy());
  target.on('error', () => client.destroy());
});
server.listen(0, HOST, () => {
  console.log(`listening on ${(server.address() as net.AddressInfo).port}`);
});
process.on('SIGTERM', () => process.exit(0));
